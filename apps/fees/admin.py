"""The fee office in the admin: heads, structures (lines inline), concessions, late-fine rules,
invoices (filters by class, status, due date), the cash counter (a payment form that records
the payment and its receipt), refunds, and the defaulters screen. Payments, receipts, credit
notes and invoices are never edited here; writes with rules go through `apps.fees.services`."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.core.access import is_platform_superuser
from apps.core.admin import (
    ReadOnlyAdminMixin,
    SchoolScopedAdmin,
    SchoolScopedInline,
    ServiceAdmin,
    adopt,
)
from apps.core.services import refuse

from . import receipts, selectors, services
from .models import (
    COUNTER_MODES,
    OPEN_STATUSES,
    Concession,
    CreditNote,
    FeeCategoryMember,
    FeeHead,
    FeeReminder,
    FeeSettings,
    FeeStructure,
    FeeStructureLine,
    Installment,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LateFineRule,
    Payment,
    Receipt,
    Refund,
)
from .services.structures import CONCESSION_FIELDS, HEAD_FIELDS


@admin.register(FeeSettings)
class FeeSettingsAdmin(SchoolScopedAdmin):
    list_display = ("legal_name", "gstin", "state_code")


@admin.register(FeeHead)
class FeeHeadAdmin(ServiceAdmin):
    list_display = ("name", "code", "tax_class", "gst_rate", "hsn_sac", "is_tuition",
                    "refundable", "pricing", "is_active")  # fmt: skip
    list_filter = ("tax_class", "is_tuition", "refundable", "pricing", "is_active")
    search_fields = ("name", "code")
    service_fields = tuple(HEAD_FIELDS)

    def create(self, request, school, data):
        return services.fee_head_create(school=school, actor=request.user, data=data)

    def update(self, request, obj, data):
        return services.fee_head_update(head=obj, actor=request.user, data=data)

    def delete(self, request, obj):
        services.fee_head_delete(head=obj, actor=request.user)


@admin.register(LateFineRule)
class LateFineRuleAdmin(SchoolScopedAdmin):
    list_display = ("name", "kind", "amount", "grace_days", "cap")


class FeeStructureLineInline(SchoolScopedInline):
    model = FeeStructureLine
    fields = ("head", "amount")
    extra = 3


class InstallmentInline(ReadOnlyAdminMixin, SchoolScopedInline):
    model = Installment
    fields = ("number", "label", "due_date", "amount")
    readonly_fields = fields
    can_delete = False


BILLING_FIELDS = {"school_class", "year", "term", "plan", "due_day", "due_dates"}


@admin.register(FeeStructure)
class FeeStructureAdmin(SchoolScopedAdmin):
    """Lines are edited inline; the installments are rebuilt from them after every save, and
    nothing that is billed may change once invoices exist."""

    list_display = ("name", "school_class", "year", "term", "plan", "is_active")
    list_select_related = ("school_class", "year", "term")
    list_filter = ("year", "school_class", "plan", "is_active")
    search_fields = ("name",)
    fields = ("name", "school_class", "year", "term", "plan", "due_day", "due_dates",
              "late_fine_rule", "is_active")  # fmt: skip
    inlines = [FeeStructureLineInline, InstallmentInline]

    def save_model(self, request, obj, form, change):
        if change and BILLING_FIELDS & set(form.changed_data) and obj.invoices.exists():
            raise refuse(_("Invoices exist for this structure: make a new one instead."),
                         code="structure_in_use")  # fmt: skip
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if change and formset.has_changed() and form.instance.invoices.exists():
            raise refuse(_("Invoices exist for this structure: make a new one instead."),
                         code="structure_in_use")  # fmt: skip
        super().save_formset(request, form, formset, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        structure = form.instance
        if not structure.invoices.exists():
            services.structure_build_installments(structure)


@admin.register(Concession)
class ConcessionAdmin(ServiceAdmin):
    list_display = ("name", "kind", "value", "head", "category", "student", "cap",
                    "approved_by", "is_active")  # fmt: skip
    list_select_related = ("head", "student__user", "approved_by")
    list_filter = ("kind", "category", "is_active", "year")
    search_fields = ("name", "reason", "student__user__full_name")
    autocomplete_fields = ()
    exclude = ("approved_by",)
    service_fields = tuple(f for f in CONCESSION_FIELDS if f != "approved_by")

    def create(self, request, school, data):
        return services.concession_create(school=school, actor=request.user, data=data)

    def update(self, request, obj, data):
        return services.concession_update(concession=obj, actor=request.user, data=data)

    def delete(self, request, obj):
        services.concession_delete(concession=obj, actor=request.user)


@admin.register(FeeCategoryMember)
class FeeCategoryMemberAdmin(SchoolScopedAdmin):
    list_display = ("student", "category")
    list_select_related = ("student__user",)
    list_filter = ("category",)


# --- Invoices and the defaulters screen -------------------------------------------------------
class InvoiceLineInline(ReadOnlyAdminMixin, SchoolScopedInline):
    model = InvoiceLine
    fields = ("kind", "description", "amount", "concession", "gst_rate", "cgst", "sgst", "igst",
              "total", "waived_at", "waive_reason")  # fmt: skip
    readonly_fields = fields
    can_delete = False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    """Invoices are made by the generation job and changed by payments; read-only here. The
    defaulters screen hangs off this changelist (its "Defaulters" link)."""

    list_display = ("number", "student", "section", "installment", "due_date", "status", "total",
                    "amount_paid", "balance_display")  # fmt: skip
    list_select_related = ("student__user", "section__school_class", "installment")
    list_filter = ("status", "section__school_class", "section", "due_date", "kind")
    search_fields = ("number", "student__user__full_name", "student__admission_number")
    date_hierarchy = "due_date"
    inlines = [InvoiceLineInline]
    readonly_fields = ("pdf_link",)
    change_list_template = "admin/fees/invoice/change_list.html"
    sidebar_links = ((_("Fee defaulters"), "admin:fees_invoice_defaulters", "money_off"),)

    @admin.display(description=_("balance"))
    def balance_display(self, obj):
        return obj.balance

    @admin.display(description=_("document"))
    def pdf_link(self, obj):
        if obj is None or obj.pk is None or obj.status == InvoiceStatus.DRAFT:
            return "-"
        url = reverse("admin:fees_invoice_pdf", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download invoice (PDF)"))

    def get_urls(self):
        return [
            path(
                "defaulters/",
                self.admin_site.admin_view(self.defaulters_view),
                name="fees_invoice_defaulters",
            ),  # fmt: skip
            path(
                "<uuid:pk>/pdf/", self.admin_site.admin_view(self.pdf_view), name="fees_invoice_pdf"
            ),  # fmt: skip
            *super().get_urls(),
        ]

    def pdf_view(self, request, pk):
        """The invoice as PDF (`?lang=hi` for Hindi); another school's is a 404."""
        from .api.views import pdf_response

        invoice = self.get_queryset(request).filter(pk=pk).exclude(status=InvoiceStatus.DRAFT)
        invoice = invoice.first()
        if invoice is None or not self.has_view_permission(request, invoice):
            raise Http404
        language = _admin_language(request)
        return pdf_response(receipts.invoice_pdf(invoice=invoice, language=language),
                            invoice.number)  # fmt: skip

    def defaulters_view(self, request):
        """Overdue balances by ageing bucket, by class and section, with days overdue;
        `?format=csv` downloads. Staff who may send fee reminders (change invoices) tick
        students and remind their families now (POST)."""
        if not self.has_view_permission(request) or request.user.school_id is None:
            return HttpResponseRedirect(reverse("admin:index"))
        school = request.user.school
        if request.method == "POST":
            return self._remind_defaulters(request, school)
        report = selectors.defaulters(school_id=school.pk, today=services.school_today(school))
        if request.GET.get("format") == "csv":
            from .api.views import defaulters_csv_response

            return defaulters_csv_response(report)
        context = {**self.admin_site.each_context(request), "title": _("Defaulters"),
                   "report": report, "buckets": [b[0] for b in selectors.BUCKETS],
                   "opts": self.model._meta,
                   "may_remind": may_remind_defaulters(request.user)}  # fmt: skip
        return TemplateResponse(request, "admin/fees/defaulters.html", context)

    def _remind_defaulters(self, request, school):
        if not may_remind_defaulters(request.user):
            raise PermissionDenied
        chosen = [value for value in request.POST.getlist("student") if _is_uuid(value)]
        if not chosen:
            self.message_user(request, _("Tick the students to remind."), messages.WARNING)
        else:
            sent = services.overdue_reminders_send_now(
                school=school, student_ids=chosen, actor=request.user
            )
            self.message_user(
                request,
                ngettext(
                    "A reminder was sent for %(count)d overdue invoice.",
                    "Reminders were sent for %(count)d overdue invoices.",
                    sent,
                )
                % {"count": sent},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:fees_invoice_defaulters"))


def may_remind_defaulters(user) -> bool:
    """Fee reminders from the defaulters list: school admins and staff who may change
    invoices (the Accountant duty)."""
    from apps.core.admin import admin_access

    return admin_access(user, Invoice, "change")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _admin_language(request) -> str:
    """`?lang=` of an admin download: en or hi; anything else is the school's language."""
    value = request.GET.get("lang")
    return value if value in receipts.LANGUAGES else receipts.document_language(None)


# --- The cash counter -------------------------------------------------------------------------
class CounterPaymentForm(forms.ModelForm):
    invoices = forms.ModelMultipleChoiceField(
        queryset=Invoice.objects.none(),
        required=False,
        label=_("Invoices to settle"),
        help_text=_("Settled oldest first; none chosen: the family's open invoices. What is "
                    "left over becomes advance credit."),
    )  # fmt: skip

    class Meta:
        model = Payment
        fields = ("student", "payer", "payer_name", "mode", "amount", "reference", "note")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mode"].choices = [(m.value, m.label) for m in COUNTER_MODES]
        invoices = Invoice.objects.filter(status__in=OPEN_STATUSES).select_related("student__user")
        school_id = getattr(self, "bound_school_id", None)
        self.fields["invoices"].queryset = (
            invoices.filter(school_id=school_id) if school_id else invoices
        )


@admin.register(Payment)
class PaymentAdmin(SchoolScopedAdmin):
    """The cash counter: "Add payment" records money taken at the counter and its receipt.
    Payments are never changed or deleted (refund instead)."""

    list_display = ("received_at", "receipt_number", "student", "mode", "amount", "reference",
                    "received_by")  # fmt: skip
    list_select_related = ("student__user", "receipt", "received_by")
    list_filter = ("mode", "received_at")
    search_fields = ("receipt__number", "reference", "student__user__full_name")
    date_hierarchy = "received_at"
    readonly_fields = ("gateway", "gateway_payment_id", "received_at", "received_by",
                       "receipt_pdf_link")  # fmt: skip

    @admin.display(description=_("receipt"), ordering="receipt__number")
    def receipt_number(self, obj):
        receipt = getattr(obj, "receipt", None)
        return receipt.number if receipt else "-"

    @admin.display(description=_("receipt PDF"))
    def receipt_pdf_link(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        url = reverse("admin:fees_payment_receipt", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download receipt (PDF)"))

    def get_urls(self):
        return [
            path(
                "<uuid:pk>/receipt/",
                self.admin_site.admin_view(self.receipt_view),
                name="fees_payment_receipt",
            ),  # fmt: skip
            *super().get_urls(),
        ]

    def receipt_view(self, request, pk):
        """The payment's receipt as PDF (stored the first time; `?lang=hi` for Hindi)."""
        from .api.views import pdf_response

        payment = self.get_queryset(request).filter(pk=pk).select_related("receipt").first()
        if payment is None or not self.has_view_permission(request, payment):
            raise Http404
        language = _admin_language(request)
        receipt, data = receipts.receipt_bytes(receipt_id=payment.receipt.pk, language=language)
        return pdf_response(data, receipt.number)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = CounterPaymentForm
            kwargs["fields"] = (*CounterPaymentForm.Meta.fields, "invoices")
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return [*CounterPaymentForm.Meta.fields, "invoices"]
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        cd = form.cleaned_data
        school = (
            cd["student"].school if is_platform_superuser(request.user) else request.user.school
        )
        invoices = list(cd.get("invoices") or [])
        payment = services.payment_record_counter(
            school=school, actor=request.user, student=cd["student"], mode=cd["mode"],
            amount=cd["amount"], payer=cd.get("payer"), payer_name=cd.get("payer_name", ""),
            reference=cd.get("reference", ""), note=cd.get("note", ""),
            allocations=[{"invoice": i} for i in invoices] if invoices else None,
        )  # fmt: skip
        adopt(obj, payment)

    def save_related(self, request, form, formsets, change):
        pass  # the service wrote everything

    def response_add(self, request, obj, post_url_continue=None):
        receipt = Receipt.objects.get(payment_id=obj.pk)
        self.message_user(
            request,
            _("Payment recorded: receipt %(number)s.") % {"number": receipt.number},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:fees_payment_change", args=[obj.pk]))


class RefundForm(forms.ModelForm):
    class Meta:
        model = Refund
        fields = ("payment", "invoice", "amount", "mode", "reference", "reason")


@admin.register(Refund)
class RefundAdmin(SchoolScopedAdmin):
    """A refund is recorded once, with its credit note; never changed or deleted."""

    list_display = ("refunded_at", "payment", "invoice", "amount", "mode", "credit_note_number")
    list_select_related = ("payment", "invoice", "credit_note")
    form = RefundForm

    @admin.display(description=_("credit note"))
    def credit_note_number(self, obj):
        note = getattr(obj, "credit_note", None)
        return note.number if note else "-"

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        cd = form.cleaned_data
        school = (
            cd["payment"].school if is_platform_superuser(request.user) else request.user.school
        )
        refund = services.refund_create(
            school=school, actor=request.user, payment=cd["payment"], invoice=cd.get("invoice"),
            amount=cd["amount"], mode=cd["mode"], reference=cd.get("reference", ""),
            reason=cd["reason"],
        )  # fmt: skip
        adopt(obj, refund)


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    list_display = ("number", "issued_at", "payment")
    list_select_related = ("payment",)
    search_fields = ("number",)


@admin.register(FeeReminder)
class FeeReminderAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    """The reminders the daily job sent: one row per invoice, level and cycle (read-only)."""

    list_display = ("invoice", "level", "cycle", "sent_on")
    list_filter = ("level", "sent_on")
    list_select_related = ("invoice",)
    search_fields = ("invoice__number",)
    date_hierarchy = "sent_on"


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    list_display = ("number", "issue_date", "student", "invoice", "amount")
    list_select_related = ("student__user", "invoice")
    search_fields = ("number",)
