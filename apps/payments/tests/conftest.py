"""The cast's school with a fee structure for Class 5 (tuition 12,000 a year, quarterly) and
its first installment issued to the cast's student, their sibling and another student (3,000
each, due 10 April 2026). Gateways run offline on the local development keys, so no request
leaves the process; webhooks are signed with the adapters' own signing helpers."""

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
from apps.fees import services as fees
from apps.fees.models import Invoice
from apps.fees.tests.factories import FeeHeadFactory


@pytest.fixture(autouse=True)
def _gateways(settings):
    keys = settings.PAYMENT_DEVELOPMENT_KEYS
    for name, value in keys.items():
        setattr(settings, name, value)
    settings.RAZORPAY_WEBHOOK_SECRET = f"{keys['RAZORPAY_WEBHOOK_SECRET']},old-hook-secret"
    settings.PAYMENTS_OFFLINE_GATEWAYS = True
    settings.PAYMENTS_MINIMUM_AMOUNT = Decimal("100")


@dataclass
class Bills:
    student: Invoice
    sibling: Invoice
    other: Invoice


@pytest.fixture
def bills(cast) -> Bills:
    year = AcademicYearFactory(
        school=cast.school, name="2026-27", start_date=dt.date(2026, 4, 1),
        end_date=dt.date(2027, 3, 31), is_current=True,
    )  # fmt: skip
    section = SectionFactory(
        school_class=SchoolClassFactory(school=cast.school, name="Class 5", order=5), year=year
    )
    for roll, student in enumerate((cast.student, cast.sibling, cast.other_student), start=1):
        EnrollmentFactory(section=section, student=student, roll_number=roll)
    head = FeeHeadFactory(school=cast.school, name="Tuition", code="TUI", is_tuition=True,
                          refundable=True)  # fmt: skip
    structure = fees.structure_create(
        school=cast.school, actor=cast.admin, name="Class 5 2026-27",
        school_class=section.school_class, year=year, plan="quarterly", due_day=10,
        lines=[{"head": head, "amount": Decimal("12000.00")}],
    )  # fmt: skip
    from django.db import transaction

    with transaction.atomic():
        fees.generate_for_structure(structure=structure, installment_number=1,
                                    issue_date=dt.date(2026, 4, 1))  # fmt: skip
    invoices = Invoice.objects.filter(structure=structure)
    return Bills(
        student=invoices.get(student=cast.student),
        sibling=invoices.get(student=cast.sibling),
        other=invoices.get(student=cast.other_student),
    )
