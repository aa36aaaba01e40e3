"""Report cards: rendered per section by a background job from the results' snapshot, one PDF
per student and one combined per section, stored through the default storage (django-storages)
in versions: a generation never overwrites a file, so a card families have seen stays as it
was and a regeneration is a new version beside it."""

from __future__ import annotations

from collections import defaultdict

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.academics.models import Enrollment, Section
from apps.accounts.models import Guardian
from apps.core import jobs, queue
from apps.core.events import notify_on_commit
from apps.core.exceptions import ApplicationError

from .. import documents as d
from ..models import (
    PlanTerm,
    ReportCard,
    ReportCardBatch,
    ResultRun,
    RunStatus,
    StudentResult,
)
from .scales import exam_settings

GENERATE_TASK = "apps.exams.tasks.generate_report_cards"
JOB_KIND = "exams.report_cards"


@transaction.atomic
def cards_generate_start(*, school, actor, section: Section, plan_term: PlanTerm):
    """Start rendering a section's cards for a term (a background job). The class's results
    for the term must be computed."""
    run = ResultRun.objects.filter(
        school_class_id=section.school_class_id, plan_term=plan_term,
        status__in=[RunStatus.COMPUTED, RunStatus.PUBLISHED],
    ).first()  # fmt: skip
    if run is None:
        raise ApplicationError(_("Compute the results of this term first."),
                               code="results_not_computed", status_code=409)  # fmt: skip
    job = jobs.job_create(school=school, kind=JOB_KIND, requested_by=actor,
                          params={"run": str(run.pk), "section": str(section.pk)})  # fmt: skip
    queue.enqueue_on_commit(GENERATE_TASK, str(job.pk))
    return job


def cards_generate_run(*, job_id) -> None:
    with jobs.running(job_id) as report:
        if report is None:
            return
        params = report.job.params
        run = ResultRun.objects.select_related("plan_term__term", "plan_term__plan__year",
                                               "school").get(pk=params["run"])  # fmt: skip
        section = Section.objects.select_related("school_class").get(pk=params["section"])
        made = cards_generate(run=run, section=section, job=report.job, report=report)
        report.succeed({"cards": made})


def _school(school) -> d.School:
    lines = [line.strip() for line in (school.address or "").splitlines() if line.strip()]
    logo = None
    if school.logo:
        try:
            with school.logo.open("rb") as fh:
                logo = fh.read()
        except (OSError, ValueError):
            logo = None
    return d.School(name=school.name, address_lines=lines, phone=school.contact_phone or "",
                    email=school.contact_email or "", logo=logo)  # fmt: skip


def _component_titles(snapshot: dict) -> tuple[list[str], list[str]]:
    term = next(t for t in snapshot["terms"] if t["id"] == snapshot["term"]["id"])
    ids = [c["id"] for c in term["components"]]
    titles = [f"{c['name']} /{_num(c['max_marks'])}" for c in term["components"]]
    return ids, titles


def _num(value) -> str:
    if value is None:
        return ""
    text = str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


def _cell(row: dict | None, show_adjustment: bool = False) -> str:
    """The marks as counted; with the school's `show_grace_on_card`, "raw+grace" instead."""
    if row is None:
        return ""
    if row["status"] == "present":
        adjustment = row.get("adjustment")
        if show_adjustment and adjustment:
            from decimal import Decimal

            raw = Decimal(row["marks"]) - Decimal(adjustment)
            return f"{_num(raw)}+{_num(adjustment)}"
        return _num(row["marks"])
    return d.STATUS_CODES.get(row["status"], "")


def build_cards(run: ResultRun, results: list[StudentResult]) -> list[d.Card]:
    """The cards of `results` (with `student__user`, `section__school_class` joined) from the
    run's snapshot: three queries whatever the number of students."""
    settings = exam_settings(run.school)
    snapshot = run.snapshot
    ids, titles = _component_titles(snapshot)
    student_ids = [r.student_id for r in results]
    rolls = dict(Enrollment.objects.filter(student_id__in=student_ids,
                                           year_id=run.plan_term.plan.year_id)
                 .values_list("student_id", "roll_number"))  # fmt: skip
    parents = defaultdict(list)
    for sid, name in (
        Guardian.objects.filter(student_id__in=student_ids)
        .order_by("-is_primary", "parent__full_name")
        .values_list("student_id", "parent__full_name")
    ):
        parents[sid].append(name)
    school = _school(run.school)
    final = snapshot["term"]["is_final"]
    promotion_labels = {"promoted": "Promoted", "detained": "Detained",
                        "compartment": "Compartment"}  # fmt: skip
    cards = []
    for r in results:
        subjects = []
        for s in r.subjects:
            by_id = {c["component"]: c for c in s["components"]}
            subjects.append(d.SubjectRow(
                name=s["name"],
                cells=[_cell(by_id.get(i), settings.show_grace_on_card) for i in ids],
                percent=_num(s["percent"]), grade=s["grade"],
                year_percent=_num(s.get("year_percent")), year_grade=s.get("year_grade", ""),
            ))  # fmt: skip
        rank = ""
        if settings.show_rank and r.section_rank:
            rank = f"{r.section_rank} ({r.section.display_name}) · {r.class_rank}"
        cards.append(d.Card(
            school=school,
            profile=d.Profile(
                name=r.student.user.full_name, admission_no=r.student.admission_number,
                class_section=r.section.display_name, roll_number=str(rolls.get(r.student_id, "")),
                date_of_birth=r.student.date_of_birth, parents=", ".join(parents[r.student_id]),
            ),
            year=run.plan_term.plan.year.name, term=snapshot["term"]["name"],
            issued_on=timezone.localdate(), components=titles, subjects=subjects,
            percent=_num(r.percent), grade=r.grade,
            co_scholastic=[(c["area"], c["grade"]) for c in r.co_scholastic],
            working_days=r.working_days, days_present=r.days_present,
            attendance_percent=_num(r.attendance_percent), remarks=r.remarks, rank=rank,
            result="Pass" if r.passed else "Needs improvement",
            promotion=promotion_labels.get(r.promotion, "") if final else "",
            cgpa=_num(r.cgpa), show_year=final,
        ))  # fmt: skip
    return cards


def _translate_words(card: d.Card, language: str) -> d.Card:
    from dataclasses import replace

    return replace(card, result=d.label(card.result, language),
                   promotion=d.label(card.promotion, language) if card.promotion else "")  # fmt: skip


def cards_generate(*, run: ResultRun, section: Section, job=None, report=None) -> int:
    """Render and store the section's cards (a new version of each) and the combined PDF."""
    settings = exam_settings(run.school)
    language = settings.card_language
    results = list(
        StudentResult.objects.filter(run=run, section=section)
        .select_related("student__user", "section__school_class")
        .order_by("student__user__full_name")
    )
    if report is not None:
        report.total(len(results))
    cards = [_translate_words(c, language) for c in build_cards(run, results)]
    versions = dict(
        ReportCard.objects.filter(plan_term_id=run.plan_term_id, student_id__in=[r.student_id for r in results])
        .values("student_id").annotate(v=Max("version")).values_list("student_id", "v")
    )  # fmt: skip
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    code = run.school.code
    for result, card in zip(results, cards, strict=True):
        version = (versions.get(result.student_id) or 0) + 1
        row = ReportCard(school_id=run.school_id, result=result, student_id=result.student_id,
                         section=section, plan_term_id=run.plan_term_id, version=version,
                         language=language, job=job)  # fmt: skip
        name = f"{code}/{result.student.admission_number}-{run.plan_term_id}-v{version}-{stamp}.pdf"
        row.file.save(name, ContentFile(d.render_cards([card], language)), save=False)
        row.save()
        if report is not None:
            report.advance(1)
    if cards:
        latest = ReportCardBatch.objects.filter(section=section, plan_term_id=run.plan_term_id)
        version = (latest.aggregate(v=Max("version"))["v"] or 0) + 1
        batch = ReportCardBatch(school_id=run.school_id, section=section,
                                plan_term_id=run.plan_term_id, version=version,
                                cards=len(cards), job=job)  # fmt: skip
        batch.file.save(f"{code}/{section.display_name}-{run.plan_term_id}-v{version}-{stamp}.pdf",
                        ContentFile(d.render_cards(cards, language)), save=False)  # fmt: skip
        batch.save()
        if run.status == "published":  # before publication the results notice tells families
            notify_on_commit("exams.report_card_ready", run, section=str(section.pk), version=stamp)
    return len(cards)


def latest_card(qs, *, student_id, plan_term_id) -> ReportCard | None:
    return qs.filter(student_id=student_id, plan_term_id=plan_term_id).order_by("-version").first()
