"""The fee office's screens of online payments: orders and webhook events, read-only (money is
credited by the webhooks and the reconciliation job, never by editing a row)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline

from apps.core.admin import ReadOnlyAdminMixin, SchoolScopedAdmin

from .models import PaymentOrder, PaymentOrderInvoice, WebhookEvent


class AuthorizedNotCaptured(admin.SimpleListFilter):
    title = _("authorized, not captured")
    parameter_name = "authorized"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(authorized_at__isnull=False).exclude(status="paid")
        return queryset


class OrderInvoiceInline(TabularInline):
    model = PaymentOrderInvoice
    fields = ["invoice", "amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PaymentOrder)
class PaymentOrderAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    list_display = ["reference", "gateway", "gateway_order_id", "student", "amount", "status",
                    "created_at", "paid_at", "authorized_at", "disputed_at"]  # fmt: skip
    list_filter = ["status", "gateway", AuthorizedNotCaptured, "created_at"]
    search_fields = ["reference", "gateway_order_id", "gateway_payment_id",
                     "student__user__full_name"]  # fmt: skip
    list_select_related = ["student__user"]
    inlines = [OrderInvoiceInline]
    date_hierarchy = "created_at"


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    list_display = ["event_id", "gateway", "gateway_type", "type", "order", "received_at",
                    "processed_at", "outcome"]  # fmt: skip
    list_filter = ["gateway", "type", "outcome"]
    search_fields = ["event_id", "gateway_order_id", "gateway_payment_id"]
    list_select_related = ["order"]
