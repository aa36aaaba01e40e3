"""The audit log, read-only for everyone."""

from __future__ import annotations

import json

from django.contrib import admin
from django.db.models import BooleanField, Value
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.core.access import is_platform_superuser
from apps.core.admin import ReadOnlyAdminMixin, SchoolScopedAdmin
from apps.core.models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    """Who changed what. Nobody adds, edits or deletes entries; school admins see their school's."""

    list_display = ("created_at", "action", "object_type", "object_repr", "who", "school")
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
        "who",
        "school",
        "changes",
        "request_id",
        "ip_address",
    )
    readonly_fields = fields
    show_full_result_count = False  # the log grows without bound; skip the second COUNT(*)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if is_platform_superuser(request.user):
            return qs
        # A school never sees who a platform superuser is, only that the platform acted.
        return qs.annotate(mask_platform_actor=Value(True, output_field=BooleanField()))

    @admin.display(description=_("actor"), ordering="actor__email")
    def who(self, obj):
        actor = obj.actor
        if actor is None:
            return "-"
        platform = actor.is_superuser and actor.school_id is None
        if platform and getattr(obj, "mask_platform_actor", False):
            return _("Platform operator")
        return str(actor)

    @admin.display(description=_("changes"))
    def changes(self, obj):
        body = {"before": obj.before, "after": obj.after}
        return format_html(
            "<pre style='white-space:pre-wrap'>{}</pre>",
            json.dumps(body, indent=2, ensure_ascii=False, sort_keys=True),
        )

    def get_actions(self, request):
        return {}
