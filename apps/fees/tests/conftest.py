"""The fee office of the cast's school: a current year, Class 5 with section A where the cast's
student, their sibling and another student are enrolled, fee heads (tuition, transport,
a taxable lab fee, a refundable caution deposit) and a quarterly structure for Class 5.

Quarterly installment 1 is due on 10 April 2026: tuition 3,000 + transport 1,500 + lab 300 +
18% GST on the lab fee (27 CGST + 27 SGST) + caution deposit 1,000 (only in the first quarter's
share: 4,000 a year split in four) = 5,854.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from apps.academics.tests.factories import (
    AcademicYearFactory,
    EnrollmentFactory,
    SchoolClassFactory,
    SectionFactory,
)
from apps.fees import services
from apps.fees.tests.factories import FeeHeadFactory

D = Decimal


@dataclass
class Office:
    year: object
    school_class: object
    section: object
    tuition: object
    transport: object
    lab: object
    caution: object
    structure: object


@pytest.fixture
def office(cast) -> Office:
    school = cast.school
    year = AcademicYearFactory(
        school=school,
        name="2026-27",
        start_date=dt.date(2026, 4, 1),
        end_date=dt.date(2027, 3, 31),
        is_current=True,
    )
    school_class = SchoolClassFactory(school=school, name="Class 5", order=5)
    section = SectionFactory(school_class=school_class, year=year, name="A")
    for roll, student in enumerate((cast.student, cast.sibling, cast.other_student), start=1):
        EnrollmentFactory(section=section, student=student, roll_number=roll)
    tuition = FeeHeadFactory(school=school, name="Tuition", code="TUI", is_tuition=True)
    transport = FeeHeadFactory(school=school, name="Transport", code="TRN")
    lab = FeeHeadFactory(
        school=school, name="Lab", code="LAB", tax_class="taxable", gst_rate=D("18"),
        hsn_sac="999293",
    )  # fmt: skip
    caution = FeeHeadFactory(school=school, name="Caution deposit", code="CAU", refundable=True)
    structure = services.structure_create(
        school=school,
        actor=cast.admin,
        name="Class 5 2026-27",
        school_class=school_class,
        year=year,
        plan="quarterly",
        due_day=10,
        lines=[
            {"head": tuition, "amount": D("12000.00")},
            {"head": transport, "amount": D("6000.00")},
            {"head": lab, "amount": D("1200.00")},
            {"head": caution, "amount": D("4000.00")},
        ],
    )
    return Office(year, school_class, section, tuition, transport, lab, caution, structure)


def issue(office, number: int = 1, *, issue_date=dt.date(2026, 4, 1)) -> int:
    """Issue installment `number` to the section (what the job does), at once."""
    from django.db import transaction

    with transaction.atomic():
        return services.generate_for_structure(
            structure=office.structure, installment_number=number, issue_date=issue_date
        )
