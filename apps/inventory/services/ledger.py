"""The stock ledger: every change of stock is a movement, written with its balance in one
transaction.

Rules (each enforced here, the last ones also by the database):
- a movement is never edited or deleted (pgtrigger refuses UPDATE/DELETE); a mistake is reversed
  by a compensating movement (a return, an adjustment);
- the balance rows a write touches are created if missing and then locked with SELECT ... FOR
  UPDATE in one statement ordered by (item, store), so two writes touching the same rows always
  take them in the same order and never deadlock; serial units are locked after them, by id;
- a balance never goes below zero: asking for more than is on the shelf is a 409
  `insufficient_stock` naming what is available (and a CHECK constraint is the backstop);
- valuation is the moving average (INVENTORY_VALUATION=moving_average, the default): what comes
  in adds quantity × its rate, what goes out leaves at the average rate; or FIFO
  (INVENTORY_VALUATION=fifo): the balance keeps its [quantity, rate] layers, oldest first, and
  what goes out takes the oldest layers' value (a transfer carries its layers to the other
  store). Either way the last unit takes the remaining value exactly, so no paisa is left
  behind, and each movement stores its rate, the value change and the quantity and value after;
- a transfer is two movements (out of one store, into the other) at the same value;
- serial-tracked items move by serial number: one unit per number, available in a store,
  issued to exactly one custodian or location, under repair, lost or retired;
- the same idempotency key (per school) writes one movement: a retry gets the first result, also
  when the two requests race (the unique key decides, the loser reads the winner's row).
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.exceptions import ApplicationError
from apps.core.services import refuse
from apps.core.signals import announce_change

from ..models import (
    ZERO,
    Item,
    MovementKind,
    MovementUnit,
    SerialUnit,
    StockBalance,
    StockMovement,
    Store,
)

Q2, Q3, Q4 = Decimal("0.01"), Decimal("0.001"), Decimal("0.0001")
IDEMPOTENCY_CONSTRAINT = "inventory_movement_idempotency"
INCOMING = {MovementKind.RECEIPT, MovementKind.RETURN, MovementKind.TRANSFER_IN}


def money(value: Decimal) -> Decimal:
    return value.quantize(Q2, rounding=ROUND_HALF_UP)


def school_today(school) -> dt.date:
    """Today where the school is."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(school.timezone)).date()


class InsufficientStock(ApplicationError):
    status_code = 409


@dataclass
class Leg:
    """One planned change of one item's stock in one store."""

    kind: str
    item: Item
    store: Store
    quantity: Decimal
    delta: Decimal  # signed effect on the balance
    rate: Decimal | None = None  # None: leaves at the average rate
    fields: dict = field(default_factory=dict)
    units: list[SerialUnit] = field(default_factory=list)
    unit_changes: dict = field(default_factory=dict)  # what each moved unit becomes
    value_from: Leg | None = None  # a transfer's "in" leg takes the "out" leg's value
    taken: list | None = None  # FIFO: the layers an outgoing leg took
    movement: StockMovement | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass
class Posted:
    movements: list[StockMovement]
    replayed: bool = False

    @property
    def first(self) -> StockMovement:
        return self.movements[0]


def replay(school, key: str) -> Posted | None:
    """The movements an earlier request with this idempotency key wrote, or None."""
    if not key:
        return None
    first = StockMovement.objects.filter(school=school, idempotency_key=key).first()
    if first is None:
        return None
    movements = [first]
    if first.counterpart_id:
        movements.append(StockMovement.objects.get(pk=first.counterpart_id))
    return Posted(movements, replayed=True)


def _sort_key(pair: tuple) -> tuple[str, str]:
    # Postgres orders UUIDs by their bytes, which is the order of their lowercase hex strings.
    return (str(pair[0]), str(pair[1]))


def lock_balances(school, pairs) -> dict[tuple, StockBalance]:
    """The balance rows of `pairs` (item id, store id), created when missing and locked FOR
    UPDATE in (item, store) order."""
    pairs = sorted({(i, s) for i, s in pairs}, key=_sort_key)
    match = Q()
    for item_id, store_id in pairs:
        match |= Q(item_id=item_id, store_id=store_id)
    existing = set(StockBalance.objects.filter(match).values_list("item_id", "store_id"))
    missing = [p for p in pairs if p not in existing]
    if missing:
        StockBalance.objects.bulk_create(
            [StockBalance(school=school, item_id=i, store_id=s) for i, s in missing],
            ignore_conflicts=True,
        )
    rows = StockBalance.objects.select_for_update().filter(match).order_by("item_id", "store_id")
    return {(b.item_id, b.store_id): b for b in rows}


def _shortage(leg: Leg, available: Decimal) -> InsufficientStock:
    message = _("Only %(available)s %(unit)s of %(item)s are in %(store)s.") % {
        "available": available.normalize(), "unit": leg.item.get_unit_display(),
        "item": leg.item.name, "store": leg.store.name,
    }  # fmt: skip
    return InsufficientStock(
        message, code="insufficient_stock",
        fields={"quantity": [message], "available": [str(available)]},
    )  # fmt: skip


def _fifo() -> bool:
    return settings.INVENTORY_VALUATION == "fifo"


def _layers(balance: StockBalance) -> list[list[Decimal]]:
    """The balance's FIFO layers; stock the layers do not account for (valued before FIFO was
    switched on) is one layer at the average rate."""
    layers = [[Decimal(q), Decimal(r)] for q, r in balance.layers or []]
    if sum((q for q, _ in layers), ZERO) != balance.quantity:
        layers = [[balance.quantity, balance.value / balance.quantity]] if balance.quantity else []
    return layers


def _store_layers(balance: StockBalance, layers) -> None:
    balance.layers = [[str(q), str(r)] for q, r in layers if q > 0]


def _take(layers, wanted: Decimal) -> list[list[Decimal]]:
    """Take `wanted` from the oldest layers (in place); returns what was taken."""
    taken = []
    while wanted > 0:
        quantity, rate = layers[0]
        part = min(quantity, wanted)
        taken.append([part, rate])
        wanted -= part
        if part == quantity:
            layers.pop(0)
        else:
            layers[0][0] = quantity - part
    return taken


def _apply(leg: Leg, balance: StockBalance) -> None:
    """Value the leg (moving average or FIFO) and move the balance; the movement row is built."""
    quantity, value = balance.quantity, balance.value
    fifo = _fifo()
    layers = _layers(balance) if fifo else []
    if leg.delta > 0:
        if leg.value_from is not None:
            rate, value_delta = leg.value_from.movement.rate, -leg.value_from.movement.value_delta
            layers += leg.value_from.taken or [[leg.delta, rate]]
        else:
            rate = leg.rate.quantize(Q4)
            value_delta = money(leg.delta * leg.rate)
            layers.append([leg.delta, Decimal(leg.rate)])
    elif leg.delta < 0:
        if -leg.delta > quantity:
            raise _shortage(leg, quantity)
        if fifo:
            leg.taken = _take(layers, -leg.delta)
            cost = sum((q * r for q, r in leg.taken), ZERO)
            rate = (cost / -leg.delta).quantize(Q4)
        else:
            rate = (value / quantity).quantize(Q4) if quantity else ZERO
            cost = -leg.delta * rate
        value_delta = -value if -leg.delta == quantity else -min(money(cost), value)
    else:  # settles an issue without touching the shelf (a lost laptop)
        rate, value_delta = (leg.rate or ZERO).quantize(Q4), ZERO
    balance.quantity = quantity + leg.delta
    balance.value = value + value_delta
    if fifo:
        _store_layers(balance, layers)
    leg.movement = StockMovement(
        id=leg.id, school_id=balance.school_id, item=leg.item, store=leg.store, kind=leg.kind,
        quantity=leg.quantity, delta=leg.delta, rate=rate, value_delta=value_delta,
        quantity_after=balance.quantity, value_after=balance.value, **leg.fields,
    )  # fmt: skip


def _lock_units(legs: list[Leg]) -> None:
    ids = sorted({u.pk for leg in legs for u in leg.units}, key=str)
    if not ids:
        return
    fresh = {
        u.pk: u for u in SerialUnit.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    for leg in legs:
        leg.units = [fresh[u.pk] for u in leg.units]


def post(*, school, legs: list[Leg], idempotency_key: str = "", check=None) -> Posted:
    """Write `legs` and their balances in one transaction (see the module's rules).
    `check(legs)` runs once everything is locked, to verify what depends on locked state
    (which units are where, what an issue still has out)."""
    if idempotency_key:
        found = replay(school, idempotency_key)
        if found is not None:
            return found
    try:
        with transaction.atomic():
            return _post(school, legs, idempotency_key, check)
    except IntegrityError as exc:
        if idempotency_key and IDEMPOTENCY_CONSTRAINT in str(exc):
            found = replay(school, idempotency_key)  # the concurrent twin committed first
            if found is not None:
                return found
        if "inventory_balance_quantity_nonneg" in str(exc):
            raise InsufficientStock(_("Not enough stock."), code="insufficient_stock") from exc
        raise


def _post(school, legs: list[Leg], idempotency_key: str, check) -> Posted:
    balances = lock_balances(school, [(leg.item.pk, leg.store.pk) for leg in legs])
    _lock_units(legs)
    if check is not None:
        check(legs)
    now = timezone.now()
    for index, leg in enumerate(legs):
        leg.fields.setdefault("occurred_at", now)
        leg.fields["idempotency_key"] = idempotency_key if index == 0 else ""
        _apply(leg, balances[(leg.item.pk, leg.store.pk)])
    for leg in legs:
        if leg.value_from is not None:
            leg.movement.counterpart_id = leg.value_from.id
            leg.value_from.movement.counterpart_id = leg.id
    movements = [leg.movement for leg in legs]
    for movement in movements:
        movement.full_clean(exclude=["school", "item", "store", "issue", "counterpart",
                                     "purchase_order_line", "request", "staff", "student",
                                     "section", "approved_by", "recorded_by"],
                            validate_unique=False, validate_constraints=False)  # fmt: skip
    StockMovement.objects.bulk_create(movements)
    touched = {(leg.item.pk, leg.store.pk) for leg in legs}
    StockBalance.objects.bulk_update(
        [balances[p] for p in touched], ["quantity", "value", "layers", "updated_at"]
    )
    _move_units(school, legs)
    announce_change(school.pk, "inventory")
    return Posted(movements)


def _move_units(school, legs: list[Leg]) -> None:
    links, changed = [], []
    for leg in legs:
        for unit in leg.units:
            links.append(MovementUnit(school=school, movement=leg.movement, unit=unit))
            if leg.unit_changes:
                changes = dict(leg.unit_changes)
                if changes.get("issue") == "self":
                    changes["issue"] = leg.movement
                for name, value in changes.items():
                    setattr(unit, name, value)
                changed.append(unit)
    if links:
        MovementUnit.objects.bulk_create(links)
    if changed:
        SerialUnit.objects.bulk_update(changed, list(UNIT_FIELDS))


UNIT_FIELDS = ("state", "store", "staff", "student", "section", "location", "issue")


def custody(*, store=None, staff=None, student=None, section=None, location="") -> dict:
    """A unit's place: exactly one of these is set."""
    return {"store": store, "staff": staff, "student": student, "section": section,
            "location": location or ""}  # fmt: skip


def outstanding(issue: StockMovement) -> Decimal:
    """What an issue still has out: its quantity less the returns and write-offs against it."""
    settled = issue.settlements.aggregate(total=Sum("quantity"))["total"] or ZERO
    return issue.quantity - settled


def ledger_sum(item_id, store_id) -> tuple[Decimal, Decimal]:
    """The quantity and value the movements add up to (what a balance must equal)."""
    totals = StockMovement.objects.filter(item_id=item_id, store_id=store_id).aggregate(
        q=Sum("delta"), v=Sum("value_delta")
    )
    return totals["q"] or ZERO, totals["v"] or ZERO


def advisory_lock(name: str) -> None:
    """A transaction-scoped lock on `name` (numbering, one low-stock run at a time)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])


def same_school(school, **objects) -> None:
    """Refuse any of `objects` (None allowed) that belongs to another school."""
    for name, obj in objects.items():
        if obj is not None and getattr(obj, "school_id", None) != school.pk:
            raise refuse(_("Not found in this school."), code="not_found", fields=[name])


def is_store_manager(user) -> bool:
    from ..scopes import manages_stores

    return manages_stores(user)
