"""Staff screens for attendance: the marks (read-only: marks are written through the API's
service and the write-behind buffer, which carry the rules, notifications and audit trail) and
a section's monthly register as a table, and today's attendance of every section of the school
with a link to each register.

Rows follow the tenant rules of `apps.core.admin.SchoolScopedAdmin`; the changelist shows what
Postgres holds (marks still in the write buffer appear after the next flush), the register
includes pending marks.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from apps.academics.models import Section
from apps.core.access import is_platform_superuser
from apps.core.admin import SchoolScopedAdmin, school_choices

from . import selectors
from .models import AttendanceRecord


@admin.register(AttendanceRecord)
class AttendanceRecordAdmin(SchoolScopedAdmin):
    list_display = (
        "date",
        "section",
        "student",
        "period_label",
        "status",
        "late_minutes",
        "reason",
        "marked_by",
        "updated_at",
    )
    list_filter = ("status", "date", "section", "school")
    list_select_related = (
        "section__school_class",
        "student__user",
        "period__subject",
        "marked_by",
    )
    search_fields = ("student__user__full_name", "student__admission_number", "remarks")
    date_hierarchy = "date"
    ordering = ("-date", "section", "student")
    readonly_fields = [f.name for f in AttendanceRecord._meta.fields]
    change_list_template = "admin/attendance/attendancerecord/change_list.html"
    sidebar_links = (
        (_("Today's attendance"), "admin:attendance_attendancerecord_today", "today"),
        (_("Monthly register"), "admin:attendance_attendancerecord_register", "calendar_month"),
    )

    @admin.display(description=_("period"))
    def period_label(self, obj):
        if obj.period_id is None:
            return _("day")
        return f"P{obj.period.period} {obj.period.subject.name}"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "register/",
                self.admin_site.admin_view(self.register_view),
                name="attendance_attendancerecord_register",
            ),
            path(
                "today/",
                self.admin_site.admin_view(self.today_view),
                name="attendance_attendancerecord_today",
            ),
            *super().get_urls(),
        ]

    def today_view(self, request):
        """Each section of the school today: marked or not, counts by status (pending marks
        included) and a link to its register. Platform users pick the school."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        school, schools = _school_of_request(request)
        date = selectors.school_today(school) if school is not None else None
        rows = selectors.school_day_by_section(school, date) if school is not None else []
        register = reverse("admin:attendance_attendancerecord_register")
        for row in rows:
            row["register_url"] = (
                f"{register}?section={row['section'].pk}&month={date.strftime('%Y-%m')}"
            )
        taken = [r for r in rows if r["marked"] and not r["holiday"]]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Today's attendance"),
            "school": school,
            "schools": schools,
            "date": date,
            "rows": rows,
            "sections_marked": len(taken),
            "sections_not_marked": len(
                [r for r in rows if not r["marked"] and r["enrolled"] and not r["holiday"]]
            ),
            "changelist_url": reverse("admin:attendance_attendancerecord_changelist"),
        }
        return TemplateResponse(request, "admin/attendance/today.html", context)

    def register_view(self, request):
        """A section's monthly register (pending marks included), as a table."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = RegisterForm(request.GET or None, user=request.user)
        register = None
        if form.is_valid():
            month = form.cleaned_data["month"]
            register = selectors.monthly_register(
                form.cleaned_data["section"], month.year, month.month
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Monthly attendance register"),
            "form": form,
            "register": register,
            "changelist_url": reverse("admin:attendance_attendancerecord_changelist"),
        }
        return TemplateResponse(request, "admin/attendance/register.html", context)


def _school_of_request(request):
    """(school, schools to choose from): a school user's own school; a platform user's choice
    (`?school=<id>`) among every school."""
    from apps.accounts.models import School

    if not is_platform_superuser(request.user):
        return request.user.school, []
    schools = list(School.objects.order_by("name"))
    chosen = request.GET.get("school")
    return next((s for s in schools if str(s.pk) == chosen), None), schools


class RegisterForm(forms.Form):
    section = forms.ModelChoiceField(queryset=Section.objects.none(), label=_("section"))
    month = forms.DateField(
        label=_("month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        initial=lambda: dt.date.today().strftime("%Y-%m"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = school_choices(
            Section, user, Section.objects.select_related("school_class", "year")
        ).order_by("-year__start_date", "school_class__order", "name")
