"""The fee office: what a school charges (heads, structures, concessions, late fines), what it
bills (invoices and their lines), what it receives (payments, their allocations to invoices,
advance credit, receipts) and gives back (refunds and credit notes), and the gap-free numbers of
those documents.

Money is `Decimal` with 2 places everywhere (`money()`); every row carries its school; the rules
one row can check are database constraints. Workflows (splitting, billing, collecting) live in
`apps.fees.services`. Payments, their allocations and advance-credit movements are append-only:
a database trigger (migration 0002) refuses UPDATE and DELETE on them.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from apps.core.models import SchoolScopedModel

ZERO = Decimal("0.00")
NUMBER_PATTERN = r"^[A-Z0-9/-]{1,16}$"
number_validator = RegexValidator(NUMBER_PATTERN, _("At most 16 characters of A-Z 0-9 / -."))


def money(verbose_name, **kwargs) -> models.DecimalField:
    kwargs.setdefault("default", ZERO)
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)


def _non_negative(name: str, field: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(**{f"{field}__gte": 0}), name=name)


# --- The school's fee settings ------------------------------------------------------------------
class FeeSettings(SchoolScopedModel):
    """The school as a supplier: GSTIN and the state that decides CGST/SGST or IGST."""

    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    gstin = models.CharField(_("GSTIN"), max_length=15, blank=True)
    state_code = models.CharField(
        _("state code"),
        max_length=2,
        default="29",
        validators=[RegexValidator(r"^\d{2}$", _("Two digits, e.g. 29 for Karnataka."))],
        help_text=_("GST state code of the school, e.g. 29 for Karnataka."),
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school"], name="fee_settings_one")]
        verbose_name = _("fee settings")
        verbose_name_plural = _("fee settings")

    def __str__(self) -> str:
        return self.legal_name or str(self.school_id)


# --- What the school charges -------------------------------------------------------------------
class TaxClass(models.TextChoices):
    EXEMPT = "exempt", _("Exempt (education service)")
    TAXABLE = "taxable", _("Taxable (GST)")


class HeadPricing(models.TextChoices):
    """Where an invoice line of a head takes its amount from. A per-student source is priced
    by the app registered for it (`apps.fees.pricing`), e.g. transport by each rider's stop."""

    STRUCTURE = "structure", _("The structure's amount")
    TRANSPORT = "transport", _("Each rider's transport fee")


class FeeHead(SchoolScopedModel):
    """A kind of charge: tuition, transport, exam ... and how GST treats it."""

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=16, help_text=_("Short code, e.g. TUI."))
    tax_class = models.CharField(
        _("tax class"), max_length=8, choices=TaxClass.choices, default=TaxClass.EXEMPT
    )
    gst_rate = models.DecimalField(
        _("GST rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("28"))],
    )
    hsn_sac = models.CharField(_("HSN/SAC"), max_length=8, blank=True)
    is_tuition = models.BooleanField(
        _("tuition"), default=False, help_text=_("Shown on its own line for income-tax claims.")
    )
    refundable = models.BooleanField(_("refundable"), default=False)
    pricing = models.CharField(
        _("priced by"),
        max_length=10,
        choices=HeadPricing.choices,
        default=HeadPricing.STRUCTURE,
        help_text=_(
            "Transport: each rider is billed their own transport fee for the installment's "
            "period (the structure's amount for this head is not used); non-riders get no line."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "code"],
                name="fee_head_code_unique",
                violation_error_message=_("A fee head with this code already exists."),
            ),
            models.CheckConstraint(
                condition=Q(tax_class="exempt", gst_rate=0)
                | Q(tax_class="taxable", gst_rate__gt=0, hsn_sac__regex=r"^\d{4,8}$"),
                name="fee_head_tax_consistent",
                violation_error_message=_(
                    "An exempt head has no GST rate; a taxable one needs a rate and an HSN/SAC "
                    "code of 4 to 8 digits."
                ),
            ),
        ]
        verbose_name = _("fee head")
        verbose_name_plural = _("fee heads")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class InstallmentPlan(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    TERMLY = "termly", _("Per term")
    YEARLY = "yearly", _("Yearly")
    EXPLICIT = "explicit", _("Explicit due dates")


class LateFineKind(models.TextChoices):
    FLAT = "flat", _("Flat amount")
    PER_DAY = "per_day", _("Amount per day")
    PERCENT = "percent", _("Percentage of the balance")


class LateFineRule(SchoolScopedModel):
    """How a late invoice is fined: after `grace_days` past the due date, a flat amount, an
    amount per day late, or a percentage of the balance; never more than `cap`."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=8, choices=LateFineKind.choices)
    amount = money(_("amount or percentage"))
    grace_days = models.PositiveSmallIntegerField(_("grace days"), default=0)
    cap = money(_("cap"), null=True, blank=True, default=None)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="late_fine_amount_positive"),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(amount__lte=100),
                name="late_fine_percent_at_most_100",
            ),
            models.CheckConstraint(
                condition=Q(cap__isnull=True) | Q(cap__gt=0), name="late_fine_cap_positive"
            ),
        ]
        verbose_name = _("late fine rule")
        verbose_name_plural = _("late fine rules")

    def __str__(self) -> str:
        return self.name


class FeeStructure(SchoolScopedModel):
    """What a class pays in an academic year (or one term of it): lines of head x amount, paid
    in installments (`Installment`, built by `services.structure_build_installments`)."""

    name = models.CharField(_("name"), max_length=100)
    school_class = models.ForeignKey(
        "academics.SchoolClass", on_delete=models.PROTECT, related_name="+", verbose_name=_("class")
    )
    year = models.ForeignKey(
        "academics.AcademicYear", on_delete=models.PROTECT, related_name="+", verbose_name=_("year")
    )
    term = models.ForeignKey(
        "academics.Term",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("term"),
    )
    plan = models.CharField(
        _("installment plan"),
        max_length=10,
        choices=InstallmentPlan.choices,
        default=InstallmentPlan.QUARTERLY,
    )
    due_day = models.PositiveSmallIntegerField(
        _("due day of month"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
    )
    due_dates = models.JSONField(
        _("explicit due dates"), default=list, blank=True, help_text=_("For the explicit plan.")
    )
    late_fine_rule = models.ForeignKey(
        LateFineRule,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="structures",
        verbose_name=_("late fine rule"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["school_class__order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "school_class", "year", "term"],
                nulls_distinct=False,
                name="fee_structure_one_per_class_year_term",
                violation_error_message=_("This class already has a structure for that period."),
            ),
            models.CheckConstraint(
                condition=Q(due_day__gte=1, due_day__lte=28), name="fee_structure_due_day"
            ),
        ]
        verbose_name = _("fee structure")
        verbose_name_plural = _("fee structures")

    def __str__(self) -> str:
        return self.name


class FeeStructureLine(SchoolScopedModel):
    structure = models.ForeignKey(
        FeeStructure, on_delete=models.CASCADE, related_name="lines", verbose_name=_("structure")
    )
    head = models.ForeignKey(
        FeeHead, on_delete=models.PROTECT, related_name="+", verbose_name=_("fee head")
    )
    amount = money(_("amount"))

    class Meta:
        ordering = ["head__name"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "head"], name="fee_line_head_once"),
            _non_negative("fee_line_amount_non_negative", "amount"),
        ]
        verbose_name = _("structure line")
        verbose_name_plural = _("structure lines")

    def __str__(self) -> str:
        return f"{self.head_id}: {self.amount}"


class Installment(SchoolScopedModel):
    """One due date of a structure; its amount is the sum of every line's share (see
    `services.split_amount`), so a structure's installments add up exactly to its total."""

    structure = models.ForeignKey(
        FeeStructure, on_delete=models.CASCADE, related_name="installments"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    label = models.CharField(_("label"), max_length=64)
    due_date = models.DateField(_("due date"))
    amount = money(_("amount"))

    class Meta:
        ordering = ["structure", "number"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "number"], name="installment_number"),
            _non_negative("installment_amount_non_negative", "amount"),
        ]
        verbose_name = _("installment")
        verbose_name_plural = _("installments")

    def __str__(self) -> str:
        return self.label


class ConcessionKind(models.TextChoices):
    PERCENT = "percent", _("Percentage")
    FIXED = "fixed", _("Fixed amount per invoice")


class ConcessionCategory(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    SIBLING = "sibling", _("Sibling")
    STAFF_CHILD = "staff_child", _("Staff child")
    RTE_EWS = "rte_ews", _("RTE / EWS")
    SCHOLARSHIP = "scholarship", _("Scholarship")
    MERIT = "merit", _("Merit")


class Concession(SchoolScopedModel):
    """A reduction of what a student pays: a percentage or a fixed amount per invoice, on one
    head or on the whole structure, for one student or for every member of a category
    (`FeeCategoryMember`). How several combine: `services.concessions` (and the README)."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=8, choices=ConcessionKind.choices)
    value = money(_("percentage or amount"))
    head = models.ForeignKey(
        FeeHead,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("fee head"),
        help_text=_("Empty: the whole structure."),
    )
    category = models.CharField(
        _("category"),
        max_length=12,
        choices=ConcessionCategory.choices,
        default=ConcessionCategory.INDIVIDUAL,
    )
    student = models.ForeignKey(
        "accounts.StudentProfile",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("student"),
        help_text=_("Empty: every member of the category."),
    )
    year = models.ForeignKey(
        "academics.AcademicYear", on_delete=models.PROTECT, related_name="+", verbose_name=_("year")
    )
    cap = money(
        _("cap per invoice"),
        null=True,
        blank=True,
        default=None,
        help_text=_("At most this much per invoice from this concession."),
    )
    reason = models.CharField(_("reason"), max_length=200)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("approved by"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(value__gt=0) & (~Q(kind="percent") | Q(value__lte=100)),
                name="concession_value_in_range",
                violation_error_message=_("A percentage lies between 0 and 100."),
            ),
            models.CheckConstraint(
                condition=Q(cap__isnull=True) | Q(cap__gt=0), name="concession_cap_positive"
            ),
            models.CheckConstraint(
                condition=~Q(category="individual") | Q(student__isnull=False),
                name="concession_individual_has_student",
                violation_error_message=_("An individual concession names its student."),
            ),
        ]
        verbose_name = _("concession")
        verbose_name_plural = _("concessions")

    def __str__(self) -> str:
        return self.name


class FeeCategoryMember(SchoolScopedModel):
    """A student who belongs to a concession category (a sibling, a staff child ...)."""

    student = models.ForeignKey(
        "accounts.StudentProfile", on_delete=models.CASCADE, related_name="+"
    )
    category = models.CharField(_("category"), max_length=12, choices=ConcessionCategory.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["student", "category"], name="fee_category_once"),
            models.CheckConstraint(
                condition=~Q(category="individual"), name="fee_category_not_individual"
            ),
        ]
        verbose_name = _("concession category member")
        verbose_name_plural = _("concession category members")


# --- Document numbers ---------------------------------------------------------------------------
class DocumentType(models.TextChoices):
    INVOICE = "invoice", _("Tax invoice")
    BILL_OF_SUPPLY = "bill_of_supply", _("Bill of supply")
    RECEIPT = "receipt", _("Receipt")
    CREDIT_NOTE = "credit_note", _("Credit note")


class DocumentSequence(SchoolScopedModel):
    """The last number given per school x document type x financial year (April-March). Taken
    under a row lock in the transaction that writes the document, so numbers have no gaps."""

    doc_type = models.CharField(_("document type"), max_length=16, choices=DocumentType.choices)
    financial_year = models.CharField(_("financial year"), max_length=5, help_text="25-26")
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["school", "doc_type", "financial_year"], name="document_sequence_once"
            ),
        ]
        verbose_name = _("document sequence")
        verbose_name_plural = _("document sequences")

    def __str__(self) -> str:
        return f"{self.doc_type} {self.financial_year}: {self.last_number}"


# --- Invoices -----------------------------------------------------------------------------------
class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)


class InvoiceKind(models.TextChoices):
    BILL_OF_SUPPLY = "bill_of_supply", _("Bill of supply")
    TAX_INVOICE = "tax_invoice", _("Tax invoice")
    INVOICE_CUM_BILL = "invoice_cum_bill", _("Invoice-cum-bill of supply")


class Invoice(SchoolScopedModel):
    """What one student owes for one installment. Totals are kept on the row (derived from
    its lines by the services, in the same transaction); `balance` = total - paid - credited.
    A cancelled invoice keeps its number."""

    student = models.ForeignKey(
        "accounts.StudentProfile",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("student"),
    )
    section = models.ForeignKey(
        "academics.Section",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("section"),
    )
    structure = models.ForeignKey(FeeStructure, on_delete=models.PROTECT, related_name="invoices")
    installment = models.ForeignKey(Installment, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(_("number"), max_length=16, blank=True, validators=[number_validator])
    kind = models.CharField(
        _("document type"),
        max_length=16,
        choices=InvoiceKind.choices,
        default=InvoiceKind.BILL_OF_SUPPLY,
    )
    status = models.CharField(
        _("status"), max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), db_index=True)
    place_of_supply = models.CharField(_("place of supply (state code)"), max_length=2)
    subtotal = money(_("fees"))
    concession_total = money(_("concessions"))
    fine_total = money(_("fines"))
    tax_total = money(_("tax"))
    total = money(_("total"))
    amount_paid = money(_("paid"))
    amount_credited = money(_("credited"))
    cancelled_reason = models.CharField(_("why cancelled"), max_length=200, blank=True)

    class Meta:
        ordering = ["due_date", "number"]
        indexes = [
            models.Index(fields=["school", "status", "due_date"], name="invoice_status_due"),
            models.Index(fields=["student", "due_date"], name="invoice_student_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "number"],
                condition=~Q(number=""),
                name="invoice_number_unique",
            ),
            models.UniqueConstraint(
                fields=["student", "installment"],
                condition=~Q(status="cancelled"),
                name="invoice_one_per_installment",
                violation_error_message=_("The student already has this installment's invoice."),
            ),
            models.CheckConstraint(
                condition=Q(number="") | Q(number__regex=NUMBER_PATTERN),
                name="invoice_number_format",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | ~Q(number=""), name="invoice_issued_has_number"
            ),
            _non_negative("invoice_total_non_negative", "total"),
            _non_negative("invoice_paid_non_negative", "amount_paid"),
            _non_negative("invoice_credited_non_negative", "amount_credited"),
            models.CheckConstraint(
                condition=Q(amount_paid__lte=F("total") - F("amount_credited")),
                name="invoice_not_overpaid",
            ),
        ]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")

    def __str__(self) -> str:
        return self.number or _("Draft invoice")

    @property
    def balance(self) -> Decimal:
        return self.total - self.amount_paid - self.amount_credited


class LineKind(models.TextChoices):
    FEE = "fee", _("Fee")
    FINE = "fine", _("Late fine")


class InvoiceLine(SchoolScopedModel):
    """A fee of one head (less its concession) or a late fine, with its tax."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(_("kind"), max_length=4, choices=LineKind.choices)
    head = models.ForeignKey(
        FeeHead, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("description"), max_length=200)
    amount = money(_("amount"))
    concession = money(_("concession"))
    tax_class = models.CharField(
        _("tax class"), max_length=8, choices=TaxClass.choices, default=TaxClass.EXEMPT
    )
    gst_rate = models.DecimalField(_("GST rate (%)"), max_digits=5, decimal_places=2, default=ZERO)
    hsn_sac = models.CharField(_("HSN/SAC"), max_length=8, blank=True)
    cgst = money(_("CGST"))
    sgst = money(_("SGST"))
    igst = money(_("IGST"))
    total = money(_("total"))
    is_tuition = models.BooleanField(_("tuition"), default=False)
    refundable = models.BooleanField(_("refundable"), default=False)
    waived_at = models.DateTimeField(_("waived at"), null=True, blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    waive_reason = models.CharField(_("why waived"), max_length=200, blank=True)

    class Meta:
        ordering = ["kind", "description"]
        constraints = [
            _non_negative("invoice_line_amount_non_negative", "amount"),
            models.CheckConstraint(
                condition=Q(concession__gte=0, concession__lte=F("amount")),
                name="invoice_line_concession_within_amount",
            ),
            models.UniqueConstraint(
                fields=["invoice"], condition=Q(kind="fine"), name="invoice_one_fine_line"
            ),
            models.CheckConstraint(
                condition=Q(kind="fine") | Q(head__isnull=False), name="invoice_fee_line_head"
            ),
        ]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")

    def __str__(self) -> str:
        return self.description

    @property
    def taxable_value(self) -> Decimal:
        return self.amount - self.concession


# --- Payments -----------------------------------------------------------------------------------
class PaymentMode(models.TextChoices):
    CASH = "cash", _("Cash")
    CHEQUE = "cheque", _("Cheque")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CARD_UPI = "card_upi", _("Card / UPI at the terminal")
    ONLINE = "online", _("Online")


COUNTER_MODES = (
    PaymentMode.CASH,
    PaymentMode.CHEQUE,
    PaymentMode.BANK_TRANSFER,
    PaymentMode.CARD_UPI,
)


class Payment(SchoolScopedModel):
    """Money received. Never edited or deleted (a trigger refuses it): a mistake is undone by a
    refund. What it settles is in its allocations; the rest became the student's advance credit."""

    student = models.ForeignKey(
        "accounts.StudentProfile",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("student"),
        help_text=_("Whose family pays; an overpayment is this student's advance credit."),
    )
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("payer"),
    )
    payer_name = models.CharField(_("payer name"), max_length=150, blank=True)
    mode = models.CharField(_("mode"), max_length=16, choices=PaymentMode.choices)
    amount = money(_("amount"))
    reference = models.CharField(
        _("reference"), max_length=64, blank=True, help_text=_("Cheque or transfer number.")
    )
    gateway = models.CharField(_("gateway"), max_length=16, blank=True)
    gateway_payment_id = models.CharField(
        _("gateway payment id"), max_length=64, null=True, blank=True, unique=True
    )
    received_at = models.DateTimeField(_("received at"), db_index=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("received by"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=(Q(mode="online") & ~Q(gateway="") & Q(gateway_payment_id__isnull=False))
                | (~Q(mode="online") & Q(gateway="") & Q(gateway_payment_id__isnull=True)),
                name="payment_online_has_gateway_id",
            ),
        ]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return f"{self.get_mode_display()} {self.amount}"


class PaymentAllocation(SchoolScopedModel):
    """How much of a payment settles one invoice. Append-only."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = money(_("amount"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["payment", "invoice"], name="allocation_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
        ]
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")


class AdvanceMovement(SchoolScopedModel):
    """A student's advance credit moving: + from an overpayment, - when it settles an invoice or
    is refunded. Append-only; the balance is the sum (never below zero, checked by the service
    under the student's lock)."""

    student = models.ForeignKey(
        "accounts.StudentProfile", on_delete=models.PROTECT, related_name="+"
    )
    amount = money(_("amount"))
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="advances"
    )
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="advances"
    )
    refund = models.ForeignKey(
        "Refund", null=True, blank=True, on_delete=models.PROTECT, related_name="advances"
    )

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["student", "created_at"], name="advance_student")]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="advance_amount_not_zero"),
        ]
        verbose_name = _("advance credit movement")
        verbose_name_plural = _("advance credit movements")


class Receipt(SchoolScopedModel):
    """The numbered acknowledgement of a payment. `pdf` is filled by the document renderer."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="receipt")
    number = models.CharField(_("number"), max_length=16, validators=[number_validator])
    issued_at = models.DateTimeField(_("issued at"))
    pdf = models.FileField(_("PDF"), upload_to="fees/receipts/%Y/", null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "number"], name="receipt_number_unique"),
            models.CheckConstraint(
                condition=Q(number__regex=NUMBER_PATTERN), name="receipt_number_format"
            ),
        ]
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")

    def __str__(self) -> str:
        return self.number


# --- Refunds and credit notes ------------------------------------------------------------------
class Refund(SchoolScopedModel):
    """Money given back from a payment: against an invoice (its refundable fees) or from the
    payment's unused advance credit. Produces a credit note."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    amount = money(_("amount"))
    mode = models.CharField(_("mode"), max_length=16, choices=PaymentMode.choices)
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    reason = models.CharField(_("reason"), max_length=200)
    refunded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    refunded_at = models.DateTimeField(_("refunded at"))

    class Meta:
        ordering = ["-refunded_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")

    def __str__(self) -> str:
        return f"{self.amount}"


class CreditNote(SchoolScopedModel):
    """A numbered document that reduces what was charged (an invoice) or records advance credit
    returned. One per refund."""

    refund = models.OneToOneField(Refund, on_delete=models.PROTECT, related_name="credit_note")
    student = models.ForeignKey(
        "accounts.StudentProfile", on_delete=models.PROTECT, related_name="+"
    )
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes"
    )
    number = models.CharField(_("number"), max_length=16, validators=[number_validator])
    issue_date = models.DateField(_("issue date"))
    amount = money(_("amount"))
    reason = models.CharField(_("reason"), max_length=200)
    pdf = models.FileField(_("PDF"), upload_to="fees/credit-notes/%Y/", null=True, blank=True)

    class Meta:
        ordering = ["-issue_date", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["school", "number"], name="credit_note_number_unique"),
            models.CheckConstraint(
                condition=Q(number__regex=NUMBER_PATTERN), name="credit_note_number_format"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_note_amount_positive"),
        ]
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")

    def __str__(self) -> str:
        return self.number


# --- Reminders ----------------------------------------------------------------------------------
class ReminderLevel(models.TextChoices):
    BEFORE_DUE = "before_due", _("Before the due date")
    DUE = "due", _("On the due date")
    OVERDUE = "overdue", _("Overdue")


class FeeReminder(SchoolScopedModel):
    """A fee reminder sent for an invoice: one row per invoice x level x cycle (the overdue
    level repeats every FEES_OVERDUE_REMINDER_EVERY days: cycle 0, 1, ...; the others have cycle
    0). The unique constraint is what makes a reminder go out once, however often or
    concurrently the job runs (`services.fee_reminders_send` inserts ON CONFLICT DO NOTHING)."""

    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("invoice")
    )
    level = models.CharField(_("level"), max_length=10, choices=ReminderLevel.choices)
    cycle = models.PositiveSmallIntegerField(_("cycle"), default=0)
    sent_on = models.DateField(_("sent on"))

    class Meta:
        ordering = ["invoice", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "level", "cycle"], name="fee_reminder_once"),
        ]
        verbose_name = _("fee reminder")
        verbose_name_plural = _("fee reminders")

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.level} {self.cycle}"
