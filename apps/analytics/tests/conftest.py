"""A pinned clock (Tuesday 15 September 2026, 10:00 in Kolkata) inside school one's 2026-27
year, and a week of daily marks in 5-A and 5-B."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from apps.attendance.tests.factories import AttendanceRecordFactory
from apps.core.testing import buffer_namespace
from apps.exams.tests.conftest import final  # noqa: F401  (a one-exam plan for Class 5)

NOW = dt.datetime(2026, 9, 15, 4, 30, tzinfo=dt.UTC)
TODAY = dt.date(2026, 9, 15)
WEEK = [dt.date(2026, 9, 7) + dt.timedelta(days=i) for i in range(5)]  # Mon 7 .. Fri 11


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def ns(settings):
    with buffer_namespace(settings, "analytics") as prefix:
        yield prefix


@pytest.fixture
def week(cast, school_year):
    """Sam absent Tue-Thu (a three-day streak), late on Friday; Oscar present every day; Sia (5-B)
    present, excused on Monday."""
    sy = school_year
    sam = ["present", "absent", "absent", "absent", "late"]
    for day, status in zip(WEEK, sam, strict=True):
        extra = {"late_minutes": 5} if status == "late" else {}
        AttendanceRecordFactory(section=sy.sec_a, student=cast.student, date=day, status=status,
                                **extra)  # fmt: skip
        AttendanceRecordFactory(section=sy.sec_a, student=cast.other_student, date=day)
        AttendanceRecordFactory(
            section=sy.sec_b, student=cast.sibling, date=day,
            status="excused" if day == WEEK[0] else "present",
            reason="Fever" if day == WEEK[0] else "",
        )  # fmt: skip
    return sy
