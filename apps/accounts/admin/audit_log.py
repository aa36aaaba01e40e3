"""The audit log, read-only for everyone."""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.core.admin import ReadOnlyAdminMixin, SchoolScopedAdmin
from apps.core.models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    """Who changed what. Nobody adds, edits or deletes entries; school admins see their school's."""

    list_display = ("created_at", "action", "object_type", "object_repr", "actor", "school")
    list_select_related = ("actor", "school")
    list_filter = ("object_type", "action", "school")
    search_fields = ("object_repr", "object_id", "action", "actor__email", "request_id")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    fields = (
        "created_at",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "actor",
        "school",
        "changes",
        "request_id",
        "ip_address",
    )
    readonly_fields = fields
    show_full_result_count = False  # the log grows without bound; skip the second COUNT(*)

    @admin.display(description=_("changes"))
    def changes(self, obj):
        body = {"before": obj.before, "after": obj.after}
        return format_html(
            "<pre style='white-space:pre-wrap'>{}</pre>",
            json.dumps(body, indent=2, ensure_ascii=False, sort_keys=True),
        )

    def get_actions(self, request):
        return {}
