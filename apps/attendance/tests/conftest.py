"""The attendance cast: the shared `school_year` (root conftest) in a current academic year that
contains today in the school's timezone, so past weekdays can be marked whatever day the suite
runs.

Sam has a second guardian, Max, besides Pat (cast.parent). `att.day` is the last weekday before
today (inside the edit window), `att.old_day` a weekday well before the window. 5-A's timetable
on `day`'s weekday: period 1 Mathematics by Tara (cast.teacher), period 2 Science by Cole
(cast.colleague). Every test gets a private write-buffer namespace in Redis.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from apps.academics.tests.factories import TimetableEntryFactory
from apps.accounts.models import Role
from apps.accounts.tests.factories import GuardianFactory, UserFactory
from apps.attendance import selectors
from apps.core.testing import buffer_namespace, year_around

from .factories import last_weekday_before


@pytest.fixture(autouse=True)
def ns(settings):
    """A private write-buffer namespace (`apps.core.testing.buffer_namespace`) and the default
    edit window."""
    settings.ATTENDANCE_EDIT_WINDOW_DAYS = 3
    with buffer_namespace(settings, "att") as prefix:
        yield prefix


@pytest.fixture
def school_year_span(cast):
    return year_around(selectors.school_today(cast.school))


@dataclass
class Att:
    today: dt.date
    day: dt.date
    old_day: dt.date
    p1: object  # 5-A period 1 on day's weekday: Mathematics, Tara
    p2: object  # 5-A period 2 on day's weekday: Science, Cole
    second_guardian: object  # User (parent) of Sam


@pytest.fixture
def att(cast, school_year) -> Att:
    today = selectors.school_today(cast.school)
    day = last_weekday_before(today)
    p1 = TimetableEntryFactory(
        section=school_year.sec_a,
        weekday=day.weekday(),
        period=1,
        start_time=dt.time(9, 0),
        end_time=dt.time(9, 45),
        subject=school_year.maths,
        teacher=cast.teacher,
    )
    p2 = TimetableEntryFactory(
        section=school_year.sec_a,
        weekday=day.weekday(),
        period=2,
        start_time=dt.time(9, 45),
        end_time=dt.time(10, 30),
        subject=school_year.science,
        teacher=cast.colleague,
    )
    max_parent = UserFactory(
        school=cast.school, role=Role.PARENT, full_name="Max Parent", email="max@alice.test"
    )
    GuardianFactory(student=cast.student, parent=max_parent, relation="father")
    return Att(
        today=today,
        day=day,
        old_day=last_weekday_before(today - dt.timedelta(days=10)),
        p1=p1,
        p2=p2,
        second_guardian=max_parent,
    )
