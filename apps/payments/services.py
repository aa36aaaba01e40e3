"""Online payments: orders at a gateway, the checkout callback, webhooks and reconciliation.

Money is credited only by the fee office's `payment_record_online`, under the gateway's unique
payment id, from a verified webhook or from the gateway's own answer during reconciliation;
the browser's checkout callback only marks an order as being verified. Every state change of an
order is audited.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core import audit
from apps.core.exceptions import ApplicationError
from apps.core.queue import enqueue_on_commit
from apps.core.services import refuse
from apps.fees.models import OPEN_STATUSES, ZERO, Invoice, Payment, PaymentMode
from apps.fees.services import family_of, payment_record_online, refund_create

from . import gateways as g
from .models import (
    PENDING_STATUSES,
    OrderStatus,
    PaymentOrder,
    PaymentOrderInvoice,
    WebhookEvent,
)

logger = logging.getLogger("schools24.payments")

PROCESS_EVENT_TASK = "apps.payments.tasks.process_webhook_event"  # tasks.py names it too
RECEIPT_TASK = "apps.payments.tasks.send_online_receipt"
ORDER_FIELDS = ["status", "gateway_payment_id", "payment", "authorized_at", "disputed_at",
                "failure_reason"]  # fmt: skip


def _change(order: PaymentOrder, *, action: str, actor=None, **values: Any) -> None:
    """Set `values` on the (locked) order, save and audit the change."""
    before = audit.snapshot(order, ORDER_FIELDS)
    for name, value in values.items():
        setattr(order, name, value)
    order.save(update_fields=[*values, "updated_at"])
    audit.record(actor=actor, action=action, instance=order, before=before,
                 after=audit.snapshot(order, ORDER_FIELDS))  # fmt: skip


# --- Orders -----------------------------------------------------------------------------------
def minimum_amount(owed: Decimal) -> Decimal:
    """The least an online payment may be: PAYMENTS_MINIMUM_AMOUNT, or all that is owed when
    that is less."""
    return min(Decimal(settings.PAYMENTS_MINIMUM_AMOUNT), owed)


def check_order(*, invoices: list[Invoice], amount: Decimal) -> list[tuple[Invoice, Decimal]]:
    """What an order for `amount` pays of `invoices`. Rules: at least one invoice, each once;
    all of one school and one family (one payment settles them); each open; the amount above
    zero, at most what the invoices owe and at least the minimum (`minimum_amount`). The
    amount settles the invoices in due-date order, each up to its balance."""
    if not invoices:
        raise refuse(_("Choose at least one invoice."), code="required", fields=["invoices"])
    if len({i.pk for i in invoices}) != len(invoices):
        raise refuse(_("Each invoice appears once."), code="invalid", fields=["invoices"])
    first = invoices[0]
    family = family_of(first.student)
    for invoice in invoices:
        if invoice.school_id != first.school_id or invoice.student_id not in family:
            raise refuse(_("The invoices must be one family's."), code="not_family",
                         fields=["invoices"])  # fmt: skip
        if invoice.status not in OPEN_STATUSES or invoice.balance <= 0:
            raise refuse(_("Invoice %(n)s is not open for payment.") % {"n": invoice.number},
                         code="invoice_not_open", fields=["invoices"])  # fmt: skip
    if amount is None or amount <= 0:
        raise refuse(_("The amount must be more than zero."), code="invalid", fields=["amount"])
    owed = sum((i.balance for i in invoices), ZERO)
    if amount > owed:
        raise refuse(_("The invoices owe %(owed)s; pay at most that.") % {"owed": owed},
                     code="over_amount", fields=["amount"])  # fmt: skip
    least = minimum_amount(owed)
    if amount < least:
        raise refuse(_("Pay at least %(least)s online.") % {"least": least},
                     code="under_minimum", fields=["amount"])  # fmt: skip
    plan, left = [], amount
    for invoice in sorted(invoices, key=lambda i: (i.due_date, i.number)):
        take = min(invoice.balance, left)
        if take > 0:
            plan.append((invoice, take))
            left -= take
    return plan


def order_create(
    *, school, actor, invoices: list[Invoice], amount: Decimal, gateway: str = g.RAZORPAY
) -> tuple[PaymentOrder, dict[str, Any]]:
    """Start an online payment: check it (`check_order`), create the gateway's order for the
    amount (in paise, by the adapter) and store it with the invoices and amounts it pays.
    Answers the order and what the checkout needs. The gateway is called outside any
    transaction; a gateway that cannot be reached is a 503 and stores nothing."""
    if gateway not in g.GATEWAYS:
        raise refuse(_("Choose razorpay or stripe."), code="invalid", fields=["gateway"])
    plan = check_order(invoices=invoices, amount=amount)
    if any(invoice.school_id != school.pk for invoice, _ in plan):
        raise refuse(_("An invoice is not this school's."), code="invalid", fields=["invoices"])
    reference = f"S24-{uuid.uuid4().hex[:20].upper()}"
    try:
        made = g.get_gateway(gateway).create_order(
            amount=amount, reference=reference, notes={"school": str(school.pk)}
        )
    except g.GatewayError as exc:
        logger.warning("Gateway order failed: %s", exc)
        raise ApplicationError(_("The payment gateway is not available; try again shortly."),
                               code="gateway_unavailable", status_code=503)  # fmt: skip
    with transaction.atomic():
        order = PaymentOrder.objects.create(
            school=school, gateway=gateway, gateway_order_id=made.order_id, reference=reference,
            student=plan[0][0].student, amount=amount, currency=made.currency,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )  # fmt: skip
        PaymentOrderInvoice.objects.bulk_create(
            [
                PaymentOrderInvoice(school=school, order=order, invoice=invoice, amount=take)
                for invoice, take in plan
            ]  # fmt: skip
        )
        audit.record(
            actor=actor, action="payment_order.create", instance=order,
            after={"gateway": gateway, "gateway_order_id": made.order_id, "amount": str(amount),
                   "invoices": {i.number: str(take) for i, take in plan}},
        )  # fmt: skip
    return order, made.checkout


@transaction.atomic
def order_verify_checkout(
    *, order: PaymentOrder, actor, payment_id: str, signature: str
) -> PaymentOrder:
    """The Razorpay checkout's callback: its signature must verify over the STORED order id
    and the payment id with the key secret. It only marks the order as being verified; the
    money is credited by the webhook (or reconciliation). A paid or failed order is left as
    it is."""
    gateway = g.get_gateway(order.gateway)
    if order.gateway != g.RAZORPAY or not isinstance(gateway, g.RazorpayGateway):
        raise refuse(_("This order is not a Razorpay order."), code="invalid")
    try:
        gateway.verify_checkout(order_id=order.gateway_order_id, payment_id=payment_id,
                                signature=signature)  # fmt: skip
    except g.InvalidSignature:
        raise refuse(_("The payment signature does not verify."), code="invalid_signature",
                     fields=["razorpay_signature"])  # fmt: skip
    order = PaymentOrder.objects.select_for_update().get(pk=order.pk)
    if order.status == OrderStatus.CREATED:
        _change(order, action="payment_order.verify", actor=actor, status=OrderStatus.VERIFYING,
                gateway_payment_id=payment_id[:64], verified_at=timezone.now())  # fmt: skip
    return order


# --- Crediting ----------------------------------------------------------------------------------
def order_credit(
    *, order: PaymentOrder, payment_id: str, amount: Decimal, received_at=None
) -> tuple[Payment, bool]:
    """Credit money a gateway captured for `order` (call inside a transaction with the order
    locked): once per gateway payment id, to the invoices stored with the order (what they no
    longer owe becomes advance credit), and the order is paid. (payment, created)."""
    allocations = [{"invoice": line.invoice, "amount": line.amount}
                   for line in order.lines.select_related("invoice")]  # fmt: skip
    payment, created = payment_record_online(
        school=order.school, gateway=order.gateway, gateway_payment_id=payment_id,
        amount=amount, student=order.student, allocations=allocations,
        payer=order.created_by if order.created_by and order.created_by.role == "parent" else None,
        reference=order.reference, received_at=received_at,
    )  # fmt: skip
    if order.status != OrderStatus.PAID:
        _change(order, action="payment_order.paid", status=OrderStatus.PAID, payment=payment,
                gateway_payment_id=payment_id, paid_at=timezone.now(), authorized_at=None,
                failure_reason="")  # fmt: skip
        enqueue_on_commit(RECEIPT_TASK, str(order.pk))
    return payment, created


def order_receipt(*, order: PaymentOrder):
    """The receipt (with its PDF, rendered the first time) of a paid order; None before."""
    from apps.fees.receipts import receipt_pdf

    receipt = getattr(order.payment, "receipt", None) if order.payment_id else None
    return receipt_pdf(receipt_id=receipt.pk) if receipt is not None else None


def order_send_receipt(*, order_id) -> bool:
    """E-mail a paid order's receipt PDF to whoever paid (the parent who started it, else the
    payment's payer). False when there is nobody to send it to."""
    from django.core.mail import EmailMessage

    order = PaymentOrder.objects.select_related("payment__payer", "created_by", "school").get(
        pk=order_id
    )
    receipt = order_receipt(order=order)
    to = order.created_by if order.created_by and order.created_by.role == "parent" else None
    to = to or (order.payment.payer if order.payment_id else None)
    if receipt is None or to is None or not to.email:
        return False
    message = EmailMessage(
        subject=_("Fee receipt %(number)s from %(school)s")
        % {"number": receipt.number, "school": order.school.name},
        body=_("Thank you: %(amount)s received online. The receipt is attached.")
        % {"amount": order.payment.amount},
        to=[to.email],
    )
    with receipt.pdf.open("rb") as pdf:
        message.attach(f"{receipt.number.replace('/', '-')}.pdf", pdf.read(), "application/pdf")
    message.send()
    return True


# --- Webhooks -----------------------------------------------------------------------------------
def webhook_receive(
    *, gateway: str, body: bytes, headers: Mapping[str, str]
) -> tuple[WebhookEvent, bool]:
    """Store a webhook delivery once (gateway, event id) and process it after commit.
    Raises g.InvalidSignature or g.InvalidPayload (a 400) before anything is written: the
    signature is checked over the raw body with every active secret. A repeated delivery of
    an event not yet processed is queued again (processing is idempotent)."""
    event = g.get_gateway(gateway).parse_webhook(body, headers)
    if not event.event_id:
        raise g.InvalidPayload("the event has no id")
    order = (
        PaymentOrder.objects.filter(gateway=gateway).filter(gateway_order_id=event.order_id).first()
        if event.order_id
        else None
    )
    if order is None and event.payment_id:
        order = PaymentOrder.objects.filter(
            gateway=gateway, gateway_payment_id=event.payment_id
        ).first()
    with transaction.atomic():
        stored, created = WebhookEvent.objects.get_or_create(
            gateway=gateway, event_id=event.event_id[:100],
            defaults={"type": event.type, "gateway_type": event.gateway_type[:64],
                      "gateway_order_id": event.order_id[:64],
                      "gateway_payment_id": event.payment_id[:64],
                      "refund_id": event.refund_id[:64], "amount": event.amount,
                      "currency": event.currency[:3], "payload": event.raw, "order": order,
                      "school_id": order.school_id if order else None},
        )  # fmt: skip
        if stored.processed_at is None:
            enqueue_on_commit(PROCESS_EVENT_TASK, stored.pk)
    return stored, created


def _finish(event: WebhookEvent, outcome: str, error: str = "") -> WebhookEvent:
    event.processed_at, event.outcome, event.error = timezone.now(), outcome, error
    event.save(update_fields=["processed_at", "outcome", "error", "order", "school"])
    return event


def event_process(*, event_id: int) -> WebhookEvent:
    """Act on a stored webhook event, once (the event row is locked and marked processed):
    - captured: credit the order (`order_credit`); the order is paid;
    - authorized: note the payment authorized but not captured;
    - failed: the order fails, unless it is paid (a late failure never undoes a capture);
    - refunded: a refund with its credit note in the fee office, once per gateway refund;
    - dispute: recorded on the order.
    An event about no order of ours is kept with the outcome `unknown_order`. A rule of the fee
    office that refuses is recorded as the event's error for the fee office to resolve."""
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().get(pk=event_id)
        if event.processed_at is not None:
            return event
        parsed = _normalised(event)
        order = _order_of(event, parsed)
        if order is None:
            return _finish(event, "unknown_order")
        order = (
            PaymentOrder.objects.select_for_update(of=("self",))
            .select_related("school", "student", "created_by")
            .get(pk=order.pk)
        )
        event.order, event.school_id = order, order.school_id
        try:
            with transaction.atomic():
                outcome = _apply(order, parsed)
        except ApplicationError as exc:
            logger.warning("Webhook event %s not applied: %s", event.pk, exc.message)
            return _finish(event, "error", exc.message)
        return _finish(event, outcome)


def _normalised(event: WebhookEvent) -> g.WebhookEvent:
    """The stored event as the adapter normalised it when it was received and verified."""
    return g.WebhookEvent(
        gateway=event.gateway, event_id=event.event_id, type=event.type,
        gateway_type=event.gateway_type, payment_id=event.gateway_payment_id,
        order_id=event.gateway_order_id, amount=event.amount,
        currency=event.currency or g.CURRENCY, refund_id=event.refund_id, raw=event.payload,
    )  # fmt: skip


def _order_of(event: WebhookEvent, parsed: g.WebhookEvent) -> PaymentOrder | None:
    if event.order_id:
        return event.order
    orders = PaymentOrder.objects.filter(gateway=event.gateway)
    if parsed.order_id:
        found = orders.filter(gateway_order_id=parsed.order_id).first()
        if found is not None:
            return found
    if parsed.payment_id:
        return orders.filter(gateway_payment_id=parsed.payment_id).first()
    return None


def _apply(order: PaymentOrder, event: g.WebhookEvent) -> str:
    now = timezone.now()
    if event.type == g.CAPTURED:
        if event.currency != order.currency:
            raise refuse(_("The payment's currency is not the order's."), code="currency")
        amount = event.amount if event.amount is not None else order.amount
        created = order_credit(order=order, payment_id=event.payment_id, amount=amount)[1]
        return "credited" if created else "already_credited"
    if event.type == g.AUTHORIZED:
        if order.status in PENDING_STATUSES and order.authorized_at is None:
            _change(order, action="payment_order.authorized", authorized_at=now,
                    gateway_payment_id=event.payment_id[:64])  # fmt: skip
        return "authorized"
    if event.type == g.FAILED:
        if order.status == OrderStatus.PAID:
            return "ignored_paid"
        if order.status != OrderStatus.FAILED:
            reason = str(_failure_reason(event.raw))[:200]
            _change(order, action="payment_order.failed", status=OrderStatus.FAILED,
                    failure_reason=reason)  # fmt: skip
        return "failed"
    if event.type == g.REFUNDED:
        return _refund(order, event)
    if event.type == g.DISPUTE:
        if order.disputed_at is None:
            _change(order, action="payment_order.dispute", disputed_at=now)
        return "dispute_recorded"
    return "ignored"


def _failure_reason(raw: dict[str, Any]) -> str:
    payment = ((raw.get("payload") or {}).get("payment") or {}).get("entity") or {}
    obj = (raw.get("data") or {}).get("object") or {}
    error = obj.get("last_payment_error") or {}
    return str(payment.get("error_description") or payment.get("error_code")
               or error.get("message") or "")  # fmt: skip


def gateway_refund(*, payment: Payment, amount: Decimal, reference: str) -> str:
    """Refund `amount` rupees of an online fee payment at its gateway (the adapter speaks
    paise) and answer the gateway's refund id. A gateway that cannot be reached or refuses is a
    503 and the fee office records nothing."""
    try:
        made = g.get_gateway(payment.gateway).refund(
            payment_id=payment.gateway_payment_id, amount=amount, reference=reference
        )
    except g.GatewayError as exc:
        logger.warning("Gateway refund of %s failed: %s", payment.gateway_payment_id, exc)
        raise ApplicationError(_("The payment gateway could not refund this payment now; try "
                                 "again shortly."), code="gateway_unavailable",
                               status_code=503)  # fmt: skip
    return made.refund_id[:64]


def _refund(order: PaymentOrder, event: g.WebhookEvent) -> str:
    """Money the gateway gave back: a refund and credit note in the fee office (against the
    order's invoices, else the family's advance credit), once per gateway refund id. Stripe's
    charge.refunded carries the total refunded so far: only the new part is recorded."""
    payment = Payment.objects.filter(gateway_payment_id=event.payment_id).first()
    if payment is None or event.amount is None:
        return "ignored_no_payment"
    online = payment.refunds.filter(mode=PaymentMode.ONLINE)
    if event.refund_id and online.filter(reference=event.refund_id[:64]).exists():
        return "already_refunded"
    amount = event.amount
    if event.gateway_type == "charge.refunded":
        amount -= sum((r.amount for r in online), ZERO)
        if amount <= 0:
            return "already_refunded"
    candidates = [line.invoice for line in order.lines.select_related("invoice")] + [None]
    last: ApplicationError | None = None
    for invoice in candidates:
        try:
            refund_create(
                school=order.school, actor=None, payment=payment, amount=amount,
                reason=_("Refunded at the payment gateway"), mode=PaymentMode.ONLINE,
                invoice=invoice, reference=(event.refund_id or event.payment_id)[:64],
                at_gateway=False,
            )  # fmt: skip
            return "refund_recorded"
        except ApplicationError as exc:
            last = exc
    assert last is not None
    raise last


# --- Reconciliation -----------------------------------------------------------------------------
def orders_reconcile(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Ask the gateway about orders still pending PAYMENTS_RECONCILE_AFTER seconds after they
    were made: a captured payment is credited (as its webhook would), an authorized one is
    flagged and logged (authorized, not captured), an order with nothing after
    PAYMENTS_ORDER_EXPIRY expires. A gateway that cannot be reached leaves the order for the
    next run."""
    now = now or timezone.now()
    due = now - dt.timedelta(seconds=settings.PAYMENTS_RECONCILE_AFTER)
    counts = {"checked": 0, "credited": 0, "authorized": 0, "expired": 0, "errors": 0}
    pending = PaymentOrder.objects.filter(status__in=PENDING_STATUSES, created_at__lte=due)
    for order_id in pending.order_by("created_at").values_list("pk", flat=True)[:500]:
        counts["checked"] += 1
        try:
            result = order_reconcile(order_id=order_id, now=now)
        except (g.GatewayError, ApplicationError) as exc:
            logger.warning("Reconciling order %s failed: %s", order_id, exc)
            counts["errors"] += 1
            continue
        if result in counts:
            counts[result] += 1
    return counts


def order_reconcile(*, order_id, now: dt.datetime) -> str:
    order = PaymentOrder.objects.get(pk=order_id)
    status = g.get_gateway(order.gateway).fetch_order(order.gateway_order_id)
    with transaction.atomic():
        order = (
            PaymentOrder.objects.select_for_update(of=("self",))
            .select_related("school", "student", "created_by")
            .get(pk=order_id)
        )
        if order.status not in PENDING_STATUSES:
            return "done"
        order.checked_at = now
        order.save(update_fields=["checked_at", "updated_at"])
        captured = [p for p in status.payments if p.status in ("captured", "refunded")]
        if captured:
            order_credit(order=order, payment_id=captured[0].payment_id,
                         amount=captured[0].amount)  # fmt: skip
            return "credited"
        authorized = [p for p in status.payments if p.status == "authorized"]
        if authorized:
            logger.warning("Payment %s of order %s is authorized but not captured",
                           authorized[0].payment_id, order.reference)  # fmt: skip
            if order.authorized_at is None:
                _change(order, action="payment_order.authorized", authorized_at=now,
                        gateway_payment_id=authorized[0].payment_id[:64])  # fmt: skip
            return "authorized"
        if order.created_at <= now - dt.timedelta(seconds=settings.PAYMENTS_ORDER_EXPIRY):
            _change(order, action="payment_order.expired", status=OrderStatus.EXPIRED)
            return "expired"
        return "pending"
