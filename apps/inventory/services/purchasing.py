"""Purchase orders: drafted (by hand or by the low-stock check), placed with the vendor,
received into their store (each received line is a receipt movement), or cancelled.

Rules: a PO's number is unique in the school and taken under a lock (PO-<year>-<n>); only a draft
is edited (its lines replaced) or deleted; placing needs at least one line; receiving is for an
ordered or partly received PO, at most each line's pending quantity, at the line's rate unless
another is given, and leaves the PO partly received or received; a PO with anything received is
not cancelled (what is left is simply not received); the lines' rows are locked before the
balances, in line order, so two receipts of one PO wait for each other.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core import audit
from apps.core.services import refuse, save_checked

from ..models import (
    MovementKind,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    SerialUnit,
)
from .ledger import Leg, Posted, advisory_lock, post, replay, same_school, school_today
from .movements import _quantity

PO_FIELDS = ["vendor", "store", "status", "expected_date", "notes"]


def next_po_number(school) -> str:
    advisory_lock(f"inventory-po-{school.pk}")
    year = school_today(school).year
    prefix = f"PO-{year}-"
    last = (
        PurchaseOrder.objects.filter(school=school, number__startswith=prefix)
        .order_by("-number").values_list("number", flat=True).first()
    )  # fmt: skip
    n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{n:05d}"


def _set_lines(order: PurchaseOrder, lines: list[dict]) -> None:
    seen = set()
    for line in lines:
        same_school(order.school, item=line["item"])
        if line["item"].pk in seen:
            raise refuse(_("An item is listed twice."), code="duplicate_item", fields=["lines"])
        seen.add(line["item"].pk)
    order.lines.all().delete()
    rows = [
        PurchaseOrderLine(
            school_id=order.school_id, order=order, item=line["item"],
            quantity=line["quantity"], rate=line.get("rate", line["item"].standard_rate),
        )
        for line in lines
    ]  # fmt: skip
    for row in rows:
        row.full_clean(exclude=["order", "school", "item"], validate_constraints=False)
    PurchaseOrderLine.objects.bulk_create(rows)


@transaction.atomic
def po_create(
    *,
    school,
    actor,
    vendor,
    store,
    lines: list[dict],
    expected_date=None,
    notes: str = "",
    auto_created: bool = False,
) -> PurchaseOrder:
    """Draft a purchase order with its lines."""  # fmt: skip
    same_school(school, vendor=vendor, store=store)
    order = PurchaseOrder(
        school=school, number=next_po_number(school), vendor=vendor, store=store,
        expected_date=expected_date, notes=notes, created_by=actor, auto_created=auto_created,
    )  # fmt: skip
    save_checked(order)
    _set_lines(order, lines)
    audit.record(actor=actor, action="inventory.po.create", instance=order, school=school,
                 after=audit.snapshot(order, PO_FIELDS))  # fmt: skip
    return order


def _draft_only(order: PurchaseOrder) -> None:
    if order.status != POStatus.DRAFT:
        raise refuse(_("Only a draft purchase order can be changed."), code="not_draft")


@transaction.atomic
def po_update(*, order: PurchaseOrder, actor, data: dict) -> PurchaseOrder:
    order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    _draft_only(order)
    before = audit.snapshot(order, PO_FIELDS)
    same_school(order.school, vendor=data.get("vendor"), store=data.get("store"))
    for name in ("vendor", "store", "expected_date", "notes"):
        if name in data:
            setattr(order, name, data[name])
    save_checked(order)
    if "lines" in data:
        _set_lines(order, data["lines"])
    audit.record(actor=actor, action="inventory.po.update", instance=order, school=order.school,
                 before=before, after=audit.snapshot(order, PO_FIELDS))  # fmt: skip
    return order


@transaction.atomic
def po_delete(*, order: PurchaseOrder, actor) -> None:
    order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    _draft_only(order)
    audit.record(actor=actor, action="inventory.po.delete", instance=order, school=order.school,
                 before=audit.snapshot(order, PO_FIELDS))  # fmt: skip
    order.delete()


def _set_status(order: PurchaseOrder, actor, status: str, action: str) -> PurchaseOrder:
    before = audit.snapshot(order, PO_FIELDS)
    order.status = status
    if status == POStatus.ORDERED:
        order.ordered_at = timezone.now()
    order.save(update_fields=["status", "ordered_at", "updated_at"])
    audit.record(actor=actor, action=action, instance=order, school=order.school, before=before,
                 after=audit.snapshot(order, PO_FIELDS))  # fmt: skip
    return order


@transaction.atomic
def po_place(*, order: PurchaseOrder, actor) -> PurchaseOrder:
    """Draft → ordered (sent to the vendor)."""
    order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    _draft_only(order)
    if not order.lines.exists():
        raise refuse(_("Add at least one line before ordering."), code="no_lines")
    return _set_status(order, actor, POStatus.ORDERED, "inventory.po.place")


@transaction.atomic
def po_cancel(*, order: PurchaseOrder, actor) -> PurchaseOrder:
    order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    if order.status not in (POStatus.DRAFT, POStatus.ORDERED):
        raise refuse(_("Only a draft or ordered purchase order with nothing received can be "
                       "cancelled."), code="not_cancellable")  # fmt: skip
    return _set_status(order, actor, POStatus.CANCELLED, "inventory.po.cancel")


@transaction.atomic
def po_receive(
    *, order: PurchaseOrder, actor, lines: list[dict], idempotency_key: str = "", occurred_at=None
) -> Posted:
    """Receive `lines` ({line, quantity, rate?, serials?}) into the PO's store: one receipt
    movement per line, the lines' received quantities and the PO's status updated."""  # fmt: skip
    found = replay(order.school, idempotency_key)
    if found is not None:
        return found
    order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    if order.status not in (POStatus.ORDERED, POStatus.PARTLY_RECEIVED):
        raise refuse(_("Only an ordered purchase order can be received."), code="not_ordered")
    if not lines:
        raise refuse(_("Receive at least one line."), code="no_lines", fields=["lines"])
    ids = [entry["line"].pk for entry in lines]
    if len(set(ids)) != len(ids):
        raise refuse(_("A line is listed twice."), code="duplicate_line", fields=["lines"])
    locked = {
        row.pk: row for row in PurchaseOrderLine.objects.select_for_update()
        .filter(pk__in=ids, order=order).select_related("item").order_by("pk")
    }  # fmt: skip
    legs = []
    for entry in lines:
        line = locked.get(entry["line"].pk)
        if line is None:
            raise refuse(_("That line is not on this order."), code="line_mismatch",
                         fields=["lines"])  # fmt: skip
        serials = entry.get("serials") or []
        quantity = _quantity(line.item, entry.get("quantity"), serials)
        if quantity > line.pending_quantity:
            raise refuse(_("More than is still to come on the line for %(item)s.")
                         % {"item": line.item.name}, code="more_than_ordered",
                         fields=["lines"])  # fmt: skip
        rate = entry.get("rate")
        fields = {"recorded_by": actor, "purchase_order_line": line,
                  "reason": _("Received on %(po)s") % {"po": order.number}}  # fmt: skip
        if occurred_at:
            fields["occurred_at"] = occurred_at
        leg = Leg(MovementKind.RECEIPT, line.item, order.store, quantity, quantity,
                  rate=Decimal(line.rate if rate is None else rate), fields=fields)  # fmt: skip
        if serials:
            taken = SerialUnit.objects.filter(item=line.item, serial_number__in=serials)
            if taken.exists():
                raise refuse(_("These serial numbers already exist: %(list)s.") % {"list": ", ".join(
                    sorted(taken.values_list("serial_number", flat=True)))},
                    code="serial_exists", fields=["lines"])  # fmt: skip
            leg.units = SerialUnit.objects.bulk_create([
                SerialUnit(school=order.school, item=line.item, serial_number=s,
                           store=order.store) for s in serials])  # fmt: skip
        line.received_quantity += quantity
        legs.append(leg)
    posted = post(school=order.school, legs=legs, idempotency_key=idempotency_key)
    PurchaseOrderLine.objects.bulk_update(list(locked.values()), ["received_quantity"])
    complete = all(line.received_quantity >= line.quantity for line in order.lines.all())
    _set_status(order, actor, POStatus.RECEIVED if complete else POStatus.PARTLY_RECEIVED,
                "inventory.po.receive")  # fmt: skip
    return posted
