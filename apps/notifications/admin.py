"""Staff screen for notifications: who was told what, whether they read it, whether it was mailed.

Read-only: notifications are raised by the product (`services.notify`), not typed in here. School
admins see their school's (rows through `SchoolScopedAdmin`), staff by permission.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from apps.core.admin import SchoolScopedAdmin

from .models import Notification


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
