"""Output serializers (read-only) and input serializers (related ids looked up inside the
caller's school) of the fee office API."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.academics.models import AcademicYear, SchoolClass, Section, Term
from apps.accounts.models import StudentProfile, User
from apps.core.api.fields import SchoolRelatedField

from ..models import (
    Concession,
    ConcessionCategory,
    ConcessionKind,
    FeeHead,
    FeeStructure,
    HeadPricing,
    Installment,
    InstallmentPlan,
    Invoice,
    InvoiceLine,
    LateFineRule,
    Payment,
    PaymentAllocation,
    PaymentMode,
    Refund,
    TaxClass,
)

MONEY = {"max_digits": 12, "decimal_places": 2}


def money_field(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(**MONEY, **kwargs)


# --- Heads --------------------------------------------------------------------------------------
class FeeHeadSerializer(serializers.ModelSerializer):
    class Meta:
        model = FeeHead
        fields = ["id", "name", "code", "tax_class", "gst_rate", "hsn_sac", "is_tuition",
                  "refundable", "pricing", "is_active", "created_at"]  # fmt: skip
        read_only_fields = fields


class FeeHeadInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    code = serializers.RegexField(r"^[A-Z0-9_-]{1,16}$", max_length=16)
    tax_class = serializers.ChoiceField(TaxClass.choices, default=TaxClass.EXEMPT)
    gst_rate = serializers.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"),
                                        min_value=Decimal("0"), max_value=Decimal("28"))  # fmt: skip
    hsn_sac = serializers.CharField(max_length=8, default="", allow_blank=True)
    is_tuition = serializers.BooleanField(default=False)
    refundable = serializers.BooleanField(default=False)
    pricing = serializers.ChoiceField(
        HeadPricing.choices,
        default=HeadPricing.STRUCTURE,
        help_text="transport: each rider is billed their own transport fee for the "
        "installment's period instead of the structure's amount; non-riders get no line.",
    )
    is_active = serializers.BooleanField(default=True)


class FeeHeadUpdateSerializer(FeeHeadInputSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            field.default = serializers.empty


# --- Structures ---------------------------------------------------------------------------------
class StructureLineSerializer(serializers.Serializer):
    head = serializers.UUIDField(source="head_id", read_only=True)
    head_code = serializers.CharField(source="head.code", read_only=True)
    head_name = serializers.CharField(source="head.name", read_only=True)
    head_pricing = serializers.ChoiceField(
        HeadPricing.choices, source="head.pricing", read_only=True,
        help_text="transport: billed per rider from transport; `amount` is not billed.",
    )  # fmt: skip
    amount = money_field(read_only=True)


class InstallmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Installment
        fields = ["number", "label", "due_date", "amount"]
        read_only_fields = fields


class FeeStructureSerializer(serializers.ModelSerializer):
    lines = StructureLineSerializer(many=True, read_only=True)
    installments = InstallmentSerializer(many=True, read_only=True)
    class_name = serializers.CharField(source="school_class.name", read_only=True)
    year_name = serializers.CharField(source="year.name", read_only=True)
    total = serializers.SerializerMethodField()

    class Meta:
        model = FeeStructure
        fields = ["id", "name", "school_class", "class_name", "year", "year_name", "term",
                  "plan", "due_day", "due_dates", "late_fine_rule", "is_active", "total",
                  "lines", "installments", "created_at"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(
        serializers.DecimalField(
            **MONEY, help_text="The lines the structure prices (not those priced per rider)."
        )
    )
    def get_total(self, obj) -> str:
        lines = [line for line in obj.lines.all() if line.head.pricing == HeadPricing.STRUCTURE]
        return str(sum((line.amount for line in lines), Decimal("0.00")))


class StructureLineInputSerializer(serializers.Serializer):
    head = SchoolRelatedField(queryset=FeeHead.objects.all())
    amount = money_field(min_value=Decimal("0"))


class FeeStructureInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    school_class = SchoolRelatedField(queryset=SchoolClass.objects.all())
    year = SchoolRelatedField(queryset=AcademicYear.objects.all())
    term = SchoolRelatedField(queryset=Term.objects.all(), required=False, allow_null=True)
    plan = serializers.ChoiceField(InstallmentPlan.choices, default=InstallmentPlan.QUARTERLY)
    due_day = serializers.IntegerField(min_value=1, max_value=28, default=10)
    due_dates = serializers.ListField(child=serializers.DateField(), required=False,
                                      default=list)  # fmt: skip
    late_fine_rule = SchoolRelatedField(queryset=LateFineRule.objects.all(), required=False,
                                        allow_null=True)  # fmt: skip
    is_active = serializers.BooleanField(default=True)
    lines = StructureLineInputSerializer(many=True, allow_empty=False)

    def validate_due_dates(self, value):
        return [d.isoformat() for d in value]


class FeeStructureUpdateSerializer(FeeStructureInputSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            field.default = serializers.empty


# --- Concessions --------------------------------------------------------------------------------
class ConcessionSerializer(serializers.ModelSerializer):
    student_name = serializers.CharField(source="student.user.full_name", read_only=True,
                                         default=None)  # fmt: skip

    class Meta:
        model = Concession
        fields = ["id", "name", "kind", "value", "head", "category", "student", "student_name",
                  "year", "cap", "reason", "approved_by", "is_active", "created_at"]  # fmt: skip
        read_only_fields = fields


class ConcessionInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(ConcessionKind.choices)
    value = money_field(min_value=Decimal("0.01"))
    head = SchoolRelatedField(queryset=FeeHead.objects.all(), required=False, allow_null=True)
    category = serializers.ChoiceField(ConcessionCategory.choices,
                                       default=ConcessionCategory.INDIVIDUAL)  # fmt: skip
    student = SchoolRelatedField(queryset=StudentProfile.objects.all(), required=False,
                                 allow_null=True)  # fmt: skip
    year = SchoolRelatedField(queryset=AcademicYear.objects.all())
    cap = money_field(min_value=Decimal("0.01"), required=False, allow_null=True)
    reason = serializers.CharField(max_length=200)
    is_active = serializers.BooleanField(default=True)


class ConcessionUpdateSerializer(ConcessionInputSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            field.default = serializers.empty


# --- Invoices -----------------------------------------------------------------------------------
class InvoiceLineSerializer(serializers.ModelSerializer):
    taxable_value = money_field(read_only=True)

    class Meta:
        model = InvoiceLine
        fields = ["id", "kind", "head", "description", "amount", "concession", "taxable_value",
                  "tax_class", "gst_rate", "hsn_sac", "cgst", "sgst", "igst", "total",
                  "is_tuition", "waived_at", "waive_reason"]  # fmt: skip
        read_only_fields = fields


class InvoiceSerializer(serializers.ModelSerializer):
    student_name = serializers.CharField(source="student.user.full_name", read_only=True)
    admission_number = serializers.CharField(source="student.admission_number", read_only=True)
    section_name = serializers.CharField(source="section.display_name", read_only=True,
                                         default=None)  # fmt: skip
    installment_label = serializers.CharField(source="installment.label", read_only=True)
    balance = money_field(read_only=True)
    lines = InvoiceLineSerializer(many=True, read_only=True)

    class Meta:
        model = Invoice
        fields = ["id", "number", "kind", "status", "student", "student_name",
                  "admission_number", "section", "section_name", "structure", "installment",
                  "installment_label", "issue_date", "due_date", "place_of_supply", "subtotal",
                  "concession_total", "fine_total", "tax_total", "total", "amount_paid",
                  "amount_credited", "balance", "cancelled_reason", "lines"]  # fmt: skip
        read_only_fields = fields


class GenerateInvoicesSerializer(serializers.Serializer):
    year = SchoolRelatedField(queryset=AcademicYear.objects.all())
    installment_number = serializers.IntegerField(min_value=1, max_value=24)
    school_class = SchoolRelatedField(queryset=SchoolClass.objects.all(), required=False,
                                      allow_null=True)  # fmt: skip
    section = SchoolRelatedField(queryset=Section.objects.all(), required=False, allow_null=True)
    issue_date = serializers.DateField(required=False)
    place_of_supply = serializers.RegexField(
        r"^\d{2}$", required=False, allow_null=True,
        help_text=_("GST state code of the place of supply; the school's own by default "
                    "(CGST+SGST), another state's gives IGST."),
    )  # fmt: skip


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class JobStartedSerializer(serializers.Serializer):
    job = serializers.UUIDField()
    status = serializers.CharField()
    url = serializers.CharField()


# --- Payments -----------------------------------------------------------------------------------
class AllocationSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)

    class Meta:
        model = PaymentAllocation
        fields = ["invoice", "invoice_number", "amount"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    receipt_number = serializers.CharField(source="receipt.number", read_only=True, default=None)
    student_name = serializers.CharField(source="student.user.full_name", read_only=True)
    allocations = AllocationSerializer(many=True, read_only=True)
    advance = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = ["id", "receipt_number", "student", "student_name", "payer", "payer_name",
                  "mode", "amount", "reference", "gateway", "gateway_payment_id",
                  "received_at", "received_by", "note", "allocations", "advance"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.DecimalField(**MONEY))
    def get_advance(self, obj) -> str:
        """What no invoice took: the student's advance credit from this payment."""
        return str(obj.amount - sum((a.amount for a in obj.allocations.all()), Decimal("0.00")))


class AllocationInputSerializer(serializers.Serializer):
    invoice = SchoolRelatedField(queryset=Invoice.objects.all())
    amount = money_field(min_value=Decimal("0.01"), required=False, allow_null=True)


class CounterPaymentSerializer(serializers.Serializer):
    student = SchoolRelatedField(queryset=StudentProfile.objects.all())
    payer = SchoolRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    payer_name = serializers.CharField(max_length=150, required=False, default="")
    mode = serializers.ChoiceField(
        PaymentMode.choices, help_text=_("A counter mode: cash, cheque, bank_transfer, card_upi.")
    )
    amount = money_field(min_value=Decimal("0.01"))
    reference = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)
    note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    allocations = AllocationInputSerializer(
        many=True, required=False, allow_null=True, default=None,
        help_text=_("Invoices to settle; an entry without an amount takes what is left, in due "
                    "order. Omit to settle the family's open invoices oldest first."),
    )  # fmt: skip


# --- Refunds ------------------------------------------------------------------------------------
class RefundSerializer(serializers.ModelSerializer):
    credit_note_number = serializers.CharField(source="credit_note.number", read_only=True,
                                               default=None)  # fmt: skip

    class Meta:
        model = Refund
        fields = ["id", "payment", "invoice", "amount", "mode", "reference", "reason",
                  "refunded_by", "refunded_at", "credit_note_number"]  # fmt: skip
        read_only_fields = fields


class RefundInputSerializer(serializers.Serializer):
    payment = SchoolRelatedField(queryset=Payment.objects.all())
    invoice = SchoolRelatedField(queryset=Invoice.objects.all(), required=False, allow_null=True)
    amount = money_field(min_value=Decimal("0.01"))
    mode = serializers.ChoiceField(PaymentMode.choices)
    reference = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)
    reason = serializers.CharField(max_length=200)


# --- Reports ------------------------------------------------------------------------------------
class LedgerRowSerializer(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.CharField(
        help_text="charge, concession, fine, cancellation, payment, credit_note or refund"
    )
    document = serializers.CharField()
    description = serializers.CharField()
    debit = money_field()
    credit = money_field()
    balance = money_field()


class LedgerSerializer(serializers.Serializer):
    student = serializers.UUIDField()
    rows = LedgerRowSerializer(many=True)
    balance = money_field(help_text=_("What is owed; below zero is advance credit."))


class DueInvoiceSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.CharField()
    label = serializers.CharField()
    due_date = serializers.DateField()
    total = money_field()
    balance = money_field()
    status = serializers.CharField()


class ChildDuesSerializer(serializers.Serializer):
    student = serializers.UUIDField()
    name = serializers.CharField()
    admission_number = serializers.CharField()
    invoices = DueInvoiceSerializer(many=True)
    due = money_field()
    advance = money_field()


class FamilyDuesSerializer(serializers.Serializer):
    children = ChildDuesSerializer(many=True)
    total_due = money_field()
    advance = money_field()


class BucketsSerializer(serializers.Serializer):
    def get_fields(self):
        return {name: money_field() for name in ("0-30", "31-60", "61-90", "90+")}


class DefaulterRowSerializer(serializers.Serializer):
    student = serializers.UUIDField()
    admission_number = serializers.CharField()
    name = serializers.CharField()
    school_class = serializers.CharField()
    section = serializers.CharField()
    buckets = BucketsSerializer()
    total = money_field()


class DefaulterGroupSerializer(serializers.Serializer):
    school_class = serializers.CharField()
    section = serializers.CharField()
    students = serializers.IntegerField()
    buckets = BucketsSerializer()
    total = money_field()


class DefaulterTotalsSerializer(serializers.Serializer):
    buckets = BucketsSerializer()
    total = money_field()


class DefaultersSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    rows = DefaulterRowSerializer(many=True)
    by_section = DefaulterGroupSerializer(many=True)
    totals = DefaulterTotalsSerializer()
