"""Background jobs in the admin: read-only; a school admin sees their school's."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import Job
from .base import ReadOnlyAdminMixin, SchoolScopedAdmin


@admin.register(Job)
class JobAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    list_display = ("created_at", "kind", "status", "progress", "requested_by", "finished_at")
    list_select_related = ("requested_by",)
    list_filter = ("status", "kind", "school")
    search_fields = ("kind", "requested_by__email", "error")
    date_hierarchy = "created_at"
    fields = (
        "kind", "status", "progress_done", "progress_total", "requested_by", "params", "result",
        "result_file", "error", "created_at", "started_at", "finished_at",
    )  # fmt: skip
    readonly_fields = fields

    @admin.display(description=_("progress"))
    def progress(self, obj):
        return f"{obj.progress_done}/{obj.progress_total} ({obj.percent}%)"
