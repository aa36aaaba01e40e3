"""Reads of the fee office: querysets with their joins (so lists run a fixed number of
queries), the student ledger, a family's dues and the defaulters report. Callers scope first
(apps.fees.scopes); these never widen what they are given."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import (
    Case,
    DecimalField,
    F,
    Min,
    Prefetch,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from .models import (
    OPEN_STATUSES,
    ZERO,
    AdvanceMovement,
    Concession,
    CreditNote,
    FeeHead,
    FeeStructure,
    FeeStructureLine,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    Refund,
)


def fee_head_queryset() -> QuerySet[FeeHead]:
    return FeeHead.objects.all()


def structure_queryset() -> QuerySet[FeeStructure]:
    return FeeStructure.objects.select_related("school_class", "year", "term").prefetch_related(
        Prefetch("lines", FeeStructureLine.objects.select_related("head").order_by("head__code")),
        "installments",
    )


def concession_queryset() -> QuerySet[Concession]:
    return Concession.objects.select_related("head", "student__user", "year", "approved_by")


def invoice_queryset() -> QuerySet[Invoice]:
    return Invoice.objects.select_related(
        "student__user", "section__school_class", "installment"
    ).prefetch_related("lines")


def payment_queryset() -> QuerySet[Payment]:
    return Payment.objects.select_related("student__user", "payer", "receipt").prefetch_related(
        Prefetch("allocations", PaymentAllocation.objects.select_related("invoice"))
    )


def refund_queryset() -> QuerySet[Refund]:
    return Refund.objects.select_related("payment", "invoice", "credit_note")


# --- The ledger ---------------------------------------------------------------------------------
def student_ledger(student) -> dict[str, Any]:
    """Every movement of a student's account in date order with a running balance (what is
    owed; below zero is advance credit): fees charged (with their tax), concessions, late
    fines, cancellations, payments (what was allocated to the student's invoices, and what
    became their advance), credit notes and refunds. Five queries whatever the history."""
    rows: list[dict[str, Any]] = []

    def add(day, kind, document, description, debit=ZERO, credit=ZERO, at=None):
        rows.append({"date": day, "kind": kind, "document": document, "description": description,
                     "debit": debit, "credit": credit, "_at": at})  # fmt: skip

    invoices = Invoice.objects.filter(student=student).exclude(status=InvoiceStatus.DRAFT)
    for inv in invoices.select_related("installment").order_by("issue_date", "number"):
        at = (inv.issue_date, 0, inv.number)
        # Fees with their GST (fines are exempt), then the concession, then any fine: together
        # exactly the invoice's total.
        add(inv.issue_date, "charge", inv.number, inv.installment.label,
            debit=inv.subtotal + inv.tax_total, at=at)  # fmt: skip
        if inv.concession_total:
            add(inv.issue_date, "concession", inv.number, "", credit=inv.concession_total, at=at)
        if inv.fine_total:
            add(inv.due_date, "fine", inv.number, "", debit=inv.fine_total, at=at)
        if inv.status == InvoiceStatus.CANCELLED:
            add(inv.updated_at.date(), "cancellation", inv.number, inv.cancelled_reason,
                credit=inv.total, at=(inv.updated_at.date(), 1, inv.number))  # fmt: skip
    paid = defaultdict(lambda: ZERO)
    first = {}
    for alloc in PaymentAllocation.objects.filter(invoice__student=student).select_related(
        "payment__receipt"
    ):
        paid[alloc.payment_id] += alloc.amount
        first[alloc.payment_id] = alloc.payment
    for move in AdvanceMovement.objects.filter(student=student, payment__isnull=False,
                                               amount__gt=0).select_related("payment__receipt"):  # fmt: skip
        paid[move.payment_id] += move.amount
        first[move.payment_id] = move.payment
    for payment_id, amount in paid.items():
        payment = first[payment_id]
        day = payment.received_at.date()
        receipt = getattr(payment, "receipt", None)
        add(day, "payment", receipt.number if receipt else "", payment.get_mode_display(),
            credit=amount, at=(day, 2, receipt.number if receipt else ""))  # fmt: skip
    for note in CreditNote.objects.filter(student=student).select_related("refund"):
        at = (note.issue_date, 3, note.number)
        if note.invoice_id is not None:
            add(note.issue_date, "credit_note", note.number, note.reason, credit=note.amount, at=at)
        add(note.issue_date, "refund", note.number, note.reason, debit=note.amount, at=at)
    rows.sort(key=lambda row: row["_at"])
    balance = ZERO
    for row in rows:
        balance += row["debit"] - row["credit"]
        row["balance"] = balance
        del row["_at"]
    return {"student": student.pk, "rows": rows, "balance": balance}


# --- A family's dues ----------------------------------------------------------------------------
def family_dues(student_ids) -> dict[str, Any]:
    """Open invoices of the given students (a family) with their balances, each child's total,
    their advance credit and the family's total. Three queries."""
    from apps.accounts.models import StudentProfile

    students = {
        s.pk: s for s in StudentProfile.objects.filter(pk__in=student_ids).select_related("user")
    }
    invoices = (
        Invoice.objects.filter(student_id__in=students, status__in=OPEN_STATUSES)
        .select_related("installment")
        .order_by("due_date", "number")
    )
    advance = {
        row["student_id"]: row["total"]
        for row in AdvanceMovement.objects.filter(student_id__in=students)
        .values("student_id")
        .annotate(total=Sum("amount"))
    }
    children = {
        pk: {"student": pk, "name": s.user.full_name, "admission_number": s.admission_number,
             "invoices": [], "due": ZERO, "advance": advance.get(pk) or ZERO}
        for pk, s in sorted(students.items(), key=lambda kv: kv[1].user.full_name)
    }  # fmt: skip
    for inv in invoices:
        child = children[inv.student_id]
        child["invoices"].append(
            {"id": inv.pk, "number": inv.number, "label": inv.installment.label,
             "due_date": inv.due_date, "total": inv.total, "balance": inv.balance,
             "status": inv.status}
        )  # fmt: skip
        child["due"] += inv.balance
    total = sum((c["due"] for c in children.values()), ZERO)
    credit = sum((c["advance"] for c in children.values()), ZERO)
    return {"children": list(children.values()), "total_due": total, "advance": credit}


# --- Defaulters ---------------------------------------------------------------------------------
BUCKETS = (("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None))


def defaulters(*, school_id, today: dt.date, school_class=None, section=None) -> dict[str, Any]:
    """Students with overdue balances (open invoices past their due date), the amount in each
    ageing bucket by days overdue (0-30, 31-60, 61-90, 90+), the days since the oldest unpaid
    due date (`days_overdue`), and the totals by class and section. One query for the rows."""
    qs = Invoice.objects.filter(school_id=school_id, status__in=OPEN_STATUSES, due_date__lt=today)
    if school_class is not None:
        qs = qs.filter(section__school_class=school_class)
    if section is not None:
        qs = qs.filter(section=section)
    balance = F("total") - F("amount_paid") - F("amount_credited")
    money = DecimalField(max_digits=12, decimal_places=2)
    buckets = {}
    for name, low, high in BUCKETS:
        cond = {"due_date__lte": today - dt.timedelta(days=low)}
        if high is not None:
            cond["due_date__gte"] = today - dt.timedelta(days=high)
        buckets[name] = Coalesce(
            Sum(Case(When(then=balance, **cond), default=Value(ZERO), output_field=money)),
            Value(ZERO), output_field=money,
        )  # fmt: skip
    rows = (
        qs.values(
            "student_id", "student__admission_number", "student__user__full_name",
            "section_id", "section__name", "section__school_class__name",
            "section__school_class__order",
        )
        .annotate(**{f"b_{i}": expr for i, expr in enumerate(buckets.values())},
                  oldest_due=Min("due_date"))
        .order_by("section__school_class__order", "section__name", "student__user__full_name")
    )  # fmt: skip
    out, groups = [], {}
    totals = dict.fromkeys(buckets, ZERO)
    for row in rows:
        amounts = {name: row[f"b_{i}"] for i, name in enumerate(buckets)}
        total = sum(amounts.values(), ZERO)
        if total <= 0:
            continue
        entry = {
            "student": row["student_id"],
            "admission_number": row["student__admission_number"],
            "name": row["student__user__full_name"],
            "school_class": row["section__school_class__name"] or "",
            "section": row["section__name"] or "",
            "buckets": amounts,
            "total": total,
            "days_overdue": (today - row["oldest_due"]).days,
        }
        out.append(entry)
        key = (entry["school_class"], entry["section"])
        group = groups.setdefault(key, {"school_class": key[0], "section": key[1],
                                        "students": 0, "buckets": dict.fromkeys(buckets, ZERO),
                                        "total": ZERO})  # fmt: skip
        group["students"] += 1
        group["total"] += total
        for name, amount in amounts.items():
            group["buckets"][name] += amount
            totals[name] += amount
    return {
        "as_of": today,
        "rows": out,
        "by_section": list(groups.values()),
        "totals": {"buckets": totals, "total": sum(totals.values(), ZERO)},
    }
