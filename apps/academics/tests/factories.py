"""Factories for the academic structure. They write rows directly (no service rules), so tests
can set up any state quickly; tests of the rules go through the API."""

from __future__ import annotations

import datetime as dt

import factory

from apps.academics.models import (
    AcademicYear,
    Enrollment,
    SchoolClass,
    Section,
    Subject,
    TeachingAssignment,
    Term,
    TimetableEntry,
)
from apps.accounts.tests.factories import SchoolFactory, StudentFactory, TeacherFactory


class AcademicYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AcademicYear

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"{1900 + n}-{(1901 + n) % 100:02d}")
    start_date = factory.Sequence(lambda n: dt.date(1900 + n, 4, 1))
    end_date = factory.LazyAttribute(lambda o: dt.date(o.start_date.year + 1, 3, 31))
    is_current = False


class TermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Term

    year = factory.SubFactory(AcademicYearFactory)
    school = factory.SelfAttribute("year.school")
    name = factory.Sequence(lambda n: f"Term {n}")
    start_date = factory.SelfAttribute("year.start_date")
    end_date = factory.LazyAttribute(lambda o: o.year.start_date + dt.timedelta(days=90))


class SchoolClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolClass

    school = factory.SubFactory(SchoolFactory)
    # "Class F<n>": never one of the plain "Class 5" names the test casts give their classes.
    name = factory.Sequence(lambda n: f"Class F{n}")
    order = factory.Sequence(lambda n: n)


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    school_class = factory.SubFactory(SchoolClassFactory)
    school = factory.SelfAttribute("school_class.school")
    year = factory.SubFactory(AcademicYearFactory, school=factory.SelfAttribute("..school"))
    name = factory.Sequence(lambda n: f"S{n}")
    capacity = 40


class SubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subject

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Subject {n}")
    code = factory.Sequence(lambda n: f"SUB{n}")


class TeachingAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeachingAssignment

    section = factory.SubFactory(SectionFactory)
    school = factory.SelfAttribute("section.school")
    teacher = factory.SubFactory(TeacherFactory, school=factory.SelfAttribute("..school"))
    subject = factory.SubFactory(SubjectFactory, school=factory.SelfAttribute("..school"))
    year = factory.SelfAttribute("section.year")


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    section = factory.SubFactory(SectionFactory)
    school = factory.SelfAttribute("section.school")
    student = factory.SubFactory(StudentFactory, school=factory.SelfAttribute("..school"))
    year = factory.SelfAttribute("section.year")
    roll_number = factory.Sequence(lambda n: n + 1)


class TimetableEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimetableEntry

    section = factory.SubFactory(SectionFactory)
    school = factory.SelfAttribute("section.school")
    weekday = 0
    period = 1
    start_time = dt.time(9, 0)
    end_time = dt.time(9, 45)
    subject = factory.SubFactory(SubjectFactory, school=factory.SelfAttribute("..school"))
    teacher = factory.SubFactory(TeacherFactory, school=factory.SelfAttribute("..school"))
    room = ""
