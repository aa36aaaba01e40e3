"""The locks behind the rules: two admins acting at the same moment cannot break them.

Each test starts two threads (two database connections) at a barrier and lets both try a write
that only one may make. Without the lock both would pass their checks before either commits.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from apps.academics import services
from apps.academics.models import AcademicYear, Enrollment, TimetableEntry
from apps.accounts.tests.factories import StudentFactory
from apps.core.exceptions import ApplicationError

from .factories import (
    AcademicYearFactory,
    SchoolClassFactory,
    SectionFactory,
    SubjectFactory,
    TeachingAssignmentFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def race(*calls) -> list[str]:
    """Run `calls` at the same moment, each in its own thread; "ok" or the refusal's code."""
    barrier = threading.Barrier(len(calls))
    results: list[str] = []

    def run(call):
        try:
            barrier.wait(timeout=10)
            call()
            results.append("ok")
        except ApplicationError as exc:
            results.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(results)


def test_two_enrollments_into_the_last_place(cast):
    section = SectionFactory(school_class__school=cast.school, capacity=1)
    first, second = StudentFactory(school=cast.school), StudentFactory(school=cast.school)
    results = race(
        lambda: services.enrollment_create(student=first, section=section, actor=cast.admin),
        lambda: services.enrollment_create(student=second, section=section, actor=cast.admin),
    )
    assert results == ["ok", "section_full"]
    assert Enrollment.objects.filter(section=section).count() == 1


def test_two_overlapping_years_at_once(cast):
    def create(name, start):
        return lambda: services.academic_year_create(
            school=cast.school,
            actor=cast.admin,
            name=name,
            start_date=start,
            end_date=start + dt.timedelta(days=300),
        )

    results = race(create("A", dt.date(2030, 4, 1)), create("B", dt.date(2030, 6, 1)))
    assert results == ["ok", "year_overlap"]
    assert AcademicYear.objects.filter(school=cast.school).count() == 1


def test_one_teacher_booked_twice_at_once(cast):
    year = AcademicYearFactory(school=cast.school)
    klass = SchoolClassFactory(school=cast.school)
    maths = SubjectFactory(school=cast.school)
    a = SectionFactory(school_class=klass, year=year, name="A")
    b = SectionFactory(school_class=klass, year=year, name="B")
    for section in (a, b):
        TeachingAssignmentFactory(section=section, subject=maths, teacher=cast.teacher)

    def book(section):
        return lambda: services.timetable_entry_create(
            section=section,
            weekday=0,
            period=1,
            start_time=dt.time(9),
            end_time=dt.time(9, 45),
            subject=maths,
            teacher=cast.teacher,
            actor=cast.admin,
        )

    assert race(book(a), book(b)) == ["ok", "timetable_clash"]
    assert TimetableEntry.objects.filter(teacher=cast.teacher).count() == 1
