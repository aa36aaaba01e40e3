"""The use cases of the ledger: receive, issue, return, transfer, adjust, write off.

Each `check_*` validates the input and plans the legs (see `ledger` for the rules every
movement obeys); `movement_record` is the one entry point the API, the admin, the purchase
orders and the item requests use. Rules of the kinds:
- receipt: a quantity at a rate (or a purchase order line's rate); serial-tracked items receive
  one new unit per serial number (unique per item);
- issue: to exactly one staff member, student, section or location; a returnable asset issued
  to a person needs a due date, a consumable has none; serial-tracked items name the available
  units of the store;
- return: against an issue, back into its store, at most what is still out; a returned unit is
  available again (or under repair);
- transfer: between two stores of the school, at the average value of the source;
- adjustment: after a stock-take, to the counted quantity, with a reason and an approver (a
  school admin or store manager); not for serial-tracked items (receive or write off units);
- write-off: lost, damaged or expired stock from the shelf, or against an issue (a borrower lost
  it: the shelf is untouched, the issue is settled), with an optional charge to the person
  responsible.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.accounts.models import Role
from apps.core.services import refuse

from ..models import (
    ZERO,
    ItemKind,
    MovementKind,
    SerialUnit,
    StockMovement,
    UnitState,
    WriteOffReason,
)
from .ledger import (
    Leg,
    Posted,
    custody,
    is_store_manager,
    outstanding,
    post,
    replay,
    same_school,
)

K = MovementKind
RECIPIENTS = ("staff", "student", "section", "location")


def _quantity(item, quantity, serials, *, field: str = "quantity") -> Decimal:
    if item.serial_tracked:
        if not serials:
            raise refuse(_("Name the serial numbers of a serial-tracked item."),
                         code="serials_required", fields=["serials"])  # fmt: skip
        if len(set(serials)) != len(serials):
            raise refuse(_("A serial number is listed twice."), code="duplicate_serial",
                         fields=["serials"])  # fmt: skip
        if quantity is not None and Decimal(quantity) != len(serials):
            raise refuse(_("The quantity must be the number of serial numbers."),
                         code="quantity_mismatch", fields=[field])  # fmt: skip
        return Decimal(len(serials))
    if serials:
        raise refuse(_("This item is not serial-tracked."), code="not_serial_tracked",
                     fields=["serials"])  # fmt: skip
    if quantity is None or quantity <= 0:
        raise refuse(_("Enter a quantity above zero."), code="quantity_required", fields=[field])
    return Decimal(quantity)


def _units(item, serials) -> list[SerialUnit]:
    units = list(SerialUnit.objects.filter(item=item, serial_number__in=serials))
    found = {u.serial_number for u in units}
    unknown = [s for s in serials if s not in found]
    if unknown:
        raise refuse(_("Unknown serial numbers: %(list)s.") % {"list": ", ".join(unknown)},
                     code="unknown_serial", fields=["serials"])  # fmt: skip
    return units


def _require_units(legs, test, message: str, code: str) -> None:
    bad = [u.serial_number for leg in legs for u in leg.units if not test(leg, u)]
    if bad:
        raise refuse(message % {"list": ", ".join(sorted(bad))}, code=code, fields=["serials"])


def _common(actor, data: dict) -> dict:
    fields = {"recorded_by": actor, "reason": data.get("reason", "")}
    if data.get("occurred_at"):
        fields["occurred_at"] = data["occurred_at"]
    if data.get("request") is not None:
        fields["request"] = data["request"]
    return fields


def check_receipt(*, school, actor, item, store, data) -> list[Leg]:
    serials = data.get("serials") or []
    quantity = _quantity(item, data.get("quantity"), serials)
    rate = data.get("rate")
    fields = _common(actor, data)
    if rate is None or rate < 0:
        raise refuse(_("Enter the rate the stock was bought at."), code="rate_required",
                     fields=["rate"])  # fmt: skip
    leg = Leg(K.RECEIPT, item, store, quantity, quantity, rate=Decimal(rate), fields=fields)
    if serials:
        taken = set(SerialUnit.objects.filter(item=item, serial_number__in=serials)
                    .values_list("serial_number", flat=True))  # fmt: skip
        if taken:
            raise refuse(_("These serial numbers already exist: %(list)s.")
                         % {"list": ", ".join(sorted(taken))}, code="serial_exists",
                         fields=["serials"])  # fmt: skip
        leg.units = SerialUnit.objects.bulk_create(
            [SerialUnit(school=school, item=item, serial_number=s, store=store) for s in serials]
        )
    return [leg]


def _recipient(school, data) -> dict:
    given = {name: data.get(name) for name in RECIPIENTS if data.get(name)}
    if len(given) != 1:
        raise refuse(_("Issue to exactly one staff member, student, section or location."),
                     code="one_recipient", fields=list(RECIPIENTS))  # fmt: skip
    same_school(school, **{k: v for k, v in given.items() if k != "location"})
    staff = given.get("staff")
    if staff is not None and (staff.role not in (Role.ADMIN, Role.TEACHER, Role.STAFF)
                              or not staff.is_active):  # fmt: skip
        raise refuse(_("Issue to an active member of staff."), code="not_staff", fields=["staff"])
    return {name: given.get(name, "" if name == "location" else None) for name in RECIPIENTS}


def check_issue(*, school, actor, item, store, data) -> list[Leg]:
    serials = data.get("serials") or []
    quantity = _quantity(item, data.get("quantity"), serials)
    recipient = _recipient(school, data)
    due = data.get("due_date")
    if item.kind == ItemKind.CONSUMABLE and due:
        raise refuse(_("A consumable is not returned: leave the due date empty."),
                     code="no_due_date", fields=["due_date"])  # fmt: skip
    if item.kind == ItemKind.ASSET and not due and (recipient["staff"] or recipient["student"]):
        raise refuse(_("Give the date a returnable item is due back."), code="due_date_required",
                     fields=["due_date"])  # fmt: skip
    fields = {**_common(actor, data), **recipient, "due_date": due}
    leg = Leg(K.ISSUE, item, store, quantity, -quantity, fields=fields)
    if serials:
        leg.units = _units(item, serials)
        leg.unit_changes = {"state": UnitState.ISSUED, "issue": "self", **custody(
            staff=recipient["staff"], student=recipient["student"],
            section=recipient["section"], location=recipient["location"])}  # fmt: skip
    return [leg]


def _issue_checks(store):
    def check(legs):
        _require_units(legs, lambda _leg, u: u.state == UnitState.AVAILABLE and u.store_id == store.pk,
                       _("Not available in this store: %(list)s."), "unit_unavailable")  # fmt: skip

    return check


def _settling(school, data, item) -> StockMovement:
    issue = data.get("issue")
    if issue is None:
        raise refuse(_("Name the issue this settles."), code="issue_required", fields=["issue"])
    same_school(school, issue=issue)
    if issue.kind != K.ISSUE or issue.item_id != item.pk:
        raise refuse(_("That is not an issue of this item."), code="not_an_issue",
                     fields=["issue"])  # fmt: skip
    return issue


def _outstanding_check(issue, quantity, extra=None):
    def check(legs):
        left = outstanding(issue)
        if quantity > left:
            raise refuse(_("Only %(left)s of this issue are still out.") % {"left": left.normalize()},
                         code="more_than_issued", fields=["quantity"])  # fmt: skip
        if extra is not None:
            extra(legs)

    return check


def _settled_units_check(issue):
    def check(legs):
        _require_units(legs, lambda _leg, u: u.issue_id == issue.pk and u.state == UnitState.ISSUED,
                       _("Not out on this issue: %(list)s."), "unit_not_issued")  # fmt: skip

    return check


def check_return(*, school, actor, item, data) -> tuple[list[Leg], object]:
    issue = _settling(school, data, item)
    serials = data.get("serials") or []
    quantity = _quantity(item, data.get("quantity"), serials)
    back = data.get("unit_state") or UnitState.AVAILABLE
    fields = {**_common(actor, data), "issue": issue, "staff": issue.staff,
              "student": issue.student, "section": issue.section, "location": issue.location}  # fmt: skip
    leg = Leg(K.RETURN, item, issue.store, quantity, quantity, rate=issue.rate, fields=fields)
    if serials:
        leg.units = _units(item, serials)
        leg.unit_changes = {"state": back, "issue": None, **custody(store=issue.store)}
    extra = _settled_units_check(issue) if serials else None
    return [leg], _outstanding_check(issue, quantity, extra)


def check_transfer(*, school, actor, item, store, data) -> list[Leg]:
    to_store = data.get("to_store")
    if to_store is None or to_store.pk == store.pk:
        raise refuse(_("Choose another store to transfer to."), code="to_store_required",
                     fields=["to_store"])  # fmt: skip
    same_school(school, to_store=to_store)
    serials = data.get("serials") or []
    quantity = _quantity(item, data.get("quantity"), serials)
    fields = _common(actor, data)
    out = Leg(K.TRANSFER_OUT, item, store, quantity, -quantity, fields=dict(fields))
    into = Leg(
        K.TRANSFER_IN, item, to_store, quantity, quantity, fields=dict(fields), value_from=out
    )
    if serials:
        out.units = _units(item, serials)
        out.unit_changes = custody(store=to_store)
    return [out, into]


def _shelf_units_check(store):
    def check(legs):
        _require_units(legs, lambda leg, u: u.store_id == store.pk and leg.kind != K.TRANSFER_IN
                       and u.state in (UnitState.AVAILABLE, UnitState.UNDER_REPAIR),
                       _("Not on the shelf of this store: %(list)s."), "unit_unavailable")  # fmt: skip

    return check


def check_adjustment(*, school, actor, item, store, data) -> tuple[list[Leg], object]:
    if item.serial_tracked:
        raise refuse(_("Receive or write off the units of a serial-tracked item instead."),
                     code="serial_adjustment", fields=["item"])  # fmt: skip
    counted = data.get("counted_quantity")
    if counted is None or counted < 0:
        raise refuse(_("Enter the counted quantity."), code="counted_required",
                     fields=["counted_quantity"])  # fmt: skip
    if not (data.get("reason") or "").strip():
        raise refuse(_("Say why the stock is adjusted."), code="reason_required", fields=["reason"])
    approver = data.get("approved_by")
    if approver is None or approver.school_id != school.pk or not is_store_manager(approver):
        raise refuse(_("An adjustment is approved by a school admin or the store manager."),
                     code="approver_required", fields=["approved_by"])  # fmt: skip
    fields = {**_common(actor, data), "approved_by": approver}
    # The delta depends on the locked balance: planned with a placeholder, set in the check.
    leg = Leg(K.ADJUSTMENT, item, store, Decimal("1"), ZERO, rate=data.get("rate"), fields=fields)

    def check(_legs):
        from ..models import StockBalance

        current = StockBalance.objects.get(item=item, store=store).quantity
        delta = Decimal(counted) - current
        if delta == 0:
            raise refuse(_("The count matches the stock: nothing to adjust."),
                         code="nothing_to_adjust", fields=["counted_quantity"])  # fmt: skip
        leg.delta, leg.quantity = delta, abs(delta)
        if delta > 0 and leg.rate is None:
            balance = StockBalance.objects.get(item=item, store=store)
            leg.rate = balance.average_rate or item.standard_rate

    return [leg], check


def check_write_off(*, school, actor, item, store, data) -> tuple[list[Leg], object]:
    reason = data.get("write_off_reason")
    if reason not in WriteOffReason.values:
        raise refuse(_("Say whether it was lost, damaged or expired."),
                     code="write_off_reason_required", fields=["write_off_reason"])  # fmt: skip
    serials = data.get("serials") or []
    quantity = _quantity(item, data.get("quantity"), serials)
    charge = data.get("charge_amount")
    fields = {**_common(actor, data), "write_off_reason": reason, "charge_amount": charge}
    end_state = UnitState.LOST if reason == WriteOffReason.LOST else UnitState.RETIRED
    if data.get("issue") is not None:
        issue = _settling(school, data, item)
        fields.update(issue=issue, staff=issue.staff, student=issue.student,
                      section=issue.section, location=issue.location)  # fmt: skip
        leg = Leg(K.WRITE_OFF, item, issue.store, quantity, ZERO, rate=issue.rate, fields=fields)
        if serials:
            leg.units = _units(item, serials)
            leg.unit_changes = {"state": end_state, "issue": None}
        extra = _settled_units_check(issue) if serials else None
        return [leg], _outstanding_check(issue, quantity, extra)
    person = {name: data.get(name) for name in ("staff", "student") if data.get(name)}
    if charge and len(person) != 1:
        raise refuse(_("Name the staff member or student who is charged."),
                     code="charged_person_required", fields=["staff", "student"])  # fmt: skip
    same_school(school, **person)
    fields.update(person)
    leg = Leg(K.WRITE_OFF, item, store, quantity, -quantity, fields=fields)
    if serials:
        leg.units = _units(item, serials)
        leg.unit_changes = {"state": end_state}
    return [leg], (_shelf_units_check(store) if serials else None)


@transaction.atomic
def movement_record(
    *, school, actor, kind: str, item, store=None, data: dict, idempotency_key: str = ""
) -> Posted:
    """Record one movement (two for a transfer) of `item` and return what was written; with an
    `idempotency_key` already used in the school, what was written then (`replayed`), also when
    the first request is still running (this one waits for it and answers with its result)."""
    found = replay(school, idempotency_key)
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return _record(school, actor, kind, item, store, data, idempotency_key)
    except IntegrityError as exc:
        found = replay(school, idempotency_key)
        if found is not None:
            return found
        if "inventory_unit_serial" in str(exc):
            raise refuse(_("These serial numbers already exist: %(list)s.")
                         % {"list": ", ".join(data.get("serials") or [])}, code="serial_exists",
                         fields=["serials"]) from exc  # fmt: skip
        raise


def _record(school, actor, kind, item, store, data, idempotency_key) -> Posted:
    same_school(school, item=item, store=store)
    settles = kind in (K.RETURN, K.WRITE_OFF) and data.get("issue") is not None
    if store is None and not settles:
        raise refuse(_("Choose the store."), code="store_required", fields=["store"])
    args = {"school": school, "actor": actor, "item": item, "data": data}
    check = None
    if kind == K.RECEIPT and data.get("purchase_order_line") is not None:
        from .purchasing import po_receive

        line = data["purchase_order_line"]
        same_school(school, purchase_order_line=line)
        if line.item_id != item.pk or line.order.store_id != store.pk:
            raise refuse(_("The order line is for another item or store."),
                         code="line_mismatch", fields=["purchase_order_line"])  # fmt: skip
        entry = {"line": line, "quantity": data.get("quantity"), "rate": data.get("rate"),
                 "serials": data.get("serials")}  # fmt: skip
        return po_receive(
            order=line.order,
            actor=actor,
            lines=[entry],
            idempotency_key=idempotency_key,
            occurred_at=data.get("occurred_at"),
        )
    if kind == K.RECEIPT:
        legs = check_receipt(store=store, **args)
    elif kind == K.ISSUE:
        legs = check_issue(store=store, **args)
        check = _issue_checks(store) if item.serial_tracked else None
    elif kind == K.RETURN:
        legs, check = check_return(**args)
    elif kind == "transfer":
        legs = check_transfer(store=store, **args)
        check = _shelf_units_check(store) if item.serial_tracked else None
    elif kind == K.ADJUSTMENT:
        legs, check = check_adjustment(store=store, **args)
    elif kind == K.WRITE_OFF:
        legs, check = check_write_off(store=store, **args)
    else:
        raise refuse(_("Unknown kind of movement."), code="invalid_kind", fields=["kind"])
    return post(school=school, legs=legs, idempotency_key=idempotency_key, check=check)
