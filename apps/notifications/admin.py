"""Staff screens for notifications: who was told what, whether they read it, and every delivery
(channel, provider, status history); the school's SMS templates, quiet hours and channels.

Read-only: notifications are raised by the product (`services.notify`), not typed in here. School
admins see their school's (rows through `SchoolScopedAdmin`), staff by permission.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.core.admin import SchoolScopedAdmin
from apps.core.admin.services import ServiceAdmin

from . import services
from .models import (
    Channel,
    Circular,
    CircularStatus,
    Delivery,
    Device,
    Notification,
    QuietHours,
    SchoolChannelSettings,
    SmsTemplate,
)


class _NullDateFilter(admin.SimpleListFilter):
    field: str = ""

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(**{f"{self.field}__isnull": self.value() == "no"})
        return queryset


class ReadFilter(_NullDateFilter):
    title = _("read")
    parameter_name = "read"
    field = "read_at"


class EmailedFilter(_NullDateFilter):
    title = _("e-mailed")
    parameter_name = "emailed"
    field = "emailed_at"


@admin.register(Notification)
class NotificationAdmin(SchoolScopedAdmin):
    list_display = ("created_at", "recipient", "kind", "title", "read_at", "emailed_at", "school")
    list_select_related = ("recipient", "school")
    list_filter = ("kind", ReadFilter, EmailedFilter, "school")
    search_fields = (
        "title",
        "body",
        "kind",
        "dedupe_key",
        "recipient__email",
        "recipient__full_name",
    )
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    fields = (
        "school",
        "recipient",
        "kind",
        "title",
        "body",
        "data",
        "language",
        "dedupe_key",
        "created_at",
        "read_at",
        "emailed_at",
    )
    readonly_fields = fields
    show_full_result_count = False  # grows without bound; skip the second COUNT(*)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(SchoolScopedAdmin):
    """Every send, filterable by status, channel, provider and kind, with its status history."""

    list_display = (
        "created_at", "recipient", "kind", "channel", "status", "provider", "attempts",
        "scheduled_at", "sent_at", "delivered_at",
    )  # fmt: skip
    list_select_related = ("recipient", "school")
    list_filter = ("status", "channel", "provider", "category", "kind", "school")
    search_fields = ("recipient__email", "recipient__full_name", "provider_message_id", "kind")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    fields = (
        "school", "notification", "recipient", "kind", "category", "channel", "status",
        "idempotency_key", "provider", "provider_message_id", "address", "payload", "attempts",
        "last_error", "scheduled_at", "queued_at", "sent_at", "delivered_at", "failed_at",
        "history", "created_at",
    )  # fmt: skip
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SmsTemplateForm(forms.ModelForm):
    class Meta:
        model = SmsTemplate
        fields = [
            "school", "kind", "language", "text", "variables", "dlt_template_id",
            "sender_header", "category", "is_active",
        ]  # fmt: skip

    def clean_language(self):
        language = self.cleaned_data["language"]
        if language not in {code for code, _name in settings.LANGUAGES}:
            raise forms.ValidationError(_("Choose one of the product's languages."))
        return language


@admin.register(SmsTemplate)
class SmsTemplateAdmin(SchoolScopedAdmin):
    """The school's DLT-registered SMS texts: exact approved text, template id, header."""

    form = SmsTemplateForm
    list_display = ("kind", "language", "dlt_template_id", "sender_header", "category",
                    "is_active")  # fmt: skip
    list_select_related = ("school",)
    list_filter = ("category", "language", "is_active", "school")
    search_fields = ("kind", "dlt_template_id", "text")
    ordering = ("kind", "language")


@admin.register(QuietHours)
class QuietHoursAdmin(SchoolScopedAdmin):
    """The school's default quiet hours (no user) and users' own."""

    list_display = ("school", "user", "start", "end")
    list_select_related = ("school", "user")
    list_filter = ("school",)
    raw_id_fields = ("user",)


@admin.register(SchoolChannelSettings)
class SchoolChannelSettingsAdmin(SchoolScopedAdmin):
    """Channels, the monthly SMS budget, the promotional window and the DLT entity id."""

    list_display = ("school", "email_enabled", "sms_enabled", "push_enabled",
                    "sms_monthly_limit", "sms_monthly_budget_rupees")  # fmt: skip
    readonly_fields = ("sms_budget_warned_for",)
    list_select_related = ("school",)
    list_filter = ("school",)


@admin.register(Device)
class DeviceAdmin(SchoolScopedAdmin):
    list_display = ("user", "platform", "last_seen_at")
    list_select_related = ("user", "school")
    list_filter = ("platform", "school")
    search_fields = ("user__email",)
    readonly_fields = ("user", "platform", "token", "last_seen_at")

    def has_add_permission(self, request):
        return False


class CircularForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        label=_("channels"),
        choices=[c for c in Channel.choices if c[0] != Channel.IN_APP],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("The in-app inbox always has it."),
    )

    class Meta:
        model = Circular
        fields = ["school", "title", "body", "language", "audience", "target_id",
                  "attendance_status", "channels"]  # fmt: skip


@admin.register(Circular)
class CircularAdmin(ServiceAdmin):
    """School announcements: compose a draft, see its reach and SMS cost, schedule or cancel
    it (actions). Only drafts can be changed."""

    form = CircularForm
    list_display = ("title", "audience", "status", "scheduled_at", "sent_at", "recipient_count",
                    "delivery_count", "school")  # fmt: skip
    list_select_related = ("school",)
    list_filter = ("status", "audience", "school")
    search_fields = ("title",)
    ordering = ("-created_at",)
    service_fields = ("title", "body", "language", "audience", "target_id",
                      "attendance_status", "channels")  # fmt: skip
    readonly_fields = ("status", "scheduled_at", "sent_at", "recipient_count",
                       "delivery_count", "preview")  # fmt: skip
    actions = ["schedule_now", "cancel"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != CircularStatus.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("reach and SMS cost"))
    def preview(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        figures = services.circular_preview(obj)
        by = figures["by_channel"]
        return format_html(
            "{} recipients (e-mail {}, SMS {}, push {}); SMS: {} segment(s), ₹{}",
            figures["recipients"],
            by["email"],
            by["sms"],
            by["push"],
            figures["sms_segments"],
            f"{figures['sms_cost_paise'] / 100:.2f}",
        )

    def create(self, request, school, data):
        return services.circular_create(actor=request.user, data=data, school=school)

    def update(self, request, obj, data):
        return services.circular_update(circular=obj, data=data)

    @admin.action(description=_("Schedule the selected drafts now"), permissions=["change"])
    def schedule_now(self, request, queryset):
        done = 0
        for circular in queryset.filter(status=CircularStatus.DRAFT):
            services.circular_schedule(circular=circular)
            done += 1
        self.message_user(
            request, _("%(count)d circular(s) scheduled; they go out within a minute.")
            % {"count": done}, messages.SUCCESS,
        )  # fmt: skip

    @admin.action(description=_("Cancel the selected circulars"), permissions=["change"])
    def cancel(self, request, queryset):
        done = 0
        for circular in queryset.filter(
            status__in=[CircularStatus.DRAFT, CircularStatus.SCHEDULED]
        ):
            services.circular_cancel(circular=circular)
            done += 1
        self.message_user(request, _("%(count)d circular(s) cancelled.") % {"count": done})
