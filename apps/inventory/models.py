"""Inventory and stores: the catalogue, vendors and purchase orders, and the stock ledger.

The ledger is `StockMovement`: one row per change of stock of one item in one store, never
edited or deleted (a database trigger refuses UPDATE and DELETE; a mistake is reversed by a
compensating movement). `StockBalance` is derived from it, kept in the same transaction by
`apps.inventory.services.ledger`, and checked by the database never to go below zero.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import NullIf
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from apps.core.models import SchoolScopedModel

ZERO = Decimal("0")
GSTIN_RE = re.compile(r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")
_GSTIN_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def gstin_check_digit(first14: str) -> str:
    """The GSTIN's 15th character: the mod-36 check over the first fourteen."""
    total = 0
    for index, char in enumerate(first14):
        product = _GSTIN_CHARS.index(char) * (2 if index % 2 else 1)
        total += product // 36 + product % 36
    return _GSTIN_CHARS[(36 - total % 36) % 36]


def validate_gstin(value: str) -> None:
    """A GSTIN: state code, PAN, entity number, 'Z' and a valid check character."""
    if not value:
        return
    if not GSTIN_RE.match(value) or gstin_check_digit(value[:14]) != value[14]:
        raise ValidationError(_("Enter a valid 15-character GSTIN."), code="invalid_gstin")


class Unit(models.TextChoices):
    PIECE = "piece", _("Piece")
    BOX = "box", _("Box")
    PACK = "pack", _("Pack")
    SET = "set", _("Set")
    PAIR = "pair", _("Pair")
    REAM = "ream", _("Ream")
    KG = "kg", _("Kilogram")
    LITRE = "litre", _("Litre")
    METRE = "metre", _("Metre")


class ItemKind(models.TextChoices):
    CONSUMABLE = "consumable", _("Consumable")
    ASSET = "asset", _("Returnable asset")


class StoreKind(models.TextChoices):
    MAIN = "main", _("Main store")
    LAB = "lab", _("Laboratory")
    SPORTS = "sports", _("Sports room")
    LIBRARY = "library", _("Library")
    OTHER = "other", _("Other")


class ItemCategory(SchoolScopedModel):
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="inventory_category_name")
        ]
        verbose_name = _("item category")
        verbose_name_plural = _("item categories")

    def __str__(self) -> str:
        return self.name


class Store(SchoolScopedModel):
    """A place stock is kept: the main store, a lab, the sports room."""

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=20)
    kind = models.CharField(_("kind"), max_length=16, choices=StoreKind, default=StoreKind.MAIN)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "code"], name="inventory_store_code")
        ]
        verbose_name = _("store")
        verbose_name_plural = _("stores")

    def __str__(self) -> str:
        return self.name


class Vendor(SchoolScopedModel):
    name = models.CharField(_("name"), max_length=150)
    gstin = models.CharField(_("GSTIN"), max_length=15, blank=True, validators=[validate_gstin])
    contact_name = models.CharField(_("contact person"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.TextField(_("address"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="inventory_vendor_name")
        ]
        verbose_name = _("vendor")
        verbose_name_plural = _("vendors")

    def __str__(self) -> str:
        return self.name


class Item(SchoolScopedModel):
    category = models.ForeignKey(
        ItemCategory, on_delete=models.PROTECT, related_name="items", verbose_name=_("category")
    )
    name = models.CharField(_("name"), max_length=150)
    sku = models.CharField(_("SKU"), max_length=40)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit, default=Unit.PIECE)
    kind = models.CharField(_("kind"), max_length=12, choices=ItemKind, default=ItemKind.CONSUMABLE)
    serial_tracked = models.BooleanField(_("serial-tracked"), default=False)
    preferred_vendor = models.ForeignKey(
        Vendor, null=True, blank=True, on_delete=models.SET_NULL, related_name="items",
        verbose_name=_("preferred vendor"),
    )  # fmt: skip
    standard_rate = models.DecimalField(
        _("standard rate"), max_digits=12, decimal_places=2, default=ZERO,
        validators=[MinValueValidator(ZERO)],
    )  # fmt: skip
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "sku"], name="inventory_item_sku"),
            models.CheckConstraint(
                condition=Q(serial_tracked=False) | Q(kind=ItemKind.ASSET),
                name="inventory_item_serial_is_asset",
                violation_error_message=_("Only a returnable asset can be serial-tracked."),
            ),
        ]
        verbose_name = _("item")
        verbose_name_plural = _("items")

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"

    @property
    def returnable(self) -> bool:
        return self.kind == ItemKind.ASSET


class ReorderRule(SchoolScopedModel):
    """When the item's stock in the store (plus what is on order) falls to `reorder_level`,
    `reorder_quantity` more is ordered."""

    item = models.ForeignKey(
        Item, on_delete=models.CASCADE, related_name="reorder_rules", verbose_name=_("item")
    )
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, related_name="reorder_rules", verbose_name=_("store")
    )
    reorder_level = models.DecimalField(
        _("reorder level"), max_digits=12, decimal_places=3, validators=[MinValueValidator(ZERO)]
    )
    reorder_quantity = models.DecimalField(
        _("reorder quantity"), max_digits=12, decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )  # fmt: skip

    class Meta:
        ordering = ["item__name", "store__name"]
        constraints = [
            models.UniqueConstraint(fields=["item", "store"], name="inventory_reorder_item_store")
        ]
        verbose_name = _("reorder rule")
        verbose_name_plural = _("reorder rules")

    def __str__(self) -> str:
        return f"{self.item} @ {self.store}"


class POStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ORDERED = "ordered", _("Ordered")
    PARTLY_RECEIVED = "partly_received", _("Partly received")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_PO_STATUSES = (POStatus.DRAFT, POStatus.ORDERED, POStatus.PARTLY_RECEIVED)


class PurchaseOrder(SchoolScopedModel):
    number = models.CharField(_("number"), max_length=32)
    vendor = models.ForeignKey(
        Vendor, on_delete=models.PROTECT, related_name="purchase_orders", verbose_name=_("vendor")
    )
    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="purchase_orders",
        verbose_name=_("delivery store"),
    )  # fmt: skip
    status = models.CharField(
        _("status"), max_length=16, choices=POStatus, default=POStatus.DRAFT, db_index=True
    )
    expected_date = models.DateField(_("expected date"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    auto_created = models.BooleanField(_("opened by the low-stock check"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("created by"),
    )  # fmt: skip
    ordered_at = models.DateTimeField(_("ordered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["school", "number"], name="inventory_po_number")
        ]
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")

    def __str__(self) -> str:
        return self.number


class PurchaseOrderLine(SchoolScopedModel):
    order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order")
    )
    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, related_name="order_lines", verbose_name=_("item")
    )
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )  # fmt: skip
    rate = models.DecimalField(
        _("rate"), max_digits=12, decimal_places=2, validators=[MinValueValidator(ZERO)]
    )
    received_quantity = models.DecimalField(
        _("received"), max_digits=12, decimal_places=3, default=ZERO
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "item"], name="inventory_po_line_item"),
            models.CheckConstraint(
                condition=Q(received_quantity__gte=0) & Q(received_quantity__lte=F("quantity")),
                name="inventory_po_line_received_range",
            ),
        ]
        verbose_name = _("purchase order line")
        verbose_name_plural = _("purchase order lines")

    def __str__(self) -> str:
        return f"{self.order} · {self.item}"

    @property
    def pending_quantity(self) -> Decimal:
        return self.quantity - self.received_quantity


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    ISSUE = "issue", _("Issue")
    RETURN = "return", _("Return")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    ADJUSTMENT = "adjustment", _("Adjustment")
    WRITE_OFF = "write_off", _("Write-off")


class WriteOffReason(models.TextChoices):
    LOST = "lost", _("Lost")
    DAMAGED = "damaged", _("Damaged")
    EXPIRED = "expired", _("Expired")


class StockMovement(SchoolScopedModel):
    """One change of one item's stock in one store. Append-only.

    `quantity` is what moved (always positive); `delta` is its effect on the store's balance
    (negative for issues, transfers out, write-offs from the shelf; zero for the write-off of
    something already issued). The store's balance is the sum of `delta`; `rate` is the unit
    value the movement was made at and `value_delta` its effect on the stock value, with the
    quantity and value after it in `quantity_after` / `value_after`.
    """

    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, related_name="movements", verbose_name=_("item")
    )
    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="movements", verbose_name=_("store")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=MovementKind, db_index=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    delta = models.DecimalField(_("change in stock"), max_digits=12, decimal_places=3)
    rate = models.DecimalField(_("rate"), max_digits=14, decimal_places=4)
    value_delta = models.DecimalField(_("change in value"), max_digits=14, decimal_places=2)
    quantity_after = models.DecimalField(_("quantity after"), max_digits=12, decimal_places=3)
    value_after = models.DecimalField(_("value after"), max_digits=14, decimal_places=2)
    occurred_at = models.DateTimeField(_("when"), db_index=True)
    # Who or where an issue went to (exactly one for an issue), or who a return came from.
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("staff member"),
    )  # fmt: skip
    student = models.ForeignKey(
        "accounts.StudentProfile", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("student"),
    )  # fmt: skip
    section = models.ForeignKey(
        "academics.Section", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("section"),
    )  # fmt: skip
    location = models.CharField(_("location"), max_length=100, blank=True)
    due_date = models.DateField(_("due back"), null=True, blank=True)
    # A return or a write-off of issued stock names the issue it settles.
    issue = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="settlements",
        verbose_name=_("issue"),
    )  # fmt: skip
    counterpart = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("other leg of the transfer"),
    )  # fmt: skip
    purchase_order_line = models.ForeignKey(
        PurchaseOrderLine, null=True, blank=True, on_delete=models.PROTECT,
        related_name="receipts", verbose_name=_("purchase order line"),
    )  # fmt: skip
    request = models.ForeignKey(
        "inventory.ItemRequest", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("request"),
    )  # fmt: skip
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    write_off_reason = models.CharField(
        _("write-off reason"), max_length=10, choices=WriteOffReason, blank=True
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("approved by"),
    )  # fmt: skip
    charge_amount = models.DecimalField(
        _("charge"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("recorded by"),
    )  # fmt: skip
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-created_at"]
        indexes = [
            models.Index(fields=["item", "store", "occurred_at"], name="inventory_mv_item_store"),
            models.Index(fields=["school", "occurred_at"], name="inventory_mv_school_when"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "idempotency_key"], condition=~Q(idempotency_key=""),
                name="inventory_movement_idempotency",
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="inventory_mv_quantity_pos"),
            models.CheckConstraint(
                condition=Q(quantity_after__gte=0) & Q(value_after__gte=0),
                name="inventory_mv_after_nonneg",
            ),
            models.CheckConstraint(
                condition=~Q(kind=MovementKind.ISSUE) | Exact(
                    Func(F("staff"), F("student"), F("section"), NullIf(F("location"), Value("")),
                         function="num_nonnulls", output_field=models.IntegerField()),
                    1,
                ),
                name="inventory_mv_issue_one_recipient",
            ),
        ]  # fmt: skip
        triggers = [
            pgtrigger.Protect(
                name="inventory_movement_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            )
        ]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity} × {self.item_id}"


class StockBalance(SchoolScopedModel):
    """The item's stock and its value in the store: the sum of the store's movements, kept in
    the same transaction as each movement, never below zero (a database check)."""

    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, related_name="balances", verbose_name=_("item")
    )
    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="balances", verbose_name=_("store")
    )
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=ZERO)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2, default=ZERO)
    # FIFO valuation only (INVENTORY_VALUATION=fifo): what is in stock as [quantity, rate]
    # layers, oldest first, as strings.
    layers = models.JSONField(_("FIFO layers"), default=list, blank=True)

    class Meta:
        ordering = ["item__name", "store__name"]
        constraints = [
            models.UniqueConstraint(fields=["item", "store"], name="inventory_balance_item_store"),
            models.CheckConstraint(
                condition=Q(quantity__gte=0), name="inventory_balance_quantity_nonneg"
            ),
            models.CheckConstraint(
                condition=Q(value__gte=0), name="inventory_balance_value_nonneg"
            ),
        ]
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")

    def __str__(self) -> str:
        return f"{self.item} @ {self.store}: {self.quantity}"

    @property
    def average_rate(self) -> Decimal:
        return (self.value / self.quantity).quantize(Decimal("0.0001")) if self.quantity else ZERO


class UnitState(models.TextChoices):
    AVAILABLE = "available", _("Available")
    ISSUED = "issued", _("Issued")
    UNDER_REPAIR = "under_repair", _("Under repair")
    LOST = "lost", _("Lost")
    RETIRED = "retired", _("Retired")


class SerialUnit(SchoolScopedModel):
    """One serial-numbered unit of an asset (a laptop), with exactly one custodian or place:
    its store, or the staff member, student, section or location it was issued to."""

    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, related_name="units", verbose_name=_("item")
    )
    serial_number = models.CharField(_("serial number"), max_length=60)
    state = models.CharField(
        _("state"), max_length=14, choices=UnitState, default=UnitState.AVAILABLE, db_index=True
    )
    store = models.ForeignKey(
        Store, null=True, blank=True, on_delete=models.PROTECT, related_name="units",
        verbose_name=_("store"),
    )  # fmt: skip
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("staff member"),
    )  # fmt: skip
    student = models.ForeignKey(
        "accounts.StudentProfile", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("student"),
    )  # fmt: skip
    section = models.ForeignKey(
        "academics.Section", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("section"),
    )  # fmt: skip
    location = models.CharField(_("location"), max_length=100, blank=True)
    issue = models.ForeignKey(
        StockMovement, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("current issue"),
    )  # fmt: skip

    class Meta:
        ordering = ["item__name", "serial_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "item", "serial_number"], name="inventory_unit_serial"
            ),
            models.CheckConstraint(
                condition=Exact(
                    Func(F("store"), F("staff"), F("student"), F("section"),
                         NullIf(F("location"), Value("")), function="num_nonnulls",
                         output_field=models.IntegerField()),
                    1,
                ),
                name="inventory_unit_one_custodian",
            ),
        ]  # fmt: skip
        verbose_name = _("serial unit")
        verbose_name_plural = _("serial units")

    def __str__(self) -> str:
        return self.serial_number


class MovementUnit(SchoolScopedModel):
    """Which serial units a movement of a serial-tracked item moved. Append-only."""

    movement = models.ForeignKey(
        StockMovement, on_delete=models.PROTECT, related_name="unit_links",
        verbose_name=_("movement"),
    )  # fmt: skip
    unit = models.ForeignKey(
        SerialUnit, on_delete=models.PROTECT, related_name="movement_links", verbose_name=_("unit")
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["movement", "unit"], name="inventory_movement_unit")
        ]
        triggers = [
            pgtrigger.Protect(
                name="inventory_movement_unit_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            )
        ]
        verbose_name = _("moved unit")
        verbose_name_plural = _("moved units")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class ItemRequest(SchoolScopedModel):
    """A teacher asks the store for an item; the store manager approves it into an issue."""

    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, related_name="requests", verbose_name=_("item")
    )
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )  # fmt: skip
    purpose = models.CharField(_("purpose"), max_length=300, blank=True)
    needed_by = models.DateField(_("needed by"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("requested by"),
    )  # fmt: skip
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus, default=RequestStatus.PENDING,
        db_index=True,
    )  # fmt: skip
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("decided by"),
    )  # fmt: skip
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=300, blank=True)
    issue = models.ForeignKey(
        StockMovement, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("issue"),
    )  # fmt: skip

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("item request")
        verbose_name_plural = _("item requests")

    def __str__(self) -> str:
        return f"{self.item} × {self.quantity}"


class LowStockAlert(SchoolScopedModel):
    """One open alert per item and store while its stock is at or below the reorder level: the
    store manager is told once, and again only after the stock recovered and fell again."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    quantity = models.DecimalField(_("stock when raised"), max_digits=12, decimal_places=3)
    resolved_at = models.DateTimeField(_("recovered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "store"], condition=Q(resolved_at__isnull=True),
                name="inventory_one_open_alert",
            )
        ]  # fmt: skip
        verbose_name = _("low-stock alert")
        verbose_name_plural = _("low-stock alerts")

    def __str__(self) -> str:
        return f"{self.item} @ {self.store}"
