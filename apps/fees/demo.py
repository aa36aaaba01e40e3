"""The demo school's fee office (called by `seed_demo`, after academics and transport): fee
heads (tuition, transport priced per rider by the transport app's stop fees, exam, lab, annual
charges), a late-fine rule, a quarterly structure for each of
classes 1-12 in the current year, and the first quarter's invoices issued to every enrolled
student, of which about half are paid, a fifth partly paid and the rest unpaid (overdue once
the due date has passed). The demo parent owes for both children: the demo student's invoice
is partly paid, the sibling's unpaid. Idempotent: what exists is kept; payments are seeded only
into a school that has none.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.academics.models import AcademicYear, SchoolClass
from apps.accounts.models import StudentProfile

from . import services
from .models import FeeHead, FeeSettings, FeeStructure, Invoice, LateFineRule, Payment

D = Decimal
HEADS = [
    # code, name, tax class, GST rate, SAC, tuition, pricing
    ("TUI", "Tuition fee", "exempt", D("0"), "", True, "structure"),
    ("TRN", "Transport fee", "exempt", D("0"), "", False, "transport"),
    ("EXM", "Examination fee", "exempt", D("0"), "", False, "structure"),
    ("LAB", "Laboratory fee", "taxable", D("18"), "999293", False, "structure"),
    ("ANN", "Annual charges", "exempt", D("0"), "", False, "structure"),
]
DEMO_STUDENT = "DPS-0001"
DEMO_SIBLING = "DPS-0002"


def yearly_lines(order: int, heads: dict[str, FeeHead]) -> list[dict]:
    """What a class pays in a year: tuition rising with the class, a lab fee from class 6; the
    transport line only names the head (each rider pays their stop's fee for the days ridden)."""
    lines = [
        {"head": heads["TUI"], "amount": D(24000 + 2400 * order)},
        {"head": heads["TRN"], "amount": D("0")},
        {"head": heads["EXM"], "amount": D("2000")},
        {"head": heads["ANN"], "amount": D("4000")},
    ]
    if order >= 6:
        lines.append({"head": heads["LAB"], "amount": D("3000")})
    return lines


@transaction.atomic
def seed_fees(*, report, school, rng: random.Random) -> None:
    for structure in seed_structures(report=report, school=school):
        made = services.generate_for_structure(
            structure=structure, installment_number=1, issue_date=structure.year.start_date
        )
        report.created["invoices"] = report.created.get("invoices", 0) + made
    if not Payment.objects.filter(school=school).exists():
        _pay_some(report, school, rng)


def seed_structures(*, report, school) -> list[FeeStructure]:
    """The price list: settings, heads, the late-fine rule and a structure per class."""
    _, created = FeeSettings.objects.get_or_create(
        school=school, defaults={"legal_name": school.name, "state_code": "29"}
    )
    report.add("fee settings", created)
    heads = {}
    for code, name, tax_class, rate, sac, tuition, pricing in HEADS:
        heads[code], created = FeeHead.objects.get_or_create(
            school=school, code=code,
            defaults={"name": name, "tax_class": tax_class, "gst_rate": rate, "hsn_sac": sac,
                      "is_tuition": tuition, "refundable": code == "ANN", "pricing": pricing},
        )  # fmt: skip
        report.add("fee heads", created)
    rule, created = LateFineRule.objects.get_or_create(
        school=school, name="Late fee",
        defaults={"kind": "per_day", "amount": D("10"), "grace_days": 7, "cap": D("500")},
    )  # fmt: skip
    report.add("late fine rules", created)
    year = AcademicYear.objects.get(school=school, is_current=True)
    structures = []
    for school_class in SchoolClass.objects.filter(school=school).order_by("order"):
        structure = FeeStructure.objects.filter(
            school=school, school_class=school_class, year=year, term__isnull=True
        ).first()
        if structure is None:
            structure = services.structure_create(
                school=school, actor=None, name=f"{school_class.name} {year.name}",
                school_class=school_class, year=year, plan="quarterly", due_day=10,
                late_fine_rule=rule, lines=yearly_lines(school_class.order, heads),
            )  # fmt: skip
            report.add("fee structures", True)
        structures.append(structure)
    return structures


def _pay_some(report, school, rng: random.Random) -> None:
    """About half of the first quarter's invoices paid, a fifth partly; the demo family's as
    the module docstring says."""
    family = dict(
        StudentProfile.objects.filter(
            school=school, admission_number__in=[DEMO_STUDENT, DEMO_SIBLING]
        ).values_list("admission_number", "pk")
    )
    now = timezone.now()
    invoices = Invoice.objects.filter(school=school, status="issued").select_related("student")
    for invoice in invoices.order_by("number"):
        if invoice.student_id == family.get(DEMO_SIBLING):
            continue
        if invoice.student_id == family.get(DEMO_STUDENT):
            amount = D("2000.00")
        else:
            draw = rng.random()
            if draw < 0.5:
                amount = invoice.balance
            elif draw < 0.7:
                amount = (invoice.balance * D(rng.randint(20, 80)) / 100).quantize(D("0.01"))
            else:
                continue
        received = min(
            dt.datetime.combine(invoice.issue_date, dt.time(10), tzinfo=dt.UTC)
            + dt.timedelta(days=rng.randint(0, 12)),
            now,
        )
        services.payment_record_counter(
            school=school, actor=None, student=invoice.student,
            mode=rng.choice(["card_upi", "bank_transfer", "cheque"]), amount=amount,
            reference=f"DEMO-{rng.randint(100000, 999999)}",
            allocations=[{"invoice": invoice, "amount": amount}], received_at=received,
        )  # fmt: skip
        report.add("payments", True)
