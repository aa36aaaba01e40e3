"""Results through the API: the boundary cases rounded before the grade, an exam not out of
100, ranks with ties and exclusions, promotion with minimum attendance, the embargo."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.attendance.tests.factories import AttendanceRecordFactory
from apps.exams import services
from apps.exams.models import ExamSettings, GradeScale, ResultRun, StudentResult
from apps.notifications.models import Notification

from .factories import compute, post_marks

pytestmark = pytest.mark.django_db
D = Decimal


def _results(client, **params):
    response = client.get("/api/v1/exams/results/", params)
    assert response.status_code == 200, response.content
    return {r["student_name"]: r for r in response.json()["results"]}


def test_grades_are_looked_up_after_rounding(cast, school_year, final, marked, api,
                                             django_capture_on_commit_callbacks):  # fmt: skip
    compute(api, cast, school_year, final, django_capture_on_commit_callbacks)
    rows = _results(api(cast.admin))
    sam = {s["code"]: s for s in rows["Sam Student"]["subjects"]}
    assert (sam["MATH"]["percent"], sam["MATH"]["grade"]) == ("91", "A1")  # 36.2/40 = 90.5
    assert (sam["SCI"]["percent"], sam["SCI"]["grade"]) == ("90", "A2")  # 90.49
    oscar = {s["code"]: s for s in rows["Oscar Other"]["subjects"]}
    assert (oscar["MATH"]["percent"], oscar["MATH"]["grade"]) == ("33", "D")  # 32.5
    assert (oscar["SCI"]["percent"], oscar["SCI"]["grade"]) == ("33", "D")
    assert oscar["MATH"]["passed"] and oscar["SCI"]["passed"]
    # absent counts as zero by default, and is stored as absent (no marks)
    uma = {s["code"]: s for s in rows["Uma"]["subjects"]}
    assert uma["MATH"]["components"][0]["status"] == "absent"
    assert uma["MATH"]["components"][0]["marks"] is None
    assert (uma["MATH"]["percent"], uma["MATH"]["grade"]) == ("0", "E")
    assert rows["Uma"]["promotion"] == "compartment" and rows["Uma"]["failed_subjects"] == 1
    assert rows["Sam Student"]["percent"] == "90.00"  # mean of 90.5 and 90.49 = 90.495 -> 90
    assert rows["Sam Student"]["grade"] == "A2"
    assert rows["Sam Student"]["cgpa"] == "9.50"  # A1 10 and A2 9
    assert rows["Sam Student"]["promotion"] == "promoted"
    # medical leave is left out of the subject (by default) and from the rank
    mo = {s["code"]: s for s in rows["Mo"]["subjects"]}
    assert mo["MATH"]["percent"] is None and rows["Mo"]["rank_excluded"] is True


def test_ranks_follow_the_school_tie_rule_and_show_only_when_enabled(
    cast, school_year, final, marked, api, django_capture_on_commit_callbacks
):
    compute(api, cast, school_year, final, django_capture_on_commit_callbacks)
    hidden = _results(api(cast.admin))
    assert hidden["Sam Student"]["section_rank"] is None  # the school does not show ranks
    ExamSettings.objects.create(school=cast.school, show_rank=True)
    rows = _results(api(cast.admin))
    ranks = {name: r["section_rank"] for name, r in rows.items()}
    # Sia (5-B) has no marks: no percentage, no rank; Mo was on medical leave
    assert ranks == {"Sam Student": 1, "Oscar Other": 2, "Tia": 2, "Uma": 4, "Mo": None,
                     "Sia Student": None}  # fmt: skip
    ExamSettings.objects.filter(school=cast.school).update(rank_tie_rule="dense")
    compute(api, cast, school_year, final, django_capture_on_commit_callbacks)
    rows = _results(api(cast.admin))
    assert rows["Uma"]["section_rank"] == 3 and rows["Uma"]["class_rank"] == 3


def test_short_attendance_detains(cast, school_year, final, marked, api,
                                  django_capture_on_commit_callbacks):  # fmt: skip
    sy = school_year
    for day in range(1, 11):  # 6 of 10 days present: 60% < 75%
        AttendanceRecordFactory(section=sy.sec_a, student=cast.student,
                                date=dt.date(2026, 7, day),
                                status="present" if day <= 6 else "absent")  # fmt: skip
    compute(api, cast, school_year, final, django_capture_on_commit_callbacks)
    sam = _results(api(cast.admin))["Sam Student"]
    assert (sam["working_days"], sam["days_present"], sam["attendance_percent"]) == (10, 6, "60.00")
    assert sam["promotion"] == "detained"


def test_families_see_nothing_before_the_embargo(cast, school_year, final, marked, api,
                                                 django_capture_on_commit_callbacks):  # fmt: skip
    sy = school_year
    compute(api, cast, sy, final, django_capture_on_commit_callbacks)
    assert _results(api(cast.student.user)) == {}
    assert _results(api(cast.parent)) == {}
    teacher = _results(api(cast.colleague.user))
    assert len(teacher) == 5  # Cole teaches in 5-A
    later = timezone.now() + dt.timedelta(days=2)
    publish = api(cast.admin).post("/api/v1/exams/results/publish/", {
        "school_class": str(sy.klass.pk), "plan_term": str(final.plan_term_id),
        "visible_from": later.isoformat()}, format="json")  # fmt: skip
    assert publish.status_code == 200, publish.content
    assert publish.json()["status"] == "published"
    assert _results(api(cast.student.user)) == {}  # embargoed
    result = StudentResult.objects.get(student=cast.student)
    assert api(cast.parent).get(f"/api/v1/exams/results/{result.pk}/").status_code == 404
    assert Notification.objects.filter(recipient=cast.parent,
                                       kind="exams.results_published").exists()  # fmt: skip
    ResultRun.objects.update(visible_from=timezone.now() - dt.timedelta(minutes=1))
    assert list(_results(api(cast.student.user))) == ["Sam Student"]
    assert sorted(_results(api(cast.parent))) == ["Sam Student", "Sia Student"]  # both children
    assert api(cast.admin2).get(f"/api/v1/exams/results/{result.pk}/").status_code == 404
    # published results are a snapshot: not computed again, and their scale is frozen
    again = api(cast.admin).post("/api/v1/exams/results/compute/", {
        "school_class": str(sy.klass.pk), "plan_term": str(final.plan_term_id)}, format="json")  # fmt: skip
    assert again.status_code == 409
    scale = GradeScale.objects.get(school=cast.school, code="cbse-8")
    assert scale.is_frozen
    patch = api(cast.admin).patch(f"/api/v1/exams/grade-scales/{scale.pk}/", {"name": "x"},
                                  format="json")  # fmt: skip
    assert patch.json()["error"]["code"] == "scale_frozen"
    new = api(cast.admin).post(f"/api/v1/exams/grade-scales/{scale.pk}/new-version/", {},
                               format="json")  # fmt: skip
    assert new.status_code == 201 and new.json()["version"] == 2


def test_weights_across_terms_count_each_term_once(cast, school_year, api,
                                                   django_capture_on_commit_callbacks):  # fmt: skip
    from .factories import exam, make_plan

    sy = school_year
    plan = make_plan(cast, sy)
    admin = api(cast.admin)
    t1 = {"PT1": "40", "PT2": "45", "PT3": "10", "Notebook": "5", "Enrichment": "4",
          "Half-yearly": "60"}  # fmt: skip
    t2 = {"PT1": "50", "PT2": "50", "PT3": "50", "Notebook": "5", "Enrichment": "5",
          "Annual": "80"}  # fmt: skip
    for order, marks in ((0, t1), (1, t2)):
        for name, value in marks.items():
            post_marks(admin, exam(plan, order, name), sy.sec_a, sy.maths,
                       [{"student": cast.student.pk, "marks": value}])  # fmt: skip
    term2 = exam(plan, 1, "Annual").plan_term
    with django_capture_on_commit_callbacks(execute=True):
        services.results_compute_start(school=cast.school, actor=cast.admin,
                                       school_class=sy.klass, plan_term=term2)  # fmt: skip
    sam = StudentResult.objects.get(student=cast.student, run__plan_term=term2)
    maths = next(s for s in sam.subjects if s["code"] == "MATH")
    # Term 1: best 2 of 3 PTs (0.8, 0.9) -> 8.5; notebook 5; enrichment 4; 60/80 x 80 = 60 -> 77.5
    # Term 2: 100. Year 50/50: 88.75 -> 89 (B1? no: 81-90 is A2)
    assert maths["percent"] == "100" and maths["year_percent"] == "89"
    assert maths["year_grade"] == "A2"
    assert [c["counted"] for c in maths["components"][:3]] == [True, True, False]


def test_grace_is_an_audited_adjustment_beside_the_raw_mark(
    cast, school_year, final, marked, api, django_capture_on_commit_callbacks
):
    from apps.core.models import AuditLog
    from apps.exams.models import Mark

    sy = school_year
    mark = Mark.objects.get(student=cast.other_student, subject=sy.science)  # 33 of 100
    url = f"/api/v1/exams/marks/adjust/?mark={mark.pk}"
    assert api(cast.teacher.user).post(url, {"kind": "grace", "delta": "2", "reason": "x"},
                                       format="json").status_code == 403  # fmt: skip
    no_reason = api(cast.admin).post(url, {"kind": "grace", "delta": "2", "reason": ""},
                                     format="json")  # fmt: skip
    assert no_reason.status_code == 400
    too_much = api(cast.admin).post(url, {"kind": "grace", "delta": "70", "reason": "board"},
                                    format="json")  # fmt: skip
    assert too_much.json()["error"]["code"] == "out_of_range"
    done = api(cast.admin).post(url, {"kind": "grace", "delta": "2", "reason": "board policy"},
                                format="json")  # fmt: skip
    assert done.status_code == 201 and done.json()["approved_by"] == str(cast.admin.pk)
    mark.refresh_from_db()
    assert mark.marks == D("33")  # the raw mark is never edited
    assert AuditLog.objects.filter(action="exams.mark.grace", object_id=str(mark.pk)).exists()
    compute(api, cast, sy, final, django_capture_on_commit_callbacks)
    oscar = _results(api(cast.admin))["Oscar Other"]
    science = next(s for s in oscar["subjects"] if s["code"] == "SCI")
    assert science["percent"] == "35"
    assert science["components"][0]["adjustment"] == "2.00"


def test_pending_attendance_in_the_buffer_counts(cast, school_year, final, marked, api,
                                                 django_capture_on_commit_callbacks):  # fmt: skip
    from apps.attendance import services as attendance

    sy = school_year
    # Marked through the attendance service: the marks wait in the write-behind buffer.
    for day in (dt.date(2026, 7, 1), dt.date(2026, 7, 2)):
        attendance.attendance_mark(actor=cast.teacher.user, section=sy.sec_a, date=day,
                                   period=None, entries=[
                                       {"student": cast.student.pk, "status": "present"},
                                       {"student": cast.other_student.pk, "status": "absent"}])  # fmt: skip
    compute(api, cast, sy, final, django_capture_on_commit_callbacks)
    rows = _results(api(cast.admin))
    assert (rows["Sam Student"]["working_days"], rows["Sam Student"]["days_present"]) == (2, 2)
    assert rows["Oscar Other"]["attendance_percent"] == "0.00"
    assert rows["Oscar Other"]["promotion"] == "detained"
