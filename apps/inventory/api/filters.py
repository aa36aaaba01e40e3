"""Query filters of the stores API (related ids as plain UUID filters)."""

from __future__ import annotations

import django_filters

from apps.core.api.filters import DateTimeFilter

from ..models import (
    Item,
    ItemRequest,
    MovementKind,
    POStatus,
    PurchaseOrder,
    RequestStatus,
    SerialUnit,
    StockBalance,
    StockMovement,
)


class ItemFilter(django_filters.FilterSet):
    category = django_filters.UUIDFilter(field_name="category_id")

    class Meta:
        model = Item
        fields = ["category", "kind", "serial_tracked", "is_active"]


class PurchaseOrderFilter(django_filters.FilterSet):
    vendor = django_filters.UUIDFilter(field_name="vendor_id")
    store = django_filters.UUIDFilter(field_name="store_id")
    status = django_filters.MultipleChoiceFilter(choices=POStatus.choices)

    class Meta:
        model = PurchaseOrder
        fields = ["vendor", "store", "status", "auto_created"]


class MovementFilter(django_filters.FilterSet):
    item = django_filters.UUIDFilter(field_name="item_id")
    store = django_filters.UUIDFilter(field_name="store_id")
    kind = django_filters.MultipleChoiceFilter(choices=MovementKind.choices)
    staff = django_filters.UUIDFilter(field_name="staff_id")
    student = django_filters.UUIDFilter(field_name="student_id")
    section = django_filters.UUIDFilter(field_name="section_id")
    occurred_after = DateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = DateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = StockMovement
        fields = ["item", "store", "kind", "staff", "student", "section", "occurred_after",
                  "occurred_before"]  # fmt: skip


class BalanceFilter(django_filters.FilterSet):
    item = django_filters.UUIDFilter(field_name="item_id")
    store = django_filters.UUIDFilter(field_name="store_id")
    category = django_filters.UUIDFilter(field_name="item__category_id")
    low = django_filters.BooleanFilter(field_name="low")

    class Meta:
        model = StockBalance
        fields = ["item", "store", "category", "low"]


class SerialUnitFilter(django_filters.FilterSet):
    item = django_filters.UUIDFilter(field_name="item_id")
    store = django_filters.UUIDFilter(field_name="store_id")

    class Meta:
        model = SerialUnit
        fields = ["item", "store", "state"]


class ItemRequestFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=RequestStatus.choices)

    class Meta:
        model = ItemRequest
        fields = ["status"]
