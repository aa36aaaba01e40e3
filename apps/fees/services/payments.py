"""Receiving money: counter payments (cash, cheque, bank transfer, card/UPI at a terminal) and
online payments credited from a gateway, allocated to one family's invoices; what is left over
becomes advance credit. Refunds give money back and produce credit notes.

Payments, allocations and advance movements are never edited or deleted (a database trigger
refuses it); every write here is one transaction with its receipt number and audit entry.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import Guardian, StudentProfile
from apps.core import audit
from apps.core.events import notify_on_commit
from apps.core.queue import enqueue_on_commit
from apps.core.services import refuse
from apps.core.signals import announce_change

from ..models import (
    COUNTER_MODES,
    OPEN_STATUSES,
    ZERO,
    AdvanceMovement,
    CreditNote,
    DocumentType,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentMode,
    Receipt,
    Refund,
)
from .invoices import advance_balances, school_today, set_status
from .numbering import take_number

RECEIPT_PDF_TASK = "apps.fees.tasks.render_counter_receipt"  # tasks.py names it too

PAYMENT_FIELDS = ["student", "payer", "mode", "amount", "reference", "gateway",
                  "gateway_payment_id", "received_at"]  # fmt: skip


def family_of(student) -> set:
    """The student and every student sharing a guardian with them (one family pays once)."""
    parents = Guardian.objects.filter(student=student).values("parent_id")
    siblings = Guardian.objects.filter(parent_id__in=parents).values_list("student_id", flat=True)
    return {student.pk, *siblings}


def _school_day_bounds(school, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = zoneinfo.ZoneInfo(school.timezone)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, start + dt.timedelta(days=1)


def check_cash_limit(*, school, student, payer, amount: Decimal, received_at: dt.datetime) -> None:
    """Cash from one payer (the paying parent, else the student's family) in one day must stay
    below FEES_CASH_DAILY_LIMIT (s. 269ST: 2,00,000 rupees or more is refused)."""
    limit = Decimal(settings.FEES_CASH_DAILY_LIMIT)
    day = received_at.astimezone(zoneinfo.ZoneInfo(school.timezone)).date()
    start, end = _school_day_bounds(school, day)
    same_payer = Q(payer=payer) if payer is not None else Q(student_id__in=family_of(student))
    earlier = Payment.objects.filter(
        same_payer, school=school, mode=PaymentMode.CASH, received_at__gte=start,
        received_at__lt=end,
    ).aggregate(total=Sum("amount"))["total"] or ZERO  # fmt: skip
    if earlier + amount >= limit:
        raise refuse(
            _("Cash of %(limit)s or more from one payer in a day is not allowed "
              "(already received today: %(earlier)s). Take another mode.")
            % {"limit": f"{limit:,.2f}", "earlier": f"{earlier:,.2f}"},
            code="cash_limit",
            fields=["amount"],
        )  # fmt: skip


def _lock_payer(student, payer) -> None:
    """Payments of one payer queue here, so the cash limit and the advance are decided one at a
    time: the payer's user row when one is named, then the family's student rows, always in
    that order and by id (two siblings paying at the same moment wait for each other, and no
    two payments lock in opposite orders)."""
    if payer is not None:
        type(payer).objects.select_for_update().filter(pk=payer.pk).first()
    family = StudentProfile.objects.select_for_update().filter(pk__in=family_of(student))
    list(family.order_by("pk").values_list("pk", flat=True))


def _plan_allocations(
    *, student, amount: Decimal, allocations: list[dict[str, Any]] | None, strict: bool
) -> list[tuple[Invoice, Decimal]]:
    """Which invoices the payment settles, with how much.

    `allocations` lists {"invoice": Invoice, "amount": Decimal | None}; an entry without an
    amount takes what is left of the payment up to the invoice's balance, in due-date order.
    Without allocations, the family's open invoices are settled oldest first. The invoices must
    be open and the family's; an amount above an invoice's balance is refused (`strict`, the
    counter) or cut to the balance (online money already taken). Invoices are locked in a fixed
    order (by id)."""
    locked, wanted = _lock_invoices(student=student, allocations=allocations, strict=strict)
    explicit = [i for i in locked if wanted.get(i.pk) is not None]
    rest = sorted(
        (i for i in locked if wanted.get(i.pk) is None), key=lambda i: (i.due_date, i.number)
    )
    left = amount
    plan = []
    for invoice in explicit:
        take = _explicit_take(invoice, wanted[invoice.pk], left, strict=strict)
        if take > 0:
            plan.append((invoice, take))
            left -= take
    for invoice in rest:
        if invoice.status not in OPEN_STATUSES:
            continue
        take = min(invoice.balance, left)
        if take > 0:
            plan.append((invoice, take))
            left -= take
    return plan


def _lock_invoices(
    *, student, allocations: list[dict[str, Any]] | None, strict: bool
) -> tuple[list[Invoice], dict]:
    """The invoices a payment may settle, locked by id, and the amount asked for each."""
    family = family_of(student)
    if allocations is None:
        invoices = Invoice.objects.filter(
            school_id=student.school_id, student_id__in=family, status__in=OPEN_STATUSES
        )
        wanted = {}
    else:
        ids = [entry["invoice"].pk for entry in allocations]
        if len(set(ids)) != len(ids):
            raise refuse(_("Each invoice appears once."), code="invalid", fields=["allocations"])
        invoices = Invoice.objects.filter(pk__in=ids)
        wanted = {entry["invoice"].pk: entry.get("amount") for entry in allocations}
    locked = list(invoices.select_for_update().order_by("pk"))
    for invoice in locked:
        if invoice.school_id != student.school_id or invoice.student_id not in family:
            raise refuse(_("An invoice is not this family's."), code="not_family",
                         fields=["allocations"])  # fmt: skip
        if strict and allocations is not None and invoice.status not in OPEN_STATUSES:
            raise refuse(_("Invoice %(n)s is not open for payment.") % {"n": invoice.number},
                         code="invoice_not_open", fields=["allocations"])  # fmt: skip
    return locked, wanted


def _explicit_take(invoice: Invoice, want: Decimal, left: Decimal, *, strict: bool) -> Decimal:
    """What an allocation with an amount takes of the payment."""
    if strict and want > invoice.balance:
        raise refuse(
            _("%(amount)s is more than what invoice %(n)s still owes (%(balance)s).")
            % {"amount": want, "n": invoice.number, "balance": invoice.balance},
            code="over_allocated", fields=["allocations"],
        )  # fmt: skip
    take = min(want, invoice.balance, left) if invoice.status in OPEN_STATUSES else ZERO
    if strict and take < want:
        raise refuse(_("The allocations add up to more than the payment."),
                     code="over_allocated", fields=["allocations"])  # fmt: skip
    return take


def _record(
    *,
    school,
    student,
    amount: Decimal,
    mode: str,
    plan: list[tuple[Invoice, Decimal]],
    actor,
    payer=None,
    payer_name: str = "",
    reference: str = "",
    gateway: str = "",
    gateway_payment_id: str | None = None,
    received_at: dt.datetime,
    note: str = "",
) -> Payment:
    payment = Payment.objects.create(
        school=school, student=student, payer=payer, payer_name=payer_name[:150], mode=mode,
        amount=amount, reference=reference[:64], gateway=gateway,
        gateway_payment_id=gateway_payment_id, received_at=received_at,
        received_by=actor if getattr(actor, "is_authenticated", False) else None, note=note[:200],
    )  # fmt: skip
    PaymentAllocation.objects.bulk_create(
        [
            PaymentAllocation(school=school, payment=payment, invoice=invoice, amount=take)
            for invoice, take in plan
        ]  # fmt: skip
    )
    for invoice, take in plan:
        invoice.amount_paid += take
        set_status(invoice)
    Invoice.objects.bulk_update([i for i, _ in plan], ["amount_paid", "status", "updated_at"])
    advance = amount - sum((take for _, take in plan), ZERO)
    if advance > 0:
        AdvanceMovement.objects.create(school=school, student=student, amount=advance,
                                       payment=payment)  # fmt: skip
    Receipt.objects.create(
        school=school,
        payment=payment,
        number=take_number(
            school_id=school.pk, doc_type=DocumentType.RECEIPT, on=school_today(school)
        ),  # fmt: skip
        issued_at=timezone.now(),
    )
    audit.record(
        actor=actor, action="payment.record", instance=payment,
        after={**audit.snapshot(payment, PAYMENT_FIELDS),
               "allocations": {i.number: str(take) for i, take in plan},
               "advance": str(advance)},
    )  # fmt: skip
    announce_change(school.pk, "fees")
    notify_on_commit("fees.receipt", payment)
    return payment


def _check_amount(amount: Decimal) -> None:
    if amount is None or amount <= 0:
        raise refuse(_("The amount must be more than zero."), code="invalid", fields=["amount"])


@transaction.atomic
def payment_record_counter(
    *,
    school,
    actor,
    student,
    mode: str,
    amount: Decimal,
    allocations: list[dict[str, Any]] | None = None,
    payer=None,
    payer_name: str = "",
    reference: str = "",
    received_at: dt.datetime | None = None,
    note: str = "",
) -> Payment:
    """Money taken at the counter, with its receipt. Rules: a counter mode; an amount above
    zero; the student, payer and invoices of the school and the family; an allocation never
    above an invoice's balance nor the payment; cash below the daily limit per payer
    (`check_cash_limit`); cheques and transfers carry their reference. What no invoice takes
    becomes the student's advance credit."""
    from .structures import check_same_school

    check_same_school(school.pk, student=student, payer=payer)
    if mode not in COUNTER_MODES:
        raise refuse(_("Not a counter payment mode."), code="invalid", fields=["mode"])
    _check_amount(amount)
    if mode in (PaymentMode.CHEQUE, PaymentMode.BANK_TRANSFER) and not reference.strip():
        raise refuse(_("Give the cheque or transfer number."), code="required",
                     fields=["reference"])  # fmt: skip
    received_at = received_at or timezone.now()
    _lock_payer(student, payer)
    if mode == PaymentMode.CASH:
        check_cash_limit(school=school, student=student, payer=payer, amount=amount,
                         received_at=received_at)  # fmt: skip
    plan = _plan_allocations(student=student, amount=amount, allocations=allocations, strict=True)
    payment = _record(
        school=school, student=student, amount=amount, mode=mode, plan=plan, actor=actor,
        payer=payer, payer_name=payer_name, reference=reference, received_at=received_at,
        note=note,
    )  # fmt: skip
    # The receipt's PDF (apps.fees.receipts), rendered once the payment is committed.
    enqueue_on_commit(RECEIPT_PDF_TASK, str(payment.pk))
    return payment


def payment_record_online(
    *,
    school,
    gateway: str,
    gateway_payment_id: str,
    amount: Decimal,
    student,
    allocations: list[dict[str, Any]] | None = None,
    payer=None,
    reference: str = "",
    received_at: dt.datetime | None = None,
    actor=None,
) -> tuple[Payment, bool]:
    """Credit a payment captured by a gateway, once: (payment, created). A repeat for the same
    `gateway_payment_id` (a webhook delivered again, two deliveries at once) returns the
    existing payment and writes nothing; the same id with another school or amount is refused.
    Money already taken is never refused for an invoice paid meanwhile: what the invoices no
    longer owe becomes advance credit."""
    _check_amount(amount)
    if not gateway or not gateway_payment_id:
        raise refuse(_("A gateway and its payment id are required."), code="invalid",
                     fields=["gateway_payment_id"])  # fmt: skip

    def existing() -> Payment | None:
        found = Payment.objects.filter(gateway_payment_id=gateway_payment_id).first()
        if found is not None and (found.school_id != school.pk or found.amount != amount):
            raise refuse(_("This gateway payment was credited with other details."),
                         code="gateway_payment_mismatch")  # fmt: skip
        return found

    found = existing()
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            _lock_payer(student, payer)
            if (found := existing()) is not None:
                return found, False
            plan = _plan_allocations(student=student, amount=amount, allocations=allocations,
                                     strict=False)  # fmt: skip
            payment = _record(
                school=school, student=student, amount=amount, mode=PaymentMode.ONLINE,
                plan=plan, actor=actor, payer=payer, reference=reference, gateway=gateway,
                gateway_payment_id=gateway_payment_id, received_at=received_at or timezone.now(),
            )  # fmt: skip
            return payment, True
    except IntegrityError:
        # Another process credited it between our check and our insert.
        found = existing()
        if found is None:
            raise
        return found, False


# --- Refunds ------------------------------------------------------------------------------------
REFUND_FIELDS = ["payment", "invoice", "amount", "mode", "reference", "reason"]


@transaction.atomic
def refund_create(
    *,
    school,
    actor,
    payment: Payment,
    amount: Decimal,
    reason: str,
    mode: str,
    invoice: Invoice | None = None,
    reference: str = "",
    at_gateway: bool = True,
) -> Refund:
    """Give money back from a payment, with a credit note. Rules: never more than the payment
    less its earlier refunds; against an invoice, at most what this payment settled on it and
    what its refundable fees come to (less earlier credit notes), and the invoice's charge and
    payment both go down by the amount; without an invoice, at most the student's advance
    credit. An online refund of an online payment is made at its gateway first
    (`apps.payments.services.gateway_refund`, unless `at_gateway` is off: the refund webhook
    records what the gateway already did) and carries the gateway's refund id as its reference,
    so the gateway's later refund webhook finds it and records nothing more; an online refund
    with a reference already recorded on the payment is answered as it is (idempotent)."""
    from .structures import check_same_school

    check_same_school(school.pk, payment=payment, invoice=invoice)
    _check_amount(amount)
    if not reason.strip():
        raise refuse(_("Say why the money is refunded."), code="required", fields=["reason"])
    payment = Payment.objects.get(pk=payment.pk)
    _lock_payer(payment.student, None)
    if mode == PaymentMode.ONLINE and reference:
        # A refund webhook racing the office's own refund waits on the lock above, then finds it.
        existing = payment.refunds.filter(mode=mode, reference=reference[:64]).first()
        if existing is not None:
            return existing
    refunded = payment.refunds.aggregate(total=Sum("amount"))["total"] or ZERO
    if amount > payment.amount - refunded:
        raise refuse(
            _("At most %(left)s of this payment is left to refund.")
            % {"left": payment.amount - refunded},
            code="over_refund", fields=["amount"],
        )  # fmt: skip
    today = school_today(school)
    if invoice is not None:
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        settled = (
            payment.allocations.filter(invoice=invoice).aggregate(t=Sum("amount"))["t"] or ZERO
        ) - (payment.refunds.filter(invoice=invoice).aggregate(t=Sum("amount"))["t"] or ZERO)
        refundable = (
            sum(
                (
                    line.total
                    for line in invoice.lines.filter(refundable=True, waived_at__isnull=True)
                ),
                ZERO,
            )
            - invoice.amount_credited
        )
        if amount > min(settled, refundable):
            raise refuse(
                _("At most %(most)s can be refunded against this invoice (its refundable fees "
                  "paid by this payment).") % {"most": max(min(settled, refundable), ZERO)},
                code="over_refund", fields=["amount"],
            )  # fmt: skip
    else:
        held = advance_balances([payment.student_id]).get(payment.student_id, ZERO)
        if amount > held:
            raise refuse(
                _("Without an invoice, only advance credit can be refunded (%(held)s held).")
                % {"held": held},
                code="over_refund", fields=["amount"],
            )  # fmt: skip
    refund_pk = uuid.uuid4()
    if at_gateway and mode == PaymentMode.ONLINE and payment.mode == PaymentMode.ONLINE:
        from apps.payments.services import gateway_refund

        # Last of the checks: a refusal above calls no gateway. Should a write below fail after
        # the gateway refunded, its refund webhook records the refund.
        reference = gateway_refund(payment=payment, amount=amount, reference=str(refund_pk))
    refund = Refund.objects.create(
        id=refund_pk, school=school, payment=payment, invoice=invoice, amount=amount, mode=mode,
        reference=reference[:64], reason=reason.strip()[:200], refunded_by=actor,
        refunded_at=timezone.now(),
    )  # fmt: skip
    if invoice is not None:
        invoice.amount_paid -= amount
        invoice.amount_credited += amount
        set_status(invoice)
        invoice.save(update_fields=["amount_paid", "amount_credited", "status", "updated_at"])
    else:
        AdvanceMovement.objects.create(school=school, student=payment.student, amount=-amount,
                                       refund=refund)  # fmt: skip
    CreditNote.objects.create(
        school=school, refund=refund, student=payment.student, invoice=invoice,
        number=take_number(school_id=school.pk, doc_type=DocumentType.CREDIT_NOTE, on=today),
        issue_date=today, amount=amount, reason=refund.reason,
    )  # fmt: skip
    audit.record(actor=actor, action="refund.create", instance=refund,
                 after=audit.snapshot(refund, REFUND_FIELDS))  # fmt: skip
    announce_change(school.pk, "fees")
    return refund


__all__ = [
    "InvoiceStatus",
    "check_cash_limit",
    "family_of",
    "payment_record_counter",
    "payment_record_online",
    "refund_create",
]
