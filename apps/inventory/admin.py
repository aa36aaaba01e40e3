"""The stores in the admin: catalogue (items with their reorder rules), stores, vendors,
purchase orders (lines inline; place, cancel and "receive everything pending" actions), the
movement entry form (receipt, issue, return, transfer, adjustment, write-off through the ledger
service), the ledger and balances read-only (low stock highlighted), serial units, item
requests (approve/reject actions) and low-stock alerts. History is never edited here."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.core.access import is_platform_superuser
from apps.core.admin import (
    DATE_WIDGET,
    ReadOnlyAdminMixin,
    SchoolScopedAdmin,
    SchoolScopedInline,
    ServiceAdmin,
    adopt,
)
from apps.core.admin.permissions import _service_errors, application_error_text

from . import selectors, services
from .models import (
    Item,
    ItemCategory,
    ItemRequest,
    LowStockAlert,
    MovementKind,
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderRule,
    SerialUnit,
    StockBalance,
    StockMovement,
    Store,
    Vendor,
)
from .services.catalogue import FIELDS


class CatalogueAdmin(ServiceAdmin):
    def create(self, request, school, data):
        return services.catalogue_create(model=self.model, school=school, actor=request.user,
                                         data=data)  # fmt: skip

    def update(self, request, obj, data):
        return services.catalogue_update(obj=obj, actor=request.user, data=data)

    def delete(self, request, obj):
        services.catalogue_delete(obj=obj, actor=request.user)


@admin.register(ItemCategory)
class ItemCategoryAdmin(CatalogueAdmin):
    list_display = ("name", "description")
    search_fields = ("name",)
    service_fields = tuple(FIELDS[ItemCategory])


@admin.register(Store)
class StoreAdmin(CatalogueAdmin):
    list_display = ("name", "code", "kind", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code")
    service_fields = tuple(FIELDS[Store])


@admin.register(Vendor)
class VendorAdmin(CatalogueAdmin):
    list_display = ("name", "gstin", "contact_name", "phone", "email", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "gstin", "contact_name")
    service_fields = tuple(FIELDS[Vendor])


class ReorderRuleInline(SchoolScopedInline):
    model = ReorderRule
    extra = 0
    fields = ("store", "reorder_level", "reorder_quantity")


@admin.register(Item)
class ItemAdmin(CatalogueAdmin):
    list_display = ("name", "sku", "category", "unit", "kind", "serial_tracked",
                    "preferred_vendor", "standard_rate", "is_active")  # fmt: skip
    list_select_related = ("category", "preferred_vendor")
    list_filter = ("category", "kind", "serial_tracked", "is_active")
    search_fields = ("name", "sku")
    service_fields = tuple(FIELDS[Item])
    inlines = [ReorderRuleInline]


class PurchaseOrderLineInline(SchoolScopedInline):
    model = PurchaseOrderLine
    extra = 1
    fields = ("item", "quantity", "rate", "received_quantity")
    readonly_fields = ("received_quantity",)

    def _editable(self, obj):
        return obj is None or obj.status == "draft"

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


def _run(modeladmin, request, queryset, call, done):
    ok = 0
    for order in queryset:
        try:
            call(order)
            ok += 1
        except _service_errors() as exc:
            modeladmin.message_user(request, f"{order}: {application_error_text(exc)}",
                                    messages.ERROR)  # fmt: skip
    if ok:
        modeladmin.message_user(request, done % {"count": ok}, messages.SUCCESS)


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(SchoolScopedAdmin):
    list_display = ("number", "vendor", "store", "status", "expected_date", "auto_created",
                    "created_at")  # fmt: skip
    list_select_related = ("vendor", "store")
    list_filter = ("status", "vendor", "store", "auto_created")
    search_fields = ("number", "vendor__name")
    readonly_fields = ("number", "status", "ordered_at", "auto_created", "created_by")
    fields = ("number", "vendor", "store", "status", "expected_date", "notes", "auto_created",
              "created_by", "ordered_at")  # fmt: skip
    inlines = [PurchaseOrderLineInline]
    actions = ["place", "cancel", "receive_pending"]

    def save_model(self, request, obj, form, change):
        if not change:
            school = (
                obj.vendor.school if is_platform_superuser(request.user) else request.user.school
            )
            order = services.po_create(school=school, actor=request.user, vendor=obj.vendor,
                                       store=obj.store, lines=[], expected_date=obj.expected_date,
                                       notes=obj.notes)  # fmt: skip
            adopt(obj, order)
        else:
            services.po_update(order=obj, actor=request.user,
                               data={n: form.cleaned_data[n] for n in form.changed_data
                                     if n in ("vendor", "store", "expected_date", "notes")})  # fmt: skip

    def has_change_permission(self, request, obj=None):
        editable = obj is None or obj.status == "draft"
        return editable and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        editable = obj is None or obj.status == "draft"
        return editable and super().has_delete_permission(request, obj)

    @admin.action(description=_("Place the selected drafts with their vendors"))
    def place(self, request, queryset):
        _run(self, request, queryset, lambda o: services.po_place(order=o, actor=request.user),
             _("%(count)s purchase orders placed."))  # fmt: skip

    @admin.action(description=_("Cancel the selected purchase orders"))
    def cancel(self, request, queryset):
        _run(self, request, queryset, lambda o: services.po_cancel(order=o, actor=request.user),
             _("%(count)s purchase orders cancelled."))  # fmt: skip

    @admin.action(description=_("Receive everything still pending"))
    def receive_pending(self, request, queryset):
        def receive(order):
            lines = [{"line": line, "quantity": line.pending_quantity}
                     for line in order.lines.select_related("item")
                     if line.pending_quantity > 0 and not line.item.serial_tracked]  # fmt: skip
            services.po_receive(order=order, actor=request.user, lines=lines)

        _run(self, request, queryset, receive, _("%(count)s purchase orders received."))


ENTRY_KINDS = [
    (MovementKind.RECEIPT, _("Receipt")), (MovementKind.ISSUE, _("Issue")),
    (MovementKind.RETURN, _("Return")), ("transfer", _("Transfer")),
    (MovementKind.ADJUSTMENT, _("Adjustment")), (MovementKind.WRITE_OFF, _("Write-off")),
]  # fmt: skip


class MovementEntryForm(forms.ModelForm):
    """One form for every kind; the service says which fields each kind needs."""

    entry_kind = forms.ChoiceField(label=_("kind"), choices=ENTRY_KINDS)
    entry_quantity = forms.DecimalField(label=_("quantity"), required=False, min_value=0)
    entry_rate = forms.DecimalField(label=_("rate"), required=False, min_value=0)
    to_store = forms.ModelChoiceField(queryset=Store.objects.all(), required=False,
                                      label=_("to store (transfer)"))  # fmt: skip
    counted_quantity = forms.DecimalField(label=_("counted quantity (adjustment)"),
                                          required=False, min_value=0)  # fmt: skip
    serials = forms.CharField(label=_("serial numbers (one a line)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip

    class Meta:
        model = StockMovement
        fields = ("item", "store", "staff", "student", "section", "location", "due_date", "issue",
                  "reason", "write_off_reason", "approved_by", "charge_amount")  # fmt: skip
        widgets = {"due_date": DATE_WIDGET}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        school_id = getattr(self, "bound_school_id", None)
        if school_id:
            self.fields["to_store"].queryset = Store.objects.filter(school_id=school_id)
        self.fields["store"].required = False
        self.fields["issue"].queryset = self.fields["issue"].queryset.filter(kind="issue")

    def _post_clean(self):
        pass  # the service validates and writes the movement


ENTRY_FIELDS = ("entry_kind", "item", "store", "entry_quantity", "entry_rate", "serials",
                "to_store", "counted_quantity", "staff", "student", "section", "location",
                "due_date", "issue", "reason", "write_off_reason", "approved_by",
                "charge_amount")  # fmt: skip


class OverdueFilter(admin.SimpleListFilter):
    """The overdue-returns report: issues of returnable assets past their due date with
    something still out."""

    title = _("returns")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue returns"))]

    def queryset(self, request, queryset):
        if self.value() != "yes":
            return queryset
        school = request.user.school
        today = services.school_today(school) if school else timezone.localdate()
        return selectors.overdue_issues(queryset, today)


@admin.register(StockMovement)
class StockMovementAdmin(SchoolScopedAdmin):
    """The ledger, read-only; "Add" is the movement entry form. Filters give the reports:
    movements for a period (date hierarchy), issues per person (kind + search), overdue returns."""

    list_display = ("occurred_at", "kind", "item", "store", "quantity", "delta", "rate",
                    "value_delta", "quantity_after", "value_after", "recipient", "due_date")  # fmt: skip
    list_select_related = ("item", "store", "staff", "student__user", "section__school_class")
    list_filter = (OverdueFilter, "kind", "store", "item__category", "occurred_at")
    search_fields = ("item__name", "item__sku", "staff__full_name", "student__user__full_name",
                     "location", "reason")  # fmt: skip
    date_hierarchy = "occurred_at"

    @admin.display(description=_("to / from"))
    def recipient(self, obj):
        return obj.staff or obj.student or obj.section or obj.location or "-"

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = MovementEntryForm
            kwargs["fields"] = ENTRY_FIELDS
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return list(ENTRY_FIELDS) if obj is None else super().get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        cd = dict(form.cleaned_data)
        item = cd.pop("item")
        school = item.school if is_platform_superuser(request.user) else request.user.school
        data = {**cd, "quantity": cd.get("entry_quantity"), "rate": cd.get("entry_rate"),
                "serials": [s.strip() for s in (cd.get("serials") or "").splitlines() if s.strip()]}  # fmt: skip
        posted = services.movement_record(school=school, actor=request.user,
                                          kind=cd["entry_kind"], item=item, store=cd.get("store"),
                                          data=data)  # fmt: skip
        adopt(obj, posted.first)

    def save_related(self, request, form, formsets, change):
        pass


@admin.register(StockBalance)
class StockBalanceAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    list_display = ("item", "store", "quantity", "value", "level", "stock_state")
    list_select_related = ("item", "store")
    list_filter = ("store", "item__category")
    search_fields = ("item__name", "item__sku")

    def get_queryset(self, request):
        base = super().get_queryset(request)
        return selectors.balance_queryset().filter(pk__in=base.values("pk"))

    @admin.display(description=_("reorder level"))
    def level(self, obj):
        return obj.reorder_level if obj.reorder_level is not None else "-"

    @admin.display(description=_("stock"), ordering="quantity")
    def stock_state(self, obj):
        if obj.low:
            return format_html('<strong style="color:#b00">{}</strong>', _("Low: reorder"))
        return _("OK")


@admin.register(SerialUnit)
class SerialUnitAdmin(SchoolScopedAdmin):
    list_display = ("serial_number", "item", "state", "store", "custodian")
    list_select_related = ("item", "store", "staff", "student__user", "section__school_class")
    list_filter = ("state", "store", "item")
    search_fields = ("serial_number", "item__name")
    readonly_fields = ("item", "serial_number", "state", "store", "staff", "student", "section",
                       "location", "issue")  # fmt: skip

    @admin.display(description=_("custodian"))
    def custodian(self, obj):
        return obj.staff or obj.student or obj.section or obj.location or obj.store

    def has_add_permission(self, request):
        return False  # units arrive with a receipt

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ItemRequest)
class ItemRequestAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    list_display = ("created_at", "item", "quantity", "requested_by", "status", "decided_by")
    list_select_related = ("item", "requested_by", "decided_by")
    list_filter = ("status",)
    search_fields = ("item__name", "requested_by__full_name")
    actions = ["approve", "reject"]

    @admin.action(description=_("Approve: issue from the store holding the most"),
                  permissions=["view"])  # fmt: skip
    def approve(self, request, queryset):
        def issue(row):
            held = StockBalance.objects.filter(item=row.item).order_by("-quantity", "store__name")
            balance = held.select_related("store").first()
            if balance is None:
                raise services.InsufficientStock(_("Not enough stock."), code="insufficient_stock")
            services.request_approve(request=row, actor=request.user, store=balance.store)

        _run(self, request, queryset, issue, _("%(count)s requests approved."))

    @admin.action(description=_("Reject the selected requests"), permissions=["view"])
    def reject(self, request, queryset):
        _run(self, request, queryset,
             lambda r: services.request_reject(request=r, actor=request.user),
             _("%(count)s requests rejected."))  # fmt: skip


@admin.register(LowStockAlert)
class LowStockAlertAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    list_display = ("created_at", "item", "store", "quantity", "resolved_at")
    list_select_related = ("item", "store")
    list_filter = ("store", ("resolved_at", admin.EmptyFieldListFilter))
