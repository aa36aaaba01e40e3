"""The attendance cast: the shared cast (root conftest) in a current academic year that contains
today in the school's timezone, so past weekdays can be marked whatever day the suite runs.

School one: Class 5 with 5-A (class teacher Tara = cast.teacher; Sam roll 1, Oscar roll 2) and
5-B (class teacher Vera; Sia roll 1). Sam has two guardians (Pat = cast.parent, and Max).
`day` is the last weekday before today (inside the edit window), `old_day` a weekday well
before the window. 5-A's timetable on `day`'s weekday: period 1 Mathematics by Tara, period 2
Science by Vera. Every test gets a private write-buffer namespace in Redis.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from apps.academics.tests.factories import (
    AcademicYearFactory,
    EnrollmentFactory,
    SchoolClassFactory,
    SectionFactory,
    SubjectFactory,
    TeachingAssignmentFactory,
    TimetableEntryFactory,
)
from apps.accounts.models import Role
from apps.accounts.tests.factories import GuardianFactory, TeacherFactory, UserFactory
from apps.attendance import selectors
from apps.attendance.buffer_kinds import KIND
from apps.core import buffer
from apps.core.testing import buffer_namespace


@pytest.fixture(autouse=True)
def ns(settings):
    """A private write-buffer namespace (`apps.core.testing.buffer_namespace`) and the default
    edit window."""
    settings.ATTENDANCE_EDIT_WINDOW_DAYS = 3
    with buffer_namespace(settings, "att") as prefix:
        yield prefix


def flush_here() -> int:
    """Flush the attendance kind on this thread and connection, so the rows it writes see the
    test's uncommitted cast."""
    return buffer.flush(KIND, workers=0).records


def last_weekday_before(day: dt.date) -> dt.date:
    day -= dt.timedelta(days=1)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


@dataclass
class Att:
    today: dt.date
    day: dt.date
    old_day: dt.date
    year: object
    sec_a: object
    sec_b: object
    maths: object
    science: object
    vera: object  # TeacherProfile, class teacher of 5-B, teaches Science in 5-A
    p1: object  # 5-A period 1 on day's weekday: Mathematics, Tara
    p2: object  # 5-A period 2 on day's weekday: Science, Vera
    second_guardian: object  # User (parent) of Sam


@pytest.fixture
def att(cast) -> Att:
    today = selectors.school_today(cast.school)
    day = last_weekday_before(today)
    old_day = last_weekday_before(today - dt.timedelta(days=10))
    year = AcademicYearFactory(
        school=cast.school,
        name="Current",
        start_date=today - dt.timedelta(days=120),
        end_date=today + dt.timedelta(days=200),
        is_current=True,
    )
    klass = SchoolClassFactory(school=cast.school, name="Class 5", order=5)
    vera = TeacherFactory(
        school=cast.school, user__full_name="Vera Teacher", user__email="vera@alice.test"
    )
    sec_a = SectionFactory(school_class=klass, year=year, name="A", class_teacher=cast.teacher)
    sec_b = SectionFactory(school_class=klass, year=year, name="B", class_teacher=vera)
    maths = SubjectFactory(school=cast.school, name="Mathematics", code="MATH")
    science = SubjectFactory(school=cast.school, name="Science", code="SCI")
    TeachingAssignmentFactory(section=sec_a, subject=maths, teacher=cast.teacher)
    TeachingAssignmentFactory(section=sec_a, subject=science, teacher=vera)
    EnrollmentFactory(section=sec_a, student=cast.student, roll_number=1)
    EnrollmentFactory(section=sec_a, student=cast.other_student, roll_number=2)
    EnrollmentFactory(section=sec_b, student=cast.sibling, roll_number=1)
    p1 = TimetableEntryFactory(
        section=sec_a,
        weekday=day.weekday(),
        period=1,
        start_time=dt.time(9, 0),
        end_time=dt.time(9, 45),
        subject=maths,
        teacher=cast.teacher,
    )
    p2 = TimetableEntryFactory(
        section=sec_a,
        weekday=day.weekday(),
        period=2,
        start_time=dt.time(9, 45),
        end_time=dt.time(10, 30),
        subject=science,
        teacher=vera,
    )
    max_parent = UserFactory(
        school=cast.school, role=Role.PARENT, full_name="Max Parent", email="max@alice.test"
    )
    GuardianFactory(student=cast.student, parent=max_parent, relation="father")
    return Att(
        today=today,
        day=day,
        old_day=old_day,
        year=year,
        sec_a=sec_a,
        sec_b=sec_b,
        maths=maths,
        science=science,
        vera=vera,
        p1=p1,
        p2=p2,
        second_guardian=max_parent,
    )
