"""Output serializers (read-only) and input serializers (related ids looked up inside the
caller's school) of the stores API."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.academics.models import Section
from apps.accounts.models import StudentProfile, User
from apps.core.api.fields import SchoolRelatedField

from ..models import (
    Item,
    ItemCategory,
    ItemKind,
    ItemRequest,
    MovementKind,
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderRule,
    SerialUnit,
    StockBalance,
    StockMovement,
    Store,
    StoreKind,
    Unit,
    UnitState,
    Vendor,
    WriteOffReason,
    validate_gstin,
)

QTY = {"max_digits": 12, "decimal_places": 3}
MONEY = {"max_digits": 14, "decimal_places": 2}
POSITIVE = Decimal("0.001")


class InSchoolField(serializers.PrimaryKeyRelatedField):
    """An id of a row of the caller's school (people and sections the store hands things to:
    the store manager needs no right to read their records to name them)."""

    default_error_messages = {
        **serializers.PrimaryKeyRelatedField.default_error_messages,
        "does_not_exist": _("Not found in your school."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("pk_field", serializers.UUIDField())
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        qs = super().get_queryset()
        return qs.filter(school_id=request.user.school_id) if request else qs.none()


def optional(cls):
    """The update form of an input serializer: every field optional, no defaults."""

    class Update(cls):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            for field in self.fields.values():
                field.required = False
                field.default = serializers.empty

    Update.__name__ = cls.__name__.replace("Input", "Update")
    Update.__qualname__ = Update.__name__
    return Update


# --- Catalogue -----------------------------------------------------------------------------------
class ItemCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = ItemCategory
        fields = ["id", "name", "description", "created_at"]
        read_only_fields = fields


class ItemCategoryInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=300, default="", allow_blank=True)


ItemCategoryUpdateSerializer = optional(ItemCategoryInputSerializer)


class StoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Store
        fields = ["id", "name", "code", "kind", "is_active"]
        read_only_fields = fields


class StoreInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    code = serializers.RegexField(r"^[A-Za-z0-9_-]{1,20}$", max_length=20)
    kind = serializers.ChoiceField(StoreKind.choices, default=StoreKind.MAIN)
    is_active = serializers.BooleanField(default=True)


StoreUpdateSerializer = optional(StoreInputSerializer)


class VendorSerializer(serializers.ModelSerializer):
    email = serializers.CharField(read_only=True, help_text="An e-mail address, or empty.")

    class Meta:
        model = Vendor
        fields = ["id", "name", "gstin", "contact_name", "phone", "email", "address", "is_active"]
        read_only_fields = fields


class VendorInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    gstin = serializers.CharField(max_length=15, default="", allow_blank=True)
    contact_name = serializers.CharField(max_length=150, default="", allow_blank=True)
    phone = serializers.CharField(max_length=20, default="", allow_blank=True)
    email = serializers.EmailField(default="", allow_blank=True)
    address = serializers.CharField(default="", allow_blank=True)
    is_active = serializers.BooleanField(default=True)

    def validate_gstin(self, value: str) -> str:
        value = value.strip().upper()
        from django.core.exceptions import ValidationError

        try:
            validate_gstin(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return value


VendorUpdateSerializer = optional(VendorInputSerializer)


class ReorderRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReorderRule
        fields = ["id", "item", "store", "reorder_level", "reorder_quantity"]
        read_only_fields = fields


class ReorderRuleInputSerializer(serializers.Serializer):
    item = SchoolRelatedField(queryset=Item.objects.all())
    store = SchoolRelatedField(queryset=Store.objects.all())
    reorder_level = serializers.DecimalField(**QTY, min_value=Decimal("0"))
    reorder_quantity = serializers.DecimalField(**QTY, min_value=POSITIVE)


ReorderRuleUpdateSerializer = optional(ReorderRuleInputSerializer)


class ItemSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True)

    class Meta:
        model = Item
        fields = ["id", "category", "category_name", "name", "sku", "unit", "kind",
                  "serial_tracked", "preferred_vendor", "standard_rate", "is_active"]  # fmt: skip
        read_only_fields = fields


class ItemInputSerializer(serializers.Serializer):
    category = SchoolRelatedField(queryset=ItemCategory.objects.all())
    name = serializers.CharField(max_length=150)
    sku = serializers.RegexField(r"^[A-Za-z0-9._/-]{1,40}$", max_length=40)
    unit = serializers.ChoiceField(Unit.choices, default=Unit.PIECE)
    kind = serializers.ChoiceField(ItemKind.choices, default=ItemKind.CONSUMABLE)
    serial_tracked = serializers.BooleanField(default=False)
    preferred_vendor = SchoolRelatedField(queryset=Vendor.objects.all(), allow_null=True,
                                          default=None)  # fmt: skip
    standard_rate = serializers.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"),
                                             min_value=Decimal("0"))  # fmt: skip
    is_active = serializers.BooleanField(default=True)


ItemUpdateSerializer = optional(ItemInputSerializer)


# --- Purchase orders -------------------------------------------------------------------------------
class POLineSerializer(serializers.ModelSerializer):
    item_name = serializers.CharField(source="item.name", read_only=True)

    class Meta:
        model = PurchaseOrderLine
        fields = ["id", "item", "item_name", "quantity", "rate", "received_quantity"]
        read_only_fields = fields


class PurchaseOrderSerializer(serializers.ModelSerializer):
    vendor_name = serializers.CharField(source="vendor.name", read_only=True)
    store_name = serializers.CharField(source="store.name", read_only=True)
    lines = POLineSerializer(many=True, read_only=True)

    class Meta:
        model = PurchaseOrder
        fields = ["id", "number", "vendor", "vendor_name", "store", "store_name", "status",
                  "expected_date", "notes", "auto_created", "ordered_at", "created_at", "lines"]  # fmt: skip
        read_only_fields = fields


class POLineInputSerializer(serializers.Serializer):
    item = SchoolRelatedField(queryset=Item.objects.all())
    quantity = serializers.DecimalField(**QTY, min_value=POSITIVE)
    rate = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"))


class PurchaseOrderInputSerializer(serializers.Serializer):
    vendor = SchoolRelatedField(queryset=Vendor.objects.all())
    store = SchoolRelatedField(queryset=Store.objects.all())
    expected_date = serializers.DateField(required=False, allow_null=True, default=None)
    notes = serializers.CharField(default="", allow_blank=True)
    lines = POLineInputSerializer(many=True, allow_empty=False)


PurchaseOrderUpdateSerializer = optional(PurchaseOrderInputSerializer)


class ReceiveLineSerializer(serializers.Serializer):
    line = serializers.UUIDField()
    quantity = serializers.DecimalField(**QTY, min_value=POSITIVE, required=False)
    rate = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"),
                                    required=False)  # fmt: skip
    serials = serializers.ListField(child=serializers.CharField(max_length=60), required=False)


class ReceiveSerializer(serializers.Serializer):
    lines = ReceiveLineSerializer(many=True, allow_empty=False)
    idempotency_key = serializers.CharField(max_length=100, default="", allow_blank=True)


# --- Movements -------------------------------------------------------------------------------------
class MovementSerializer(serializers.ModelSerializer):
    item_name = serializers.CharField(source="item.name", read_only=True)
    store_name = serializers.CharField(source="store.name", read_only=True)
    serials = serializers.SerializerMethodField()
    write_off_reason = serializers.CharField(
        read_only=True, help_text="lost, damaged or expired for a write-off; empty otherwise."
    )

    class Meta:
        model = StockMovement
        fields = ["id", "kind", "item", "item_name", "store", "store_name", "quantity", "delta",
                  "rate", "value_delta", "quantity_after", "value_after", "occurred_at",
                  "staff", "student", "section", "location", "due_date", "issue", "counterpart",
                  "purchase_order_line", "request", "reason", "write_off_reason", "approved_by",
                  "charge_amount", "recorded_by", "serials"]  # fmt: skip
        read_only_fields = fields

    def get_serials(self, obj) -> list[str]:
        return sorted(link.unit.serial_number for link in obj.unit_links.all())


ENTRY_KINDS = [*(c for c in MovementKind.choices if c[0] not in ("transfer_out", "transfer_in")),
               ("transfer", _("Transfer"))]  # fmt: skip


class MovementInputSerializer(serializers.Serializer):
    """Which fields each kind needs is documented on the endpoint; the service checks them."""

    kind = serializers.ChoiceField(ENTRY_KINDS)
    item = SchoolRelatedField(queryset=Item.objects.all())
    store = SchoolRelatedField(queryset=Store.objects.all(), required=False, allow_null=True,
                               default=None)  # fmt: skip
    quantity = serializers.DecimalField(**QTY, min_value=POSITIVE, required=False)
    rate = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"),
                                    required=False)  # fmt: skip
    serials = serializers.ListField(child=serializers.CharField(max_length=60), required=False)
    to_store = SchoolRelatedField(queryset=Store.objects.all(), required=False)
    counted_quantity = serializers.DecimalField(**QTY, min_value=Decimal("0"), required=False)
    staff = InSchoolField(queryset=User.objects.all(), required=False)
    student = InSchoolField(queryset=StudentProfile.objects.all(), required=False)
    section = InSchoolField(queryset=Section.objects.all(), required=False)
    location = serializers.CharField(max_length=100, required=False, allow_blank=True)
    due_date = serializers.DateField(required=False, allow_null=True)
    issue = SchoolRelatedField(queryset=StockMovement.objects.all(), required=False)
    purchase_order_line = serializers.UUIDField(required=False)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)
    write_off_reason = serializers.ChoiceField(WriteOffReason.choices, required=False)
    approved_by = InSchoolField(queryset=User.objects.all(), required=False)
    charge_amount = serializers.DecimalField(**MONEY, min_value=Decimal("0"), required=False)
    unit_state = serializers.ChoiceField([UnitState.AVAILABLE, UnitState.UNDER_REPAIR],
                                         required=False)  # fmt: skip
    occurred_at = serializers.DateTimeField(required=False)
    idempotency_key = serializers.CharField(max_length=100, required=False, allow_blank=True,
                                            help_text="Or the Idempotency-Key header.")  # fmt: skip

    def validate_purchase_order_line(self, value):
        request = self.context["request"]
        line = (
            PurchaseOrderLine.objects.select_related("order")
            .filter(pk=value, school_id=request.user.school_id)
            .first()
        )
        if line is None:
            raise serializers.ValidationError(_("Not found in your school."))
        return line


class BalanceSerializer(serializers.ModelSerializer):
    item_name = serializers.CharField(source="item.name", read_only=True)
    sku = serializers.CharField(source="item.sku", read_only=True)
    store_name = serializers.CharField(source="store.name", read_only=True)
    average_rate = serializers.DecimalField(max_digits=14, decimal_places=4, read_only=True)
    reorder_level = serializers.DecimalField(**QTY, read_only=True, allow_null=True)
    reorder_quantity = serializers.DecimalField(**QTY, read_only=True, allow_null=True)
    on_order = serializers.DecimalField(**QTY, read_only=True)
    low = serializers.BooleanField(read_only=True)

    class Meta:
        model = StockBalance
        fields = ["id", "item", "item_name", "sku", "store", "store_name", "quantity", "value",
                  "average_rate", "reorder_level", "reorder_quantity", "on_order", "low",
                  "updated_at"]  # fmt: skip
        read_only_fields = fields


class SerialUnitSerializer(serializers.ModelSerializer):
    item_name = serializers.CharField(source="item.name", read_only=True)

    class Meta:
        model = SerialUnit
        fields = ["id", "item", "item_name", "serial_number", "state", "store", "staff",
                  "student", "section", "location", "issue"]  # fmt: skip
        read_only_fields = fields


# --- Requests --------------------------------------------------------------------------------------
class ItemRequestSerializer(serializers.ModelSerializer):
    item_name = serializers.CharField(source="item.name", read_only=True)
    requested_by_name = serializers.CharField(source="requested_by.full_name", read_only=True)

    class Meta:
        model = ItemRequest
        fields = ["id", "item", "item_name", "quantity", "purpose", "needed_by", "requested_by",
                  "requested_by_name", "status", "decided_by", "decided_at", "decision_note",
                  "issue", "created_at"]  # fmt: skip
        read_only_fields = fields


class ItemRequestInputSerializer(serializers.Serializer):
    item = SchoolRelatedField(queryset=Item.objects.all())
    quantity = serializers.DecimalField(**QTY, min_value=POSITIVE)
    purpose = serializers.CharField(max_length=300, default="", allow_blank=True)
    needed_by = serializers.DateField(required=False, allow_null=True, default=None)


class ApproveSerializer(serializers.Serializer):
    store = SchoolRelatedField(queryset=Store.objects.all())
    quantity = serializers.DecimalField(**QTY, min_value=POSITIVE, required=False)
    due_date = serializers.DateField(required=False, allow_null=True)
    serials = serializers.ListField(child=serializers.CharField(max_length=60), required=False)
    note = serializers.CharField(max_length=300, default="", allow_blank=True)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, default="", allow_blank=True)


# --- Reports ---------------------------------------------------------------------------------------
class StockOnHandSerializer(serializers.Serializer):
    store_id = serializers.UUIDField()
    store__name = serializers.CharField()
    items = serializers.IntegerField()
    quantity = serializers.DecimalField(**QTY)
    value = serializers.DecimalField(**MONEY)
    low = serializers.IntegerField()


class MovementSummarySerializer(serializers.Serializer):
    item_id = serializers.UUIDField()
    item__name = serializers.CharField()
    item__sku = serializers.CharField()
    kind = serializers.ChoiceField(MovementKind.choices)
    quantity = serializers.DecimalField(**QTY)
    value = serializers.DecimalField(**MONEY)


class IssueSummarySerializer(serializers.Serializer):
    staff_id = serializers.UUIDField(allow_null=True)
    staff__full_name = serializers.CharField(allow_null=True)
    student_id = serializers.UUIDField(allow_null=True)
    student__user__full_name = serializers.CharField(allow_null=True)
    section_id = serializers.UUIDField(allow_null=True)
    section__school_class__name = serializers.CharField(allow_null=True)
    section__name = serializers.CharField(allow_null=True)
    location = serializers.CharField()
    item_id = serializers.UUIDField()
    item__name = serializers.CharField()
    quantity = serializers.DecimalField(**QTY)
    value = serializers.DecimalField(**MONEY)


class OverdueSerializer(MovementSerializer):
    outstanding = serializers.DecimalField(**QTY, read_only=True)

    class Meta(MovementSerializer.Meta):
        fields = [*MovementSerializer.Meta.fields, "outstanding"]
        read_only_fields = fields
