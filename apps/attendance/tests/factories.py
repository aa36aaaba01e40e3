"""Attendance test data: a factory for stored marks (written directly, no service rules) and the
helpers that mark through the API, read marks back and flush the write buffer."""

from __future__ import annotations

import datetime as dt

import factory

from apps.academics.tests.factories import SectionFactory
from apps.accounts.tests.factories import StudentFactory
from apps.attendance.buffer_kinds import KIND
from apps.attendance.models import AttendanceRecord, mark_id
from apps.core import buffer

MARK = "/api/v1/attendance/mark/"
LIST = "/api/v1/attendance/"


class AttendanceRecordFactory(factory.django.DjangoModelFactory):
    """A flushed daily mark (`period=None`); its id is the natural-key id the buffer uses."""

    class Meta:
        model = AttendanceRecord

    section = factory.SubFactory(SectionFactory)
    school = factory.SelfAttribute("section.school")
    student = factory.SubFactory(StudentFactory, school=factory.SelfAttribute("..school"))
    date = dt.date(2026, 9, 1)
    period = None
    status = "present"
    ts = 1
    id = factory.LazyAttribute(
        lambda o: mark_id(o.school.pk, o.student.pk, o.date, o.period.pk if o.period else None)
    )


def last_weekday_before(day: dt.date) -> dt.date:
    day -= dt.timedelta(days=1)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def flush_here() -> int:
    """Flush the attendance kind on this thread and connection, so the rows it writes see the
    test's uncommitted cast."""
    return buffer.flush(KIND, workers=0).records


def mark(api, user, section, date, entries, period=None):
    """POST a register for `section` on `date` as `user`; returns the response."""
    return api(user).post(
        MARK,
        {
            "section": str(section.pk),
            "date": date.isoformat(),
            "period": str(period.pk) if period else None,
            "entries": entries,
        },
        format="json",
    )


def entry(student, status="present", **extra):
    return {"student": str(student.pk), "status": status, **extra}


def db_marks(**flt) -> dict:
    """The stored marks matching `flt`, keyed like `as_db` keys the API's marks."""
    return {
        (str(r.student_id), r.date, str(r.period_id) if r.period_id else None): (
            r.status,
            r.late_minutes,
            r.reason,
            r.remarks,
            r.ts,
            str(r.id),
        )
        for r in AttendanceRecord.objects.filter(**flt)
    }


def as_db(marks: list[dict]) -> dict:
    """The API's marks in `db_marks`'s shape."""
    return {
        (m["student"], dt.date.fromisoformat(m["date"]), m["period"]): (
            m["status"],
            m["late_minutes"],
            m["reason"],
            m["remarks"],
            m["ts"],
            m["id"],
        )
        for m in marks
    }
