"""The `academics` fixture: the shared cast (see the root conftest) placed in a school year.

School one, current year 2026-27: Class 5 with sections 5-A (room R5A) and 5-B (room R5B);
subjects Mathematics and Science; Tara Teacher (cast.teacher) teaches Mathematics in 5-A;
Sam (cast.student, roll 1) and Oscar (cast.other_student, roll 2) are in 5-A, Sia
(cast.sibling, roll 1) in 5-B. School two has its own current year, class, section and subject.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from .factories import (
    AcademicYearFactory,
    EnrollmentFactory,
    SchoolClassFactory,
    SectionFactory,
    SubjectFactory,
    TeachingAssignmentFactory,
)


@dataclass
class Academics:
    year: object
    klass: object
    sec_a: object
    sec_b: object
    maths: object
    science: object
    assignment: object  # cast.teacher -> 5-A Mathematics
    enrol_student: object
    enrol_other: object
    enrol_sibling: object
    year2: object  # school two
    klass2: object
    sec2: object
    subject2: object


@pytest.fixture
def academics(cast) -> Academics:
    year = AcademicYearFactory(
        school=cast.school,
        name="2026-27",
        start_date=dt.date(2026, 4, 1),
        end_date=dt.date(2027, 3, 31),
        is_current=True,
    )
    klass = SchoolClassFactory(school=cast.school, name="Class 5", order=5)
    sec_a = SectionFactory(school_class=klass, year=year, name="A", room="R5A")
    sec_b = SectionFactory(school_class=klass, year=year, name="B", room="R5B")
    maths = SubjectFactory(school=cast.school, name="Mathematics", code="MATH")
    science = SubjectFactory(school=cast.school, name="Science", code="SCI")
    assignment = TeachingAssignmentFactory(section=sec_a, subject=maths, teacher=cast.teacher)
    year2 = AcademicYearFactory(
        school=cast.school2,
        name="2026-27",
        start_date=dt.date(2026, 6, 1),
        end_date=dt.date(2027, 4, 30),
        is_current=True,
    )
    klass2 = SchoolClassFactory(school=cast.school2, name="Class 5", order=5)
    return Academics(
        year=year,
        klass=klass,
        sec_a=sec_a,
        sec_b=sec_b,
        maths=maths,
        science=science,
        assignment=assignment,
        enrol_student=EnrollmentFactory(section=sec_a, student=cast.student, roll_number=1),
        enrol_other=EnrollmentFactory(section=sec_a, student=cast.other_student, roll_number=2),
        enrol_sibling=EnrollmentFactory(section=sec_b, student=cast.sibling, roll_number=1),
        year2=year2,
        klass2=klass2,
        sec2=SectionFactory(school_class=klass2, year=year2, name="A"),
        subject2=SubjectFactory(school=cast.school2, name="Mathematics", code="MATH"),
    )
