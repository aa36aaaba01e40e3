"""Marks entry through the API: one request per paper, who may enter, maxima, absent vs zero,
the entry window and the lock, amendments with reasons in the audit log, constant queries, and
what students and parents may read."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.academics.tests.factories import EnrollmentFactory
from apps.accounts.tests.factories import StudentFactory
from apps.calendar.tests.factories import ExamScheduleEntryFactory
from apps.core.models import AuditLog
from apps.exams import services
from apps.exams.models import Mark, MarkStatus

from .factories import CLOSED, exam, make_plan, post_marks

pytestmark = pytest.mark.django_db
D = Decimal


def test_the_subject_teacher_enters_a_paper_in_one_request(cast, school_year, plan, api):
    sy = school_year
    half = exam(plan, 0, "Half-yearly")
    response = post_marks(api(cast.teacher.user), half, sy.sec_a, sy.maths, [
        {"student": cast.student.pk, "marks": "72.5", "status": "present"},
        {"student": cast.other_student.pk, "marks": None, "status": "absent"},
    ])  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["max_marks"] == "80.00"
    rows = {r["student"]: r for r in body["entries"]}
    assert rows[str(cast.student.pk)]["marks"] == "72.50"
    assert (
        rows[str(cast.other_student.pk)] | {"marks": None, "status": "absent"}
        == rows[str(cast.other_student.pk)]
    )
    absent = Mark.objects.get(student=cast.other_student, exam=half)
    assert absent.marks is None and absent.status == MarkStatus.ABSENT  # absent is not zero
    assert AuditLog.objects.filter(action="exams.mark.enter").count() == 2


def test_a_colleague_of_another_subject_and_a_class_teacher_may_not(cast, school_year, plan, api):
    sy = school_year
    half = exam(plan, 0, "Half-yearly")
    entry = [{"student": cast.student.pk, "marks": "50", "status": "present"}]
    colleague = post_marks(api(cast.colleague.user), half, sy.sec_a, sy.maths, entry)
    assert colleague.status_code == 403
    assert colleague.json()["error"]["code"] == "not_subject_teacher"
    # Cole teaches Science in 5-A: he enters that paper
    assert (
        post_marks(api(cast.colleague.user), half, sy.sec_a, sy.science, entry).status_code == 200
    )
    # Vera is 5-B's class teacher and teaches Mathematics there, not Science
    sia = [{"student": cast.sibling.pk, "marks": "50", "status": "present"}]
    vera = post_marks(api(sy.vera.user), half, sy.sec_b, sy.science, sia)
    assert vera.status_code == 403
    assert post_marks(api(sy.vera.user), half, sy.sec_b, sy.maths, sia).status_code == 200
    # another school's admin finds nothing of this school
    other = post_marks(api(cast.admin2), half, sy.sec_a, sy.maths, entry)
    assert other.status_code in (400, 404)
    assert not Mark.objects.filter(entered_by=cast.admin2).exists()
    assert post_marks(api(cast.parent), half, sy.sec_a, sy.maths, entry).status_code == 403


def test_bad_entries_are_400s_with_per_row_errors(cast, school_year, plan, api):
    sy = school_year
    half = exam(plan, 0, "Half-yearly")
    response = post_marks(api(cast.teacher.user), half, sy.sec_a, sy.maths, [
        {"student": cast.student.pk, "marks": "80.5", "status": "present"},
        {"student": cast.other_student.pk, "marks": "0", "status": "absent"},
        {"student": cast.sibling.pk, "marks": "10", "status": "present"},  # in 5-B
    ])  # fmt: skip
    assert response.status_code == 400
    errors = response.json()["error"]["fields"]["entries"]
    assert "marks" in errors[0] and "marks" in errors[1] and "student" in errors[2]
    assert not Mark.objects.exists()  # all or nothing
    missing = post_marks(api(cast.teacher.user), half, sy.sec_a, sy.maths,
                         [{"student": cast.student.pk, "status": "present"}])  # fmt: skip
    assert missing.status_code == 400
    text = post_marks(api(cast.teacher.user), half, sy.sec_a, sy.maths,
                      [{"student": cast.student.pk, "marks": "abc"}])  # fmt: skip
    assert text.status_code == 400


def test_the_paper_maximum_comes_from_the_exam_schedule(cast, school_year, plan, api):
    sy = school_year
    half = exam(plan, 0, "Half-yearly")
    paper = ExamScheduleEntryFactory(section=sy.sec_a, subject=sy.maths, max_marks=40)
    services.exam_update(exam=half, actor=cast.admin, data={"schedule_entries": [paper]})
    over = post_marks(api(cast.teacher.user), half, sy.sec_a, sy.maths,
                      [{"student": cast.student.pk, "marks": "41", "status": "present"}])  # fmt: skip
    assert over.status_code == 400
    ok = post_marks(api(cast.teacher.user), half, sy.sec_a, sy.maths,
                    [{"student": cast.student.pk, "marks": "36.2", "status": "present"}])  # fmt: skip
    assert ok.json()["max_marks"] == "40.00"
    # the exam has papers: a subject without one is refused
    no_paper = post_marks(api(cast.colleague.user), half, sy.sec_a, sy.science,
                          [{"student": cast.student.pk, "marks": "3", "status": "present"}])  # fmt: skip
    assert no_paper.json()["error"]["code"] == "no_paper"


def test_after_the_window_only_an_admin_with_a_reason_changes_marks(cast, school_year, api):
    sy = school_year
    plan = make_plan(cast, sy, window=CLOSED)
    half = exam(plan, 0, "Half-yearly")
    entry = [{"student": cast.student.pk, "marks": "60", "status": "present"}]
    teacher = post_marks(api(cast.teacher.user), half, sy.sec_a, sy.maths, entry)
    assert teacher.status_code == 403
    assert teacher.json()["error"]["code"] == "entry_closed"
    no_reason = post_marks(api(cast.admin), half, sy.sec_a, sy.maths, entry)
    assert no_reason.json()["error"]["code"] == "reason_required"
    assert post_marks(api(cast.admin), half, sy.sec_a, sy.maths, entry,
                      reason="late sheet").status_code == 200  # fmt: skip
    entry[0]["marks"] = "65"
    assert post_marks(api(cast.admin), half, sy.sec_a, sy.maths, entry,
                      reason="recount").status_code == 200  # fmt: skip
    log = AuditLog.objects.filter(action="exams.mark.amend").order_by("created_at", "id").last()
    assert log.actor == cast.admin
    assert D(log.before["marks"]) == D("60") and D(log.after["marks"]) == D("65")
    assert log.after["reason"] == "recount"


def test_a_locked_exam_needs_an_admin_and_a_reason(cast, school_year, plan, api):
    sy = school_year
    half = exam(plan, 0, "Half-yearly")
    entry = [{"student": cast.student.pk, "marks": "60", "status": "present"}]
    assert post_marks(api(cast.teacher.user), half, sy.sec_a, sy.maths, entry).status_code == 200
    locked = api(cast.admin).post(f"/api/v1/exams/exams/{half.pk}/lock/", {}, format="json")
    assert locked.json()["is_locked"] is True
    entry[0]["marks"] = "70"
    assert post_marks(api(cast.teacher.user), half, sy.sec_a, sy.maths, entry).status_code == 403
    assert post_marks(api(cast.admin), half, sy.sec_a, sy.maths, entry,
                      reason="moderation board").status_code == 200  # fmt: skip
    assert Mark.objects.get(student=cast.student, exam=half).marks == D("70")


def _enrol(sy, count, start):
    students = []
    for i in range(count):
        student = StudentFactory(school=sy.klass.school)
        EnrollmentFactory(section=sy.sec_a, student=student, roll_number=start + i)
        students.append(student)
    return students


def test_query_count_is_constant_in_the_number_of_students(cast, school_year, plan, api):
    sy = school_year
    half = exam(plan, 0, "Half-yearly")
    client = api(cast.teacher.user)
    warm = _enrol(sy, 1, 5)  # the first request also caches who is asking
    few = _enrol(sy, 2, 10)
    many = _enrol(sy, 12, 20)
    counts = []
    for group in (warm, few, many):
        entries = [{"student": s.pk, "marks": "40", "status": "present"} for s in group]
        with CaptureQueriesContext(connection) as ctx:
            assert post_marks(client, half, sy.sec_a, sy.maths, entries).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[1] == counts[2], counts
    with CaptureQueriesContext(connection) as ctx:
        client.get("/api/v1/exams/marks/", {"exam": half.pk, "section": sy.sec_a.pk,
                                            "subject": sy.maths.pk})  # fmt: skip
    small = len(ctx.captured_queries)
    _enrol(sy, 10, 40)
    with CaptureQueriesContext(connection) as ctx:
        client.get("/api/v1/exams/marks/", {"exam": half.pk, "section": sy.sec_a.pk,
                                            "subject": sy.maths.pk})  # fmt: skip
    assert len(ctx.captured_queries) == small


def test_families_read_only_their_own_and_only_once_published(
    cast, school_year, plan, api, django_capture_on_commit_callbacks
):
    from apps.exams.models import ResultRun

    sy = school_year
    half = exam(plan, 0, "Half-yearly")
    post_marks(api(cast.teacher.user), half, sy.sec_a, sy.maths, [
        {"student": cast.student.pk, "marks": "70", "status": "present"},
        {"student": cast.other_student.pk, "marks": "30", "status": "present"},
    ])  # fmt: skip
    query = {"exam": half.pk, "section": sy.sec_a.pk, "subject": sy.maths.pk}
    assert api(cast.student.user).get("/api/v1/exams/marks/", query).status_code == 404
    assert api(cast.parent).get("/api/v1/exams/marks/", query).status_code == 404
    teacher = api(cast.colleague.user).get("/api/v1/exams/marks/", query)
    assert len(teacher.json()["entries"]) == 2
    with django_capture_on_commit_callbacks(execute=True):
        run = services.results_compute_start(school=cast.school, actor=cast.admin,
                                             school_class=sy.klass, plan_term=half.plan_term)[1]  # fmt: skip
    services.results_publish(run=ResultRun.objects.get(pk=run.pk), actor=cast.admin)
    own = api(cast.student.user).get("/api/v1/exams/marks/", query).json()["entries"]
    assert [r["student"] for r in own] == [str(cast.student.pk)]
    assert own[0]["marks"] == "70.00"
    parent = api(cast.parent).get("/api/v1/exams/marks/", query).json()["entries"]
    assert [r["student"] for r in parent] == [str(cast.student.pk)]
    # the sibling's section (5-B) is the parent's too, but 5-B's paper is not 5-A's
    assert api(cast.admin2).get("/api/v1/exams/marks/", query).status_code in (400, 404)
