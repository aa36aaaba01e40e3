"""The rollups in the admin, read-only (they are rebuilt by the nightly job and `manage.py
rollup`, never edited), and the Reports page: pick a report, its filters and a format, and
download the file (a big export becomes a background job with a link when it is ready).

Rows follow the tenant rules of `apps.core.admin.SchoolScopedAdmin`; which reports a user may
pick is `apps.analytics.scopes.may_read_report`, as in the API.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from apps.academics.models import AcademicYear, SchoolClass, Section, Term
from apps.core.admin import DATE_WIDGET, ReadOnlyAdminMixin, SchoolScopedAdmin, school_choices

from . import selectors
from .models import (
    AssessmentSummary,
    AttendanceDaily,
    DeliveryDaily,
    FeeCollectionDaily,
    StudentAttendanceMonth,
)
from .scopes import readable_reports


class RollupAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    pass


@admin.register(AttendanceDaily)
class AttendanceDailyAdmin(RollupAdmin):
    list_display = ("date", "section", "enrolled", "present", "absent", "late", "excused",
                    "marked")  # fmt: skip
    list_filter = ("date", "school")
    list_select_related = ("section__school_class",)
    date_hierarchy = "date"
    change_list_template = "admin/analytics/attendancedaily/change_list.html"
    sidebar_links = ((_("Reports"), "admin:analytics_reports", "download"),)

    def get_urls(self):
        return [
            path(
                "reports/", self.admin_site.admin_view(self.reports_view), name="analytics_reports"
            ),  # fmt: skip
            *super().get_urls(),
        ]

    def reports_view(self, request):
        """The Reports page: the form, then the file (or the job started for a big one)."""
        names = readable_reports(request.user, list(selectors.REPORTS))
        if not names:
            raise PermissionDenied
        form = ReportForm(request.GET or None, user=request.user, names=names)
        if form.is_bound and form.is_valid():
            answer = self._export(request, form)
            if answer is not None:
                return answer
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Reports"),
            "form": form,
        }
        return TemplateResponse(request, "admin/analytics/reports.html", context)

    def _export(self, request, form):
        from .api.serializers import ReportFilterSerializer
        from .services import exports

        data = form.cleaned_data
        report = selectors.REPORTS[data["report"]]
        query = {key: str(getattr(data[key], "pk", data[key])) for key in
                 ("year", "term", "class", "section", "from", "to") if data.get(key)}  # fmt: skip
        user = request.user
        serializer = ReportFilterSerializer(
            data=query, report=report,
            context={"user": user, "school": user.school,
                     "today": selectors.default_today(user.school)},
        )  # fmt: skip
        if not serializer.is_valid():
            for field, problems in serializer.errors.items():
                form.add_error(field if field in form.fields else None, problems)
            return None
        f = serializer.filters(user, user.school)
        table = selectors.build(report.name, f)
        fmt = data["export"]
        if len(table.rows) > settings.ANALYTICS_EXPORT_ASYNC_ROWS:
            job = exports.export_job_create(user=user, report=report.name, fmt=fmt, params=query)
            messages.success(request, _("The export runs in the background (job %(job)s); you "
                                        "will be notified with the download link.") %
                             {"job": job.pk})  # fmt: skip
            return None
        response = HttpResponse(exports.render(table, fmt, school=user.school, f=f),
                                content_type=exports.CONTENT_TYPES[fmt])  # fmt: skip
        response["Content-Disposition"] = (
            f'attachment; filename="{exports.file_name(report.name, fmt, f)}"'
        )
        return response


class ReportForm(forms.Form):
    report = forms.ChoiceField(label=_("report"))
    year = forms.ModelChoiceField(AcademicYear.objects.none(), required=False, label=_("year"))
    term = forms.ModelChoiceField(Term.objects.none(), required=False, label=_("term"))
    section = forms.ModelChoiceField(Section.objects.none(), required=False, label=_("section"))
    start = forms.DateField(required=False, label=_("from"), widget=DATE_WIDGET)
    end = forms.DateField(required=False, label=_("to"), widget=DATE_WIDGET)
    export = forms.ChoiceField(
        choices=[("csv", "CSV"), ("xlsx", "Excel (XLSX)"), ("pdf", "PDF")], label=_("format")
    )

    def __init__(self, *args, user, names, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["report"].choices = [(n, selectors.REPORTS[n].label) for n in names]
        self.fields["year"].queryset = school_choices(AcademicYear, user)
        self.fields["term"].queryset = school_choices(Term, user).select_related("year")
        self.fields["class"] = forms.ModelChoiceField(
            school_choices(SchoolClass, user), required=False, label=_("class")
        )
        self.fields["section"].queryset = school_choices(
            Section, user, Section.objects.select_related("school_class", "year")
        ).order_by("-year__start_date", "school_class__order", "name")
        self.order_fields(["report", "year", "term", "class", "section", "start", "end", "export"])

    def clean(self):
        data = super().clean()
        data["from"], data["to"] = data.get("start"), data.get("end")
        return data


@admin.register(StudentAttendanceMonth)
class StudentAttendanceMonthAdmin(RollupAdmin):
    list_display = ("month", "student", "section", "codes")
    list_filter = ("month", "school")
    list_select_related = ("student__user", "section__school_class")
    search_fields = ("student__user__full_name",)


@admin.register(FeeCollectionDaily)
class FeeCollectionDailyAdmin(RollupAdmin):
    list_display = ("date", "head", "amount", "receipts")
    list_filter = ("date", "school")
    list_select_related = ("head",)
    date_hierarchy = "date"


@admin.register(AssessmentSummary)
class AssessmentSummaryAdmin(RollupAdmin):
    list_display = ("exam", "section", "subject", "term", "count", "absent", "mean_percent",
                    "min_percent", "max_percent", "deciles")  # fmt: skip
    list_filter = ("term", "school")
    list_select_related = ("exam", "section__school_class", "subject", "term")


@admin.register(DeliveryDaily)
class DeliveryDailyAdmin(RollupAdmin):
    """The daily rollup of notification deliveries per channel: sent, delivered, failed and
    suppressed."""

    list_display = ("date", "channel", "total", "sent", "delivered", "failed", "suppressed")
    list_filter = ("channel", "date", "school")
    date_hierarchy = "date"
