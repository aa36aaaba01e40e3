"""Test data for exams: a CBSE-style plan through the services (so it obeys the rules), and
helpers to call the marks API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from apps.academics.tests.factories import TermFactory
from apps.exams import services
from apps.exams.models import Component, Exam

D = Decimal
OPEN = (dt.date(2000, 1, 1), dt.date(2100, 12, 31))  # an entry window open whatever today is
CLOSED = (dt.date(2000, 1, 1), dt.date(2000, 1, 31))  # one long closed


def term_components(exam_name: str, exam_kind: str) -> dict:
    """CBSE's term: best 2 of 3 periodic tests (out of 50) worth 10, notebook 5 and subject
    enrichment 5 (internal assessment), the term exam out of 80 worth 80 (written)."""
    return {
        "groups": [{"name": "Periodic tests", "best_n": 2, "weight": D(10)}],
        "components": [
            {"name": "PT1", "kind": "periodic_test", "part": "internal", "max_marks": D(50),
             "group": "Periodic tests"},
            {"name": "PT2", "kind": "periodic_test", "part": "internal", "max_marks": D(50),
             "group": "Periodic tests"},
            {"name": "PT3", "kind": "periodic_test", "part": "internal", "max_marks": D(50),
             "group": "Periodic tests"},
            {"name": "Notebook", "kind": "notebook", "part": "internal", "max_marks": D(5),
             "weight": D(5)},
            {"name": "Enrichment", "kind": "enrichment", "part": "internal", "max_marks": D(5),
             "weight": D(5)},
            {"name": exam_name, "kind": exam_kind, "part": "written", "max_marks": D(80),
             "weight": D(80)},
        ],
    }  # fmt: skip


def make_plan(cast, sy, *, window=OPEN, **plan_kwargs):
    """Class 5's plan for the year: Mathematics and Science, Term 1 (half-yearly) and Term 2
    (annual, final) weighted 50/50, with an exam for every component."""
    scales = services.builtin_scales_install(cast.school)
    t1 = TermFactory(year=sy.year, name="Term 1", start_date=dt.date(2026, 4, 1),
                     end_date=dt.date(2026, 9, 30))  # fmt: skip
    t2 = TermFactory(year=sy.year, name="Term 2", start_date=dt.date(2026, 10, 1),
                     end_date=dt.date(2027, 3, 31))  # fmt: skip
    plan = services.plan_create(
        school=cast.school, actor=cast.admin, school_class=sy.klass, year=sy.year,
        name="Class 5 CBSE", scale=scales["cbse-8"],
        subjects=[{"subject": sy.maths}, {"subject": sy.science}],
        terms=[
            {"term": t1, "weight": D(50), **term_components("Half-yearly", "half_yearly")},
            {"term": t2, "weight": D(50), "is_final": True, **term_components("Annual", "annual")},
        ],
        **plan_kwargs,
    )  # fmt: skip
    for component in Component.objects.filter(plan_term__plan=plan):
        services.exam_create(school=cast.school, actor=cast.admin, component=component,
                             name=component.name, entry_opens=window[0],
                             entry_closes=window[1])  # fmt: skip
    return plan


def exam(plan, term_order: int, name: str) -> Exam:
    return Exam.objects.get(plan_term__plan=plan, plan_term__order=term_order, name=name)


def post_marks(client, exam, section, subject, entries, **extra):
    return client.post("/api/v1/exams/marks/", {
        "exam": str(exam.pk), "section": str(section.pk), "subject": str(subject.pk),
        "entries": [{**e, "student": str(e["student"])} for e in entries], **extra,
    }, format="json")  # fmt: skip


def compute(api, cast, sy, exam, capture):
    with capture(execute=True):
        response = api(cast.admin).post("/api/v1/exams/results/compute/", {
            "school_class": str(sy.klass.pk), "plan_term": str(exam.plan_term_id)}, format="json")  # fmt: skip
    assert response.status_code == 202, response.content
    job = api(cast.admin).get(response.json()["url"]).json()
    assert job["status"] == "succeeded", job
    return job
