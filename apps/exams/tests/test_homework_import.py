"""Internal-assessment marks from homework through the API: a homework names the component it
counts toward; `POST /exams/exams/{id}/import-homework/` proposes (dry run) and writes the
paper's marks: the arithmetic, unreleased grades ignored, missing counts zero and excused is left
out, no mark without homework, the lock and the window, other schools' and sections' 404s, and
a constant number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.academics.tests.factories import EnrollmentFactory
from apps.accounts.tests.factories import StudentFactory
from apps.core.models import AuditLog
from apps.exams import services
from apps.exams.models import Component, ExamSettings, Mark
from apps.homework.models import Assignment, Grade, Submission, SubmissionStatus
from apps.homework.tests.factories import AssignmentFactory

from .factories import exam

pytestmark = pytest.mark.django_db
D = Decimal
IN_TERM_1 = dt.datetime(2026, 5, 10, 10, 0, tzinfo=dt.UTC)
IN_TERM_2 = dt.datetime(2026, 11, 10, 10, 0, tzinfo=dt.UTC)


def url(the_exam):
    return f"/api/v1/exams/exams/{the_exam.pk}/import-homework/"


def post(client, the_exam, section, subject, **extra):
    return client.post(url(the_exam), {"section": str(section.pk), "subject": str(subject.pk),
                                       **extra}, format="json")  # fmt: skip


def homework(cast, sy, component, *, due=IN_TERM_1, max_marks="10", subject=None, **kw):
    return AssignmentFactory(
        school=cast.school, subject=subject or sy.maths, created_by=cast.teacher.user,
        sections=kw.pop("sections", [sy.sec_a]), due_at=due, assigned_on=due.date(),
        max_marks=D(max_marks), counts_toward=component, **kw,
    )  # fmt: skip


def grade(hw, student, final, *, marks=None, released=True):
    return Grade.objects.create(
        school_id=hw.school_id, assignment=hw, student=student, marks=D(marks or final),
        final_marks=D(final), released_at=timezone.now() if released else None,
    )  # fmt: skip


def settle(hw, student, section, status):
    return Submission.objects.create(school_id=hw.school_id, assignment=hw, student=student,
                                     section=section, status=status)  # fmt: skip


def component(plan, term_order, name):
    return Component.objects.get(plan_term__plan=plan, plan_term__order=term_order, name=name)


@pytest.fixture
def graded(cast, school_year, plan):
    """Term 1's notebook (out of 5) from Mathematics homework in 5-A:
    A (10): Sam 8, Oscar excused (a released 2 is left out); B (20): Sam 20 less a 25% late
    penalty = 15, Oscar missing (zero); C (10): only unreleased grades (Sam 10, Tia 9);
    noise that never counts: homework due in term 2, toward enrichment, in Science, a draft."""
    sy = school_year
    notebook = component(plan, 0, "Notebook")
    tia = StudentFactory(school=cast.school, user__full_name="Tia")
    EnrollmentFactory(section=sy.sec_a, student=tia, roll_number=3)
    a, b, c = (homework(cast, sy, notebook), homework(cast, sy, notebook, max_marks="20"),
               homework(cast, sy, notebook))  # fmt: skip
    grade(a, cast.student, "8")
    grade(a, cast.other_student, "2")
    settle(a, cast.other_student, sy.sec_a, SubmissionStatus.EXCUSED)
    grade(b, cast.student, "15", marks="20")
    settle(b, cast.other_student, sy.sec_a, SubmissionStatus.MISSING)
    grade(c, cast.student, "10", released=False)
    grade(c, tia, "9", released=False)
    for noise in (
        homework(cast, sy, notebook, due=IN_TERM_2),
        homework(cast, sy, component(plan, 0, "Enrichment")),
        homework(cast, sy, notebook, subject=sy.science),
        homework(cast, sy, notebook, status="draft"),
    ):
        grade(noise, cast.student, "0")
        grade(noise, tia, "0")
    return {"exam": exam(plan, 0, "Notebook"), "tia": tia}


def test_marks_are_the_average_of_released_grades_scaled_and_rounded(cast, school_year, graded,
                                                                      api, schema_contract):  # fmt: skip
    sy, notebook = school_year, graded["exam"]
    teacher = api(cast.teacher.user)
    dry = post(teacher, notebook, sy.sec_a, sy.maths)
    assert dry.status_code == 200, dry.content
    template = "/api/v1/exams/exams/{id}/import-homework/"
    assert not schema_contract.problems("POST", template, dry)
    body = dry.json()
    assert body["dry_run"] is True and body["max_marks"] == "5.00" and body["changed"] == 2
    rows = {r["student"]: r for r in body["entries"]}
    sam, oscar = rows[str(cast.student.pk)], rows[str(cast.other_student.pk)]
    # (8/10 + 15/20) / 2 = 77.5% of 5 = 3.875, rounded half up to whole marks (the default)
    assert (sam["percent"], sam["marks"], sam["counted"]) == ("77.50", "4.00", 2)
    # A excused (left out, its grade too), B missing (zero)
    assert (oscar["marks"], oscar["counted"], oscar["missing"], oscar["excused"]) == (
        "0.00", 1, 1, 1)  # fmt: skip
    # Tia has only unreleased grades: no mark, not zero
    assert (
        rows[str(graded["tia"].pk)] | {"marks": None, "counted": 0} == rows[str(graded["tia"].pk)]
    )
    assert not Mark.objects.exists()  # the dry run writes nothing

    real = post(teacher, notebook, sy.sec_a, sy.maths, dry_run=False)
    assert real.status_code == 200, real.content
    assert real.json()["changed"] == 2
    marks = {m.student_id: m for m in Mark.objects.filter(exam=notebook)}
    assert set(marks) == {cast.student.pk, cast.other_student.pk}
    assert marks[cast.student.pk].marks == D("4") and marks[cast.student.pk].max_marks == D(5)
    assert marks[cast.other_student.pk].marks == D("0")
    assert AuditLog.objects.filter(action="exams.mark.enter").count() == 2
    again = post(teacher, notebook, sy.sec_a, sy.maths, dry_run=False)
    assert again.json()["changed"] == 0  # unchanged marks are not written again


def test_the_schools_rounding_places_apply(cast, school_year, graded, api):
    ExamSettings.objects.create(school=cast.school, rounding_places=2, rounding_mode="half_even")
    body = post(api(cast.admin), graded["exam"], school_year.sec_a, school_year.maths).json()
    rows = {r["student"]: r for r in body["entries"]}
    assert rows[str(cast.student.pk)]["marks"] == "3.88"  # 3.875 half to even


def test_a_teachers_remark_on_a_mark_is_kept(cast, school_year, graded, api):
    sy, notebook = school_year, graded["exam"]
    services.marks_enter(actor=cast.admin, exam=notebook, section=sy.sec_a, subject=sy.maths,
                         entries=[{"student": cast.student.pk, "marks": D(1), "status": "present",
                                   "remarks": "Neat"}])  # fmt: skip
    response = post(api(cast.teacher.user), notebook, sy.sec_a, sy.maths, dry_run=False)
    assert response.status_code == 200, response.content
    mark = Mark.objects.get(exam=notebook, student=cast.student)
    assert (mark.marks, mark.remarks) == (D(4), "Neat")


def test_a_locked_exam_is_refused_to_the_teacher_and_amended_by_an_admin(cast, school_year,
                                                                         graded, api):  # fmt: skip
    sy, notebook = school_year, graded["exam"]
    services.exam_lock(exam=notebook, actor=cast.admin, locked=True)
    for dry_run in (True, False):
        refused = post(api(cast.teacher.user), notebook, sy.sec_a, sy.maths, dry_run=dry_run)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "entry_closed"
    no_reason = post(api(cast.admin), notebook, sy.sec_a, sy.maths, dry_run=False)
    assert no_reason.status_code == 400
    assert no_reason.json()["error"]["code"] == "reason_required"
    assert not Mark.objects.exists()
    done = post(api(cast.admin), notebook, sy.sec_a, sy.maths, dry_run=False,
                reason="Homework marks moved to the notebook")  # fmt: skip
    assert done.status_code == 200 and done.json()["amendment"] is True
    assert AuditLog.objects.filter(action="exams.mark.amend").count() == 2


def test_who_may_import_and_what_is_not_found(cast, school_year, plan, graded, api):
    sy, notebook = school_year, graded["exam"]
    # another school's admin: the exam is not found
    assert post(api(cast.admin2), notebook, sy.sec_a, sy.maths).status_code == 404
    # Tara does not teach in 5-B: the section is not found
    assert post(api(cast.teacher.user), notebook, sy.sec_b, sy.maths).status_code == 404
    # Cole teaches Science in 5-A, not Mathematics
    cole = post(api(cast.colleague.user), notebook, sy.sec_a, sy.maths)
    assert cole.status_code == 403 and cole.json()["error"]["code"] == "not_subject_teacher"
    assert post(api(cast.parent), notebook, sy.sec_a, sy.maths).status_code == 403
    assert post(api(cast.student.user), notebook, sy.sec_a, sy.maths).status_code == 403
    written = post(api(cast.admin), exam(plan, 0, "Half-yearly"), sy.sec_a, sy.maths)
    assert written.status_code == 400 and written.json()["error"]["code"] == "not_internal"
    hindi = api(cast.admin).post(url(exam(plan, 0, "Half-yearly")), {
        "section": str(sy.sec_a.pk), "subject": str(sy.maths.pk)}, format="json",
        HTTP_ACCEPT_LANGUAGE="hi")  # fmt: skip
    assert hindi.json()["error"]["message"] == ("केवल आंतरिक मूल्यांकन परीक्षा के अंक गृहकार्य से लिए जाते हैं।")
    # term 2's notebook: no homework counts toward it (term 1's due in term 2 does not either)
    nothing = post(api(cast.admin), exam(plan, 1, "Notebook"), sy.sec_a, sy.maths)
    assert nothing.status_code == 400
    assert nothing.json()["error"]["code"] == "no_homework_grades"
    bad = api(cast.admin).post(url(notebook), {"section": "x"}, format="json")
    assert bad.status_code == 400 and {"section", "subject"} <= set(bad.json()["error"]["fields"])
    assert not Mark.objects.exists()


def test_queries_do_not_grow_with_the_students(cast, school_year, plan, api):
    sy = school_year
    hws = {name: [homework(cast, sy, component(plan, 0, name)) for _ in range(2)]
           for name in ("PT1", "Notebook", "Enrichment")}  # fmt: skip

    def add_student(roll, student=None):
        if student is None:
            student = StudentFactory(school=cast.school)
            EnrollmentFactory(section=sy.sec_a, student=student, roll_number=roll)
        for group in hws.values():
            grade(group[0], student, "7")
            settle(group[1], student, sy.sec_a, SubmissionStatus.MISSING)

    add_student(1, cast.student)
    teacher = api(cast.teacher.user)

    def run(name):
        with CaptureQueriesContext(connection) as ctx:
            response = post(teacher, exam(plan, 0, name), sy.sec_a, sy.maths, dry_run=False)
        assert response.status_code == 200, response.content
        return len(ctx.captured_queries), response.json()["changed"]

    run("PT1")  # warms the per-process caches (content types, the school's settings)
    few = run("Notebook")
    for roll in range(3, 9):
        add_student(roll)
    many = run("Enrichment")
    assert few[1] == 1 and many[1] == 7
    assert few[0] == many[0]


# --- naming the component on the homework ---------------------------------------------------------
HW_URL = "/api/v1/homework/"


def _payload(sy, **extra):
    due = timezone.now() + dt.timedelta(days=2)
    return {"title": "Fractions", "subject": str(sy.maths.pk), "sections": [str(sy.sec_a.pk)],
            "due_at": due.isoformat(), "max_marks": "10", "status": "published", **extra}  # fmt: skip


def test_a_homework_names_the_internal_component_it_counts_toward(cast, school_year, plan, api):
    sy = school_year
    notebook = component(plan, 0, "Notebook")
    teacher = api(cast.teacher.user)
    created = teacher.post(HW_URL, _payload(sy, counts_toward=str(notebook.pk)), format="json")
    assert created.status_code == 201, created.content
    assert created.json()["counts_toward"] == str(notebook.pk)
    assert Assignment.objects.get(pk=created.json()["id"]).counts_toward == notebook

    cases = [
        (_payload(sy, counts_toward=str(component(plan, 0, "Half-yearly").pk)), "counts_toward"),
        (_payload(sy, counts_toward=str(notebook.pk), max_marks=None), "counts_toward"),
        (_payload(sy, counts_toward="not-an-id"), "counts_toward"),
    ]
    for body, field in cases:
        response = teacher.post(HW_URL, body, format="json")
        assert response.status_code == 400, response.content
        assert field in response.json()["error"]["fields"]
    # Vera's 5-B Mathematics homework names it too (5-B is of the plan's class)
    vera = api(sy.vera.user).post(HW_URL, _payload(sy, sections=[str(sy.sec_b.pk)],
                                                   counts_toward=str(notebook.pk)), format="json")  # fmt: skip
    assert vera.status_code == 201, vera.content

    hw_id = created.json()["id"]
    enrichment = component(plan, 0, "Enrichment")
    moved = teacher.patch(f"{HW_URL}{hw_id}/", {"counts_toward": str(enrichment.pk)},
                          format="json")  # fmt: skip
    assert moved.status_code == 200 and moved.json()["counts_toward"] == str(enrichment.pk)
    ungraded = teacher.patch(f"{HW_URL}{hw_id}/", {"max_marks": None}, format="json")
    assert ungraded.status_code == 400
    cleared = teacher.patch(f"{HW_URL}{hw_id}/", {"counts_toward": None}, format="json")
    assert cleared.status_code == 200 and cleared.json()["counts_toward"] is None


def test_another_schools_component_is_not_found(cast, school_year, plan, api):
    sy = school_year
    notebook = component(plan, 0, "Notebook")
    response = api(cast.admin2).post(HW_URL, {**_payload(sy), "counts_toward": str(notebook.pk)},
                                     format="json")  # fmt: skip
    assert response.status_code == 400
    assert "counts_toward" in response.json()["error"]["fields"]
    assert not Assignment.objects.filter(counts_toward=notebook).exists()


def test_the_admin_offers_internal_components_and_checks_them(cast, school_year, plan, client):
    from django.urls import reverse

    sy = school_year
    hw = homework(cast, sy, None)
    client.force_login(cast.admin)
    change = reverse("admin:homework_assignment_change", args=[hw.pk])
    page = client.get(change)
    assert page.status_code == 200
    offered = set(page.context["adminform"].form.fields["counts_toward"].queryset)
    assert offered == set(Component.objects.filter(plan_term__plan=plan, part="internal"))

    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data["sections"] = [str(s) for s in form["sections"].value()]
    data["allowed_kinds"] = '["pdf"]'
    for split in ("due_at", "cutoff_at", "publish_at"):
        if split in form.fields:
            value = getattr(hw, split)
            data.pop(split)
            data[f"{split}_0"] = value.date().isoformat() if value else ""
            data[f"{split}_1"] = value.time().strftime("%H:%M:%S") if value else ""
    data.update({"attachments-TOTAL_FORMS": "0", "attachments-INITIAL_FORMS": "0",
                 "attachments-MIN_NUM_FORMS": "0", "attachments-MAX_NUM_FORMS": "1000"})  # fmt: skip
    written = component(plan, 0, "Half-yearly")
    data["counts_toward"] = str(written.pk)
    refused = client.post(change, data)
    assert refused.status_code == 200  # the form again, with the error
    assert "counts_toward" in refused.context["adminform"].form.errors
    notebook = component(plan, 0, "Notebook")
    data["counts_toward"] = str(notebook.pk)
    saved = client.post(change, data)
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    hw.refresh_from_db()
    assert hw.counts_toward == notebook
