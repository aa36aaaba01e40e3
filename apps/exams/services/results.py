"""Results: computed per class and term by a background job into a snapshot, then published
with an embargo (families see nothing before `visible_from`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.academics.models import Enrollment
from apps.core import audit, jobs, queue
from apps.core.exceptions import ApplicationError
from apps.core.services import refuse
from apps.core.signals import announce_change

from ..models import (
    CoScholasticGrade,
    Mark,
    MarkStatus,
    PlanTerm,
    ResultRun,
    RunStatus,
    StudentResult,
    TeacherRemark,
)
from . import calc
from .scales import exam_settings, scale_bands, scale_freeze

COMPUTE_TASK = "apps.exams.tasks.compute_results"
JOB_KIND = "exams.compute_results"


@transaction.atomic
def results_compute_start(*, school, actor, school_class, plan_term: PlanTerm):
    """Start computing a class's results for a term (a background job; poll it). Published
    results are a snapshot families have seen: they are not computed again."""
    if plan_term.plan.school_class_id != school_class.pk:
        raise refuse(_("This term is not in the class's assessment plan."),
                     code="term_not_in_plan", fields=["plan_term"])  # fmt: skip
    run, _created = ResultRun.objects.select_for_update().get_or_create(
        school=school, school_class=school_class, plan_term=plan_term
    )
    if run.status == RunStatus.PUBLISHED:
        raise ApplicationError(_("These results are published; they are not computed again."),
                               code="results_published", status_code=409)  # fmt: skip
    job = jobs.job_create(school=school, kind=JOB_KIND, requested_by=actor,
                          params={"run": str(run.pk)})  # fmt: skip
    run.status, run.job = RunStatus.COMPUTING, job
    run.save(update_fields=["status", "job", "updated_at"])
    queue.enqueue_on_commit(COMPUTE_TASK, str(job.pk))
    return job, run


def results_compute_run(*, job_id) -> None:
    """The job's work (the task calls it); a finished job is not run again."""
    with jobs.running(job_id) as report:
        if report is None:
            return
        run = ResultRun.objects.select_related(
            "plan_term__plan__scale", "plan_term__term", "school_class", "school"
        ).get(pk=report.job.params["run"])
        count = compute_run(run, report=report)
        report.succeed({"run": str(run.pk), "students": count})


def _attendance(counts: dict[str, int] | None) -> tuple[int, int, Decimal | None]:
    """(working days marked, days present, percent) from the attendance app's counts (present
    and late count as present)."""
    from apps.attendance.selectors import percentage

    if not counts:
        return 0, 0, None
    present = counts.get("present", 0) + counts.get("late", 0)
    percent = percentage(counts)
    return sum(counts.values()), present, (Decimal(str(percent)) if percent is not None else None)


def _specs(plan_term: PlanTerm):
    groups = [calc.GroupSpec(str(g.pk), g.best_n, g.weight) for g in plan_term.groups.all()]
    components = [
        calc.ComponentSpec(str(c.pk), c.weight, str(c.group_id) if c.group_id else None, c.part)
        for c in plan_term.components.all()
    ]
    return components, groups


def _snapshot(run: ResultRun, plan, terms, subjects, settings) -> dict[str, Any]:
    scale = plan.scale
    return {
        "plan": {"id": str(plan.pk), "name": plan.name, "pass_percent": str(plan.pass_percent),
                 "written_pass_percent": _s(plan.written_pass_percent),
                 "internal_pass_percent": _s(plan.internal_pass_percent)},
        "term": {"id": str(run.plan_term_id), "name": run.plan_term.term.name,
                 "start": run.plan_term.term.start_date.isoformat(),
                 "end": run.plan_term.term.end_date.isoformat(),
                 "is_final": run.plan_term.is_final},
        "terms": [{"id": str(t.pk), "name": t.term.name, "weight": str(t.weight),
                   "components": [{"id": str(c.pk), "name": c.name, "kind": c.kind,
                                   "part": c.part, "max_marks": str(c.max_marks),
                                   "weight": _s(c.weight),
                                   "group": str(c.group_id) if c.group_id else None}
                                  for c in t.components.all()],
                   "groups": [{"id": str(g.pk), "name": g.name, "best_n": g.best_n,
                               "weight": str(g.weight)} for g in t.groups.all()]}
                  for t in terms],
        "subjects": [{"id": str(s.subject_id), "name": s.subject.name, "code": s.subject.code,
                      "is_main": s.is_main} for s in subjects],
        "scale": {"id": str(scale.pk), "code": scale.code, "name": scale.name,
                  "version": scale.version, "kind": scale.kind,
                  "bands": [{"min_percent": str(b.min_percent), "letter": b.letter,
                             "descriptor": b.descriptor, "grade_point": _s(b.grade_point),
                             "is_pass": b.is_pass} for b in scale.bands.all()]},
        "settings": {"rounding_places": settings.rounding_places,
                     "rounding_mode": settings.rounding_mode, "absent_rule": settings.absent_rule,
                     "medical_rule": settings.medical_rule, "show_rank": settings.show_rank,
                     "rank_tie_rule": settings.rank_tie_rule,
                     "min_attendance_percent": str(settings.min_attendance_percent)},
    }  # fmt: skip


def _s(value) -> str | None:
    return None if value is None else str(value)


@dataclass
class _Context:
    """What computing one run needs, loaded once for the whole class."""

    run: ResultRun
    plan: Any
    plan_term: PlanTerm
    settings: Any
    rules: calc.Rules
    bands: list
    terms: list
    subjects: list
    specs: dict
    scores: dict = field(default_factory=dict)
    medical: set = field(default_factory=set)
    adjusted: dict = field(default_factory=dict)  # (student, subject, component) -> delta

    def rounded(self, value):
        if value is None:
            return None
        return calc.round_percent(value, self.settings.rounding_places, self.settings.rounding_mode)

    def band(self, percent):
        return calc.band_for(self.bands, percent) if percent is not None else None

    def passes(self, band, percent, parts_ok: bool) -> bool:
        return bool(band and band.is_pass and percent >= self.plan.pass_percent and parts_ok)


def _load_scores(ctx: _Context, student_ids) -> None:
    """Every mark of these students in the plan's terms so far, adjustments added."""
    rows = (
        Mark.objects.filter(exam__plan_term__in=ctx.terms, student_id__in=student_ids)
        .annotate(adjusted=Sum("adjustments__delta"))
        .values("student_id", "subject_id", "exam__component_id", "exam__plan_term_id",
                "marks", "max_marks", "status", "adjusted")
    )  # fmt: skip
    for m in rows:
        marks = m["marks"]
        key = (m["student_id"], m["subject_id"], str(m["exam__component_id"]))
        if marks is not None and m["adjusted"]:
            ctx.adjusted[key] = m["adjusted"]
            marks = marks + m["adjusted"]
        ctx.scores[key] = calc.Score(m["status"], marks, m["max_marks"])
        if m["status"] == MarkStatus.MEDICAL and m["exam__plan_term_id"] == ctx.plan_term.pk:
            ctx.medical.add(m["student_id"])


@dataclass
class _Totals:
    rows: list = field(default_factory=list)
    exact: list = field(default_factory=list)
    year: list = field(default_factory=list)
    points: list = field(default_factory=list)
    failed: int = 0


def _subject(ctx: _Context, sid, ps, totals: _Totals) -> None:
    """One subject of one student: the term (and, in the final term, the year) percentage,
    rounded once before its grade is looked up."""
    per_term = {}
    for t in ctx.terms:
        components, groups = ctx.specs[t.pk]
        own = {c.id: ctx.scores[(sid, ps.subject_id, c.id)] for c in components
               if (sid, ps.subject_id, c.id) in ctx.scores}  # fmt: skip
        per_term[t.pk] = calc.subject_term(components, groups, own, ctx.rules)
    current = per_term[ctx.plan_term.pk]
    percent = ctx.rounded(current.percent)
    band = ctx.band(percent)
    parts_ok = _parts_pass(ctx.plan, current.parts, ctx.rounded)
    passed = ctx.passes(band, percent, parts_ok)
    year_exact = None
    if ctx.plan_term.is_final:
        year_exact = calc.weighted_year((per_term[t.pk].percent, t.weight) for t in ctx.terms)
    year_percent = ctx.rounded(year_exact)
    year_band = ctx.band(year_percent)
    decisive = ctx.passes(year_band, year_percent, parts_ok) if year_band else passed
    if ps.is_main and current.percent is not None:
        totals.exact.append(current.percent)
        totals.points.append(band.grade_point)
        totals.failed += 0 if decisive else 1
    if ps.is_main and year_exact is not None:
        totals.year.append(year_exact)
    components, _groups = ctx.specs[ctx.plan_term.pk]
    totals.rows.append({
        "subject": str(ps.subject_id), "name": ps.subject.name, "code": ps.subject.code,
        "is_main": ps.is_main,
        "components": [_component_row(ctx.scores.get((sid, ps.subject_id, c.id)), c, current,
                                      ctx.adjusted.get((sid, ps.subject_id, c.id)))
                       for c in components],
        "percent": _s(percent), "grade": band.letter if band else "",
        "grade_point": _s(band.grade_point) if band else None,
        "parts": {k: _s(ctx.rounded(v)) for k, v in current.parts.items()},
        "passed": passed, "year_percent": _s(year_percent),
        "year_grade": year_band.letter if year_band else "",
    })  # fmt: skip


def _mean(values: list) -> Decimal | None:
    return sum(values, Decimal(0)) / len(values) if values else None


def _student_result(ctx: _Context, enrollment, extras: dict) -> StudentResult:
    sid = enrollment.student_id
    totals = _Totals()
    for ps in ctx.subjects:
        _subject(ctx, sid, ps, totals)
    overall = ctx.rounded(_mean(totals.exact))
    overall_band = ctx.band(overall)
    year_overall = ctx.rounded(_mean(totals.year))
    year_band = ctx.band(year_overall)
    days, present, att_percent = _attendance(extras["attendance"].get(str(sid)))
    settings = ctx.settings
    promotion = ""
    if ctx.plan_term.is_final:
        promotion = calc.promotion(
            failed_subjects=totals.failed, attendance_percent=att_percent,
            min_attendance=settings.min_attendance_percent,
            compartment_max=settings.compartment_max_subjects,
        )  # fmt: skip
    points = totals.points
    return StudentResult(
        school_id=ctx.run.school_id, run=ctx.run, student_id=sid,
        section_id=enrollment.section_id, subjects=totals.rows, percent=overall,
        grade=overall_band.letter if overall_band else "",
        cgpa=calc.cgpa(points) if points and None not in points else None,
        year_percent=year_overall, year_grade=year_band.letter if year_band else "",
        rank_excluded=settings.rank_excludes_medical and sid in ctx.medical,
        passed=totals.failed == 0 and overall is not None, failed_subjects=totals.failed,
        promotion=promotion, working_days=days, days_present=present,
        attendance_percent=att_percent, remarks=extras["remarks"].get(sid, ""),
        co_scholastic=extras["co"][sid],
    )  # fmt: skip


def _context(run: ResultRun) -> _Context:
    plan_term = run.plan_term
    plan = plan_term.plan
    settings = exam_settings(run.school)
    terms = list(
        plan.terms.filter(order__lte=plan_term.order)
        .select_related("term")
        .prefetch_related("components", "groups")
    )
    return _Context(
        run=run, plan=plan, plan_term=plan_term, settings=settings,
        rules=calc.Rules(absent=settings.absent_rule, medical=settings.medical_rule),
        bands=scale_bands(plan.scale), terms=terms,
        subjects=list(plan.subjects.select_related("subject")),
        specs={t.pk: _specs(t) for t in terms},
    )  # fmt: skip


def _extras(ctx: _Context, student_ids) -> dict:
    """Remarks, co-scholastic grades and attendance of the class: a few queries in all.
    Attendance is read from the attendance app with the write-behind buffer's pending marks
    (`daily_counts_by_student`): the term, or the year to date in the final term."""
    from apps.academics.models import Section
    from apps.attendance.selectors import daily_counts_by_student

    plan_term = ctx.plan_term
    term = plan_term.term
    start = ctx.plan.year.start_date if plan_term.is_final else term.start_date
    sections = Section.objects.filter(school_class_id=ctx.run.school_class_id,
                                      year_id=ctx.plan.year_id).values_list("pk", flat=True)  # fmt: skip
    attendance = daily_counts_by_student(ctx.run.school_id, list(sections), start, term.end_date)
    remarks = dict(TeacherRemark.objects.filter(plan_term=plan_term, student_id__in=student_ids)
                   .values_list("student_id", "text"))  # fmt: skip
    co: dict[Any, list] = defaultdict(list)
    for g in (
        CoScholasticGrade.objects.filter(plan_term=plan_term, student_id__in=student_ids)
        .select_related("area").order_by("area__order", "area__name")
    ):  # fmt: skip
        co[g.student_id].append({"area": g.area.name, "grade": g.grade})
    return {"remarks": remarks, "co": co, "attendance": attendance}


def compute_run(run: ResultRun, *, report=None) -> int:
    """Compute every student's result of the run's class and term and store them as the run's
    snapshot (replacing an unpublished one). See `calc` for the arithmetic; attendance comes
    from the attendance app (the term, or the year to date in the final term)."""
    ctx = _context(run)
    enrollments = list(
        Enrollment.objects.filter(section__school_class_id=run.school_class_id,
                                  year_id=ctx.plan.year_id)
        .select_related("student__user", "section")
        .order_by("section__name", "roll_number")
    )  # fmt: skip
    if report is not None:
        report.total(len(enrollments))
    student_ids = [e.student_id for e in enrollments]
    _load_scores(ctx, student_ids)
    extras = _extras(ctx, student_ids)
    results: list[StudentResult] = []
    for index, enrollment in enumerate(enrollments, start=1):
        results.append(_student_result(ctx, enrollment, extras))
        if report is not None and index % 20 == 0:
            report.advance(20)
    _rank(results, ctx.settings.rank_tie_rule)
    with transaction.atomic():
        locked = ResultRun.objects.select_for_update().get(pk=run.pk)
        if locked.status == RunStatus.PUBLISHED:
            raise ApplicationError(_("These results were published meanwhile."),
                                   code="results_published")  # fmt: skip
        StudentResult.objects.filter(run=run).delete()
        StudentResult.objects.bulk_create(results, batch_size=500)
        locked.snapshot = _snapshot(run, ctx.plan, ctx.terms, ctx.subjects, ctx.settings)
        locked.status, locked.computed_at = RunStatus.COMPUTED, timezone.now()
        locked.save(update_fields=["snapshot", "status", "computed_at", "updated_at"])
    run.snapshot, run.status, run.computed_at = locked.snapshot, locked.status, locked.computed_at
    return len(results)


def _component_row(score: calc.Score | None, component, current: calc.SubjectTerm,
                   adjustment=None) -> dict:  # fmt: skip
    """A component's marks as counted (moderation and grace included) and the adjustment."""
    return {
        "component": component.id,
        "marks": _s(score.marks) if score else None,
        "adjustment": _s(adjustment),
        "max_marks": _s(score.max_marks) if score else None,
        "status": score.status if score else "missing",
        "counted": component.id in current.counted,
    }


def _parts_pass(plan, parts: dict[str, Decimal], rounded) -> bool:
    for part, minimum in (("written", plan.written_pass_percent),
                          ("internal", plan.internal_pass_percent)):  # fmt: skip
        if minimum is not None and part in parts and rounded(parts[part]) < minimum:
            return False
    return True


def _rank(results: list[StudentResult], rule: str) -> None:
    """Rank by the printed (rounded) overall percentage, in the section and in the class;
    students excluded by policy are not ranked and do not take a place."""
    ranked = {str(r.student_id): r.percent for r in results if not r.rank_excluded}
    for key, rank in calc.ranks(ranked, rule).items():
        next(r for r in results if str(r.student_id) == key).class_rank = rank
    by_section: dict[Any, dict[str, Decimal | None]] = defaultdict(dict)
    for r in results:
        if not r.rank_excluded:
            by_section[r.section_id][str(r.student_id)] = r.percent
    index = {str(r.student_id): r for r in results}
    for values in by_section.values():
        for key, rank in calc.ranks(values, rule).items():
            index[key].section_rank = rank


@transaction.atomic
def results_publish(*, run: ResultRun, actor, visible_from=None) -> ResultRun:
    """Publish computed results. Families see them from `visible_from` (the embargo; now when
    not given) and not a moment before; the grade scales used are frozen (a change is a new
    version); families are told through the notifications app."""
    run = ResultRun.objects.select_for_update().select_related("plan_term__plan").get(pk=run.pk)
    if run.status != RunStatus.COMPUTED:
        raise ApplicationError(_("Only computed results can be published."),
                               code="not_computed", status_code=409)  # fmt: skip
    now = timezone.now()
    run.status, run.published_at, run.published_by = RunStatus.PUBLISHED, now, actor
    run.visible_from = visible_from or now
    run.save(update_fields=["status", "published_at", "published_by", "visible_from",
                            "updated_at"])  # fmt: skip
    from ..models import CoScholasticArea

    scale_freeze([run.plan_term.plan.scale_id,
                  *CoScholasticArea.objects.filter(school_id=run.school_id)
                  .values_list("scale_id", flat=True)])  # fmt: skip
    audit.record(actor=actor, action="exams.results.publish", instance=run,
                 after={"visible_from": run.visible_from.isoformat()})  # fmt: skip
    _notify_families(run)
    announce_change(run.school_id, "exams")
    return run


def _notify_families(run: ResultRun) -> None:
    """One notification per parent and student of the class (deduplicated per run)."""
    from django.utils.text import format_lazy
    from django.utils.translation import gettext_lazy

    from apps.accounts.models import Guardian
    from apps.notifications.kinds import EXAMS_RESULTS_PUBLISHED
    from apps.notifications.services import Message, notify_many

    results = StudentResult.objects.filter(run=run).select_related("student__user")
    parents = defaultdict(list)
    for link in Guardian.objects.filter(student_id__in=results.values("student_id")).select_related(
        "parent"
    ):
        parents[link.student_id].append(link.parent)
    when = run.visible_from.date().isoformat()
    term = run.plan_term.term.name
    messages = [
        Message(
            recipients=[r.student.user, *parents.get(r.student_id, [])],
            kind=EXAMS_RESULTS_PUBLISHED,
            title=format_lazy(gettext_lazy("{term} results"), term=term),
            body=format_lazy(gettext_lazy("{name}'s {term} results and report card are "
                                          "available from {date}."),
                             name=r.student.user.full_name, term=term, date=when),
            data={"student": str(r.student_id), "run": str(run.pk)},
            dedupe_key=f"exams.results:{run.pk}:{r.student_id}",
        )
        for r in results
    ]  # fmt: skip
    notify_many(messages)
