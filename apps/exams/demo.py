"""The demo school's exams (called by `seed_demo`, after academics and attendance): the
built-in scales, a CBSE-style plan for each of classes 1-12 (Term 1 and Term 2 weighted 50/50,
each with the best two of three periodic tests, notebook, subject enrichment and the term
exam), an exam per component (Term 1's entry window closed, Term 2's open until its end, so the
demo teacher enters this term's marks), Term 1 marks for every student (a realistic spread, a
few absent and on medical leave), four co-scholastic areas graded and the class teacher's
remarks, Term 1 results computed and published, and report cards for the demo student's
section; the graded homework of each section counts toward its term's notebook (the demo
teacher imports it with `import-homework`). Idempotent: what exists is kept. Marks are written in bulk (no per-row audit: demo
data, not a teacher's entry)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction

from apps.academics.models import AcademicYear, Enrollment, Section, Term

from . import services
from .models import (
    AssessmentPlan,
    Component,
    CoScholasticArea,
    CoScholasticGrade,
    Exam,
    ExamSettings,
    Mark,
    MarkStatus,
    PlanTerm,
    ReportCard,
    ResultRun,
    RunStatus,
    TeacherRemark,
)

D = Decimal
AREAS = ["Work education", "Art education", "Health and physical education", "Discipline"]
REMARKS = ["Works hard and participates well.", "Good progress; keep reading every day.",
           "Attentive in class; can improve handwriting.", "Curious and helpful to classmates."]  # fmt: skip
DEMO_SECTION = ("Class 5", "A")


def term_plan(term: Term, weight: D, exam_name: str, exam_kind: str, final: bool) -> dict:
    return {
        "term": term, "weight": weight, "is_final": final,
        "groups": [{"name": "Periodic tests", "best_n": 2, "weight": D(10)}],
        "components": [
            *({"name": f"Periodic test {n}", "kind": "periodic_test", "part": "internal",
               "max_marks": D(20), "group": "Periodic tests"} for n in (1, 2, 3)),
            {"name": "Notebook", "kind": "notebook", "part": "internal", "max_marks": D(5),
             "weight": D(5)},
            {"name": "Subject enrichment", "kind": "enrichment", "part": "internal",
             "max_marks": D(5), "weight": D(5)},
            {"name": exam_name, "kind": exam_kind, "part": "written", "max_marks": D(80),
             "weight": D(80)},
        ],
    }  # fmt: skip


@transaction.atomic
def seed_exams(*, report, school, rng: random.Random) -> None:
    year = AcademicYear.objects.filter(school=school, is_current=True).first()
    if year is None:
        return
    terms = list(Term.objects.filter(year=year).order_by("start_date"))
    if len(terms) < 2:
        return
    admin = school_admin(school)
    scales = services.builtin_scales_install(school)
    ExamSettings.objects.get_or_create(school=school, defaults={"show_rank": True})
    for name in AREAS:
        _, created = CoScholasticArea.objects.get_or_create(
            school=school, name=name,
            defaults={"scale": scales["co-scholastic-5"], "order": AREAS.index(name)},
        )  # fmt: skip
        report.add("co-scholastic areas", created)
    sections = list(Section.objects.filter(school=school, year=year).select_related("school_class"))
    classes = {s.school_class_id: s.school_class for s in sections}
    subjects = list(school_subjects(school))
    for school_class in classes.values():
        plan = AssessmentPlan.objects.filter(school_class=school_class, year=year).first()
        if plan is None:
            plan = services.plan_create(
                school=school, actor=admin, school_class=school_class, year=year,
                name=f"{school_class.name} (CBSE)", scale=scales["cbse-8"],
                subjects=[{"subject": s} for s in subjects],
                terms=[term_plan(terms[0], D(50), "Half-yearly exam", "half_yearly", False),
                       term_plan(terms[1], D(50), "Annual exam", "annual", True)],
            )  # fmt: skip
            report.add("assessment plans", True)
            _exams(school, admin, plan)
    _homework_notebook(report, school, year)
    first_terms = PlanTerm.objects.filter(plan__year=year, order=0).select_related("plan")
    if not Mark.objects.filter(school=school).exists():
        _marks(report, school, year, first_terms, subjects, rng)
        _class_teacher_part(report, school, first_terms, rng)
    for plan_term in first_terms:
        run, _ = ResultRun.objects.get_or_create(
            school=school, school_class_id=plan_term.plan.school_class_id, plan_term=plan_term
        )
        if run.status == RunStatus.PUBLISHED:
            continue
        run = ResultRun.objects.select_related("plan_term__plan__scale", "plan_term__term",
                                               "plan_term__plan__year", "school").get(pk=run.pk)  # fmt: skip
        services.compute_run(run)
        services.results_publish(run=run, actor=admin)
        report.add("published results", True)
    demo = next((s for s in sections if (s.school_class.name, s.name) == DEMO_SECTION), None)
    if demo is not None and not ReportCard.objects.filter(section=demo).exists():
        plan_term = next(
            pt for pt in first_terms if pt.plan.school_class_id == demo.school_class_id
        )
        run = ResultRun.objects.select_related("plan_term__term", "plan_term__plan__year",
                                               "school").get(plan_term=plan_term)  # fmt: skip
        made = services.cards_generate(run=run, section=demo)
        report.created["report cards"] = report.created.get("report cards", 0) + made


def school_admin(school):
    from apps.accounts.models import Role, User

    return User.objects.filter(school=school, role=Role.ADMIN).order_by("created_at").first()


def school_subjects(school):
    from apps.academics.models import Subject

    return Subject.objects.filter(school=school).order_by("name")


def _exams(school, admin, plan) -> None:
    """Term 1's exams are over (entry closed with the term); Term 2's are open for entry until
    two weeks after the term."""
    for component in Component.objects.filter(plan_term__plan=plan).select_related(
        "plan_term__term"
    ):
        term = component.plan_term.term
        services.exam_create(school=school, actor=admin, component=component, name=component.name,
                             entry_opens=term.start_date,
                             entry_closes=term.end_date + dt.timedelta(days=14))  # fmt: skip


def _homework_notebook(report, school, year) -> None:
    """Graded homework not yet counted toward anything counts toward the notebook of the term
    it is due in, in its section's class's plan."""
    from apps.homework.models import Assignment

    notebooks = {
        (c.plan_term.plan.school_class_id, c.plan_term.term_id): c
        for c in Component.objects.filter(plan_term__plan__year=year, kind="notebook")
        .select_related("plan_term__plan", "plan_term__term")
    }  # fmt: skip
    terms = list(Term.objects.filter(year=year))
    changed = []
    for homework in Assignment.objects.filter(
        school=school, counts_toward__isnull=True, max_marks__isnull=False
    ).prefetch_related("sections"):  # fmt: skip
        classes = {s.school_class_id for s in homework.sections.all() if s.year_id == year.pk}
        day = homework.due_at.date()
        term = next((t for t in terms if t.start_date <= day <= t.end_date), None)
        if len(classes) != 1 or term is None:
            continue
        component = notebooks.get((classes.pop(), term.pk))
        if component is not None:
            homework.counts_toward = component
            changed.append(homework)
    Assignment.objects.bulk_update(changed, ["counts_toward"])
    key = "homework counted in the gradebook"
    report.created[key] = report.created.get(key, 0) + len(changed)


def _score(rng: random.Random, ability: float, maximum: D) -> D:
    value = max(0.0, min(1.0, rng.gauss(ability, 0.1)))
    return (D(str(value)) * maximum).quantize(D("0.5"))


def _marks(report, school, year, first_terms, subjects, rng) -> None:
    """Term 1 marks for every enrolled student in every subject: each student's ability drawn
    once (a spread from weak to excellent), about one paper in 60 absent, one in 150 on medical
    leave."""
    exams = {}
    for exam in Exam.objects.filter(plan_term__in=first_terms).select_related("component"):
        exams.setdefault(exam.plan_term_id, []).append(exam)
    class_terms = {pt.plan.school_class_id: pt for pt in first_terms}
    rows = []
    for enrollment in Enrollment.objects.filter(year=year).select_related("section"):
        plan_term = class_terms.get(enrollment.section.school_class_id)
        if plan_term is None:
            continue
        ability = max(0.2, min(0.98, rng.gauss(0.68, 0.16)))
        for subject in subjects:
            for exam in exams.get(plan_term.pk, []):
                maximum = exam.component.max_marks
                roll = rng.random()
                status = MarkStatus.PRESENT
                if roll < 1 / 60:
                    status = MarkStatus.ABSENT
                elif roll < 1 / 60 + 1 / 150:
                    status = MarkStatus.MEDICAL
                rows.append(Mark(
                    school=school, exam=exam, section_id=enrollment.section_id, subject=subject,
                    student_id=enrollment.student_id, max_marks=maximum, status=status,
                    marks=_score(rng, ability, maximum) if status == MarkStatus.PRESENT else None,
                ))  # fmt: skip
    Mark.objects.bulk_create(rows, batch_size=5000)
    report.created["marks"] = report.created.get("marks", 0) + len(rows)


def _class_teacher_part(report, school, first_terms, rng) -> None:
    areas = list(CoScholasticArea.objects.filter(school=school))
    class_terms = {pt.plan.school_class_id: pt for pt in first_terms}
    grades, remarks = [], []
    for enrollment in Enrollment.objects.filter(year__school=school, year__is_current=True).select_related("section"):  # fmt: skip
        plan_term = class_terms.get(enrollment.section.school_class_id)
        if plan_term is None:
            continue
        for area in areas:
            grades.append(CoScholasticGrade(school=school, area=area, plan_term=plan_term,
                                            student_id=enrollment.student_id,
                                            grade=rng.choice("AAABBBCCD")))  # fmt: skip
        remarks.append(TeacherRemark(school=school, plan_term=plan_term,
                                     student_id=enrollment.student_id, text=rng.choice(REMARKS)))  # fmt: skip
    CoScholasticGrade.objects.bulk_create(grades, batch_size=5000)
    TeacherRemark.objects.bulk_create(remarks, batch_size=5000)
    report.created["remarks"] = report.created.get("remarks", 0) + len(remarks)
