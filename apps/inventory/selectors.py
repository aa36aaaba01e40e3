"""Reads of the stores that are reused or tricky: scoped, joined, annotated once."""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    BooleanField,
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from .models import (
    OPEN_PO_STATUSES,
    ZERO,
    Item,
    ItemKind,
    ItemRequest,
    MovementKind,
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderRule,
    SerialUnit,
    StockBalance,
    StockMovement,
)

QTY = DecimalField(max_digits=12, decimal_places=3)


def item_queryset() -> QuerySet:
    return Item.objects.select_related("category", "preferred_vendor")


def purchase_order_queryset() -> QuerySet:
    return PurchaseOrder.objects.select_related("vendor", "store").prefetch_related("lines__item")


def movement_queryset() -> QuerySet:
    return StockMovement.objects.select_related(
        "item", "store", "staff", "student__user", "section__school_class"
    ).prefetch_related("unit_links__unit")


def serial_unit_queryset() -> QuerySet:
    return SerialUnit.objects.select_related(
        "item", "store", "staff", "student__user", "section__school_class"
    )


def request_queryset() -> QuerySet:
    return ItemRequest.objects.select_related("item", "requested_by", "decided_by")


def on_order(item_ref="item_id", store_ref="store_id") -> Subquery:
    """What is still to come of the item into the store on open purchase orders (drafts
    included: a drafted reorder is not drafted twice)."""
    lines = (
        PurchaseOrderLine.objects.filter(
            item_id=OuterRef(item_ref), order__store_id=OuterRef(store_ref),
            order__status__in=OPEN_PO_STATUSES,
        )
        .values("item_id")
        .annotate(total=Sum(F("quantity") - F("received_quantity")))
        .values("total")
    )  # fmt: skip
    return Coalesce(Subquery(lines, output_field=QTY), Value(ZERO), output_field=QTY)


def balance_queryset() -> QuerySet:
    """Balances with their reorder level (null without a rule), what is on order, and
    `low`: at or below the reorder level."""
    level = ReorderRule.objects.filter(item_id=OuterRef("item_id"), store_id=OuterRef("store_id"))
    return (
        StockBalance.objects.select_related("item__category", "store")
        .annotate(
            reorder_level=Subquery(level.values("reorder_level")[:1], output_field=QTY),
            reorder_quantity=Subquery(level.values("reorder_quantity")[:1], output_field=QTY),
            on_order=on_order(),
        )
        .annotate(
            low=Case(
                When(
                    reorder_level__isnull=False, quantity__lte=F("reorder_level"), then=Value(True)
                ),
                default=Value(False),
                output_field=BooleanField(),
            )
        )  # fmt: skip
    )


def outstanding_expression():
    settled = (
        StockMovement.objects.filter(issue_id=OuterRef("pk"))
        .values("issue_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return ExpressionWrapper(
        F("quantity") - Coalesce(Subquery(settled, output_field=QTY), Value(ZERO),
                                 output_field=QTY), output_field=QTY,
    )  # fmt: skip


def overdue_issues(qs: QuerySet, today: dt.date) -> QuerySet:
    """Issues of returnable assets past their due date with something still out."""
    return (
        qs.filter(kind=MovementKind.ISSUE, item__kind=ItemKind.ASSET, due_date__lt=today)
        .annotate(outstanding=outstanding_expression())
        .filter(outstanding__gt=0)
        .select_related(
            "item",
            "store",
            "staff",
            "student__user",
            "section__school_class",
            "section__class_teacher__user",
        )  # fmt: skip
        .order_by("due_date", "occurred_at")
    )


def stock_on_hand(balances: QuerySet) -> list[dict]:
    """Quantity and value per store (totals of the scoped balances)."""
    return list(
        balances.values("store_id", "store__name")
        .annotate(items=Sum(Case(When(quantity__gt=0, then=1), default=0)),
                  quantity=Sum("quantity"), value=Sum("value"),
                  low=Sum(Case(When(low=True, then=1), default=0)))
        .order_by("store__name")
    )  # fmt: skip


def movements_summary(movements: QuerySet) -> list[dict]:
    """Per item and kind: how much moved and its value, for the period the caller filtered."""
    return list(
        movements.values("item_id", "item__name", "item__sku", "kind")
        .annotate(quantity=Sum("quantity"), value=Sum("value_delta"))
        .order_by("item__name", "kind")
    )


def issues_per_recipient(movements: QuerySet) -> list[dict]:
    """Issues grouped by who or where they went and the item."""
    return list(
        movements.filter(kind=MovementKind.ISSUE)
        .values("staff_id", "staff__full_name", "student_id", "student__user__full_name",
                "section_id", "section__school_class__name", "section__name", "location",
                "item_id", "item__name")
        .annotate(quantity=Sum("quantity"), value=Sum("value_delta"))
        .order_by("staff__full_name", "student__user__full_name", "section__name", "location",
                  "item__name")
    )  # fmt: skip
