"""Exams in the admin: settings, grade scales (bands inline), assessment plans (subjects and
terms inline, components per term), exams (lock/unlock), the marks of each paper (filter by
exam, section and subject), result runs (compute, publish), results per section with grade and
rank, and report cards per section with download links. Writes with rules go through
`apps.exams.services`; marks, results and cards are not edited here."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.core.admin import ReadOnlyAdminMixin, SchoolScopedAdmin, SchoolScopedInline
from apps.core.exceptions import ApplicationError

from . import services
from .models import (
    AssessmentPlan,
    Component,
    ComponentGroup,
    CoScholasticArea,
    Exam,
    ExamSettings,
    GradeBand,
    GradeScale,
    Mark,
    PlanSubject,
    PlanTerm,
    ReportCard,
    ReportCardBatch,
    ResultRun,
    StudentResult,
)


@admin.register(ExamSettings)
class ExamSettingsAdmin(SchoolScopedAdmin):
    list_display = ("rounding_places", "rounding_mode", "show_rank", "rank_tie_rule",
                    "min_attendance_percent", "card_language")  # fmt: skip


class GradeBandInline(SchoolScopedInline):
    model = GradeBand
    fields = ("min_percent", "letter", "descriptor", "grade_point", "is_pass")
    extra = 0


@admin.register(GradeScale)
class GradeScaleAdmin(SchoolScopedAdmin):
    list_display = ("name", "code", "version", "kind", "frozen_at")
    list_filter = ("kind",)
    search_fields = ("name", "code")
    readonly_fields = ("frozen_at",)
    inlines = [GradeBandInline]
    actions = ["new_version"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_frozen:
            return False  # a frozen scale changes only by a new version
        return super().has_change_permission(request, obj)

    @admin.action(description=_("Make a new version"))
    def new_version(self, request, queryset):
        for scale in queryset:
            services.scale_new_version(scale=scale, actor=request.user)
        messages.success(request, _("New versions made."))


class PlanSubjectInline(SchoolScopedInline):
    model = PlanSubject
    fields = ("subject", "is_main", "order")
    extra = 0


class PlanTermInline(SchoolScopedInline):
    model = PlanTerm
    fields = ("term", "weight", "order", "is_final")
    extra = 0
    show_change_link = True


@admin.register(AssessmentPlan)
class AssessmentPlanAdmin(SchoolScopedAdmin):
    list_display = ("name", "school_class", "year", "scale", "pass_percent")
    list_filter = ("year", "school_class")
    list_select_related = ("school_class", "year", "scale")
    inlines = [PlanSubjectInline, PlanTermInline]


class ComponentInline(SchoolScopedInline):
    model = Component
    fields = ("name", "kind", "part", "max_marks", "weight", "group", "order")
    extra = 0


class ComponentGroupInline(SchoolScopedInline):
    model = ComponentGroup
    fields = ("name", "best_n", "weight")
    extra = 0


@admin.register(PlanTerm)
class PlanTermAdmin(SchoolScopedAdmin):
    list_display = ("__str__", "weight", "is_final")
    list_select_related = ("plan", "term")
    inlines = [ComponentGroupInline, ComponentInline]


@admin.register(Exam)
class ExamAdmin(SchoolScopedAdmin):
    list_display = ("name", "plan_term", "entry_opens", "entry_closes", "locked_at")
    list_select_related = ("plan_term__plan", "plan_term__term")
    filter_horizontal = ("schedule_entries",)
    readonly_fields = ("locked_at", "locked_by")
    actions = ["lock", "unlock"]

    @admin.action(description=_("Lock marks entry"))
    def lock(self, request, queryset):
        for exam in queryset:
            services.exam_lock(exam=exam, actor=request.user)

    @admin.action(description=_("Unlock marks entry"))
    def unlock(self, request, queryset):
        for exam in queryset:
            services.exam_lock(exam=exam, actor=request.user, locked=False)


@admin.register(Mark)
class MarkAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    """The marks of a paper: filter by exam, section and subject."""

    list_display = ("student", "exam", "section", "subject", "marks", "max_marks", "status",
                    "remarks")  # fmt: skip
    list_filter = ("exam", "section", "subject", "status")
    list_select_related = ("student__user", "exam", "section__school_class", "subject")
    search_fields = ("student__user__full_name", "student__admission_number")


@admin.register(CoScholasticArea)
class CoScholasticAreaAdmin(SchoolScopedAdmin):
    list_display = ("name", "scale", "order")


@admin.register(ResultRun)
class ResultRunAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    list_display = ("plan_term", "school_class", "status", "computed_at", "published_at",
                    "visible_from", "job")  # fmt: skip
    list_filter = ("status",)
    list_select_related = ("plan_term__plan", "plan_term__term", "school_class", "job")
    actions = ["compute", "publish"]

    @admin.action(description=_("Compute results (background job)"))
    def compute(self, request, queryset):
        for run in queryset:
            try:
                services.results_compute_start(school=run.school, actor=request.user,
                                               school_class=run.school_class,
                                               plan_term=run.plan_term)  # fmt: skip
            except ApplicationError as exc:
                messages.error(request, exc.message)

    @admin.action(description=_("Publish now"))
    def publish(self, request, queryset):
        for run in queryset:
            try:
                services.results_publish(run=run, actor=request.user)
            except ApplicationError as exc:
                messages.error(request, exc.message)


@admin.register(StudentResult)
class StudentResultAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    list_display = ("student", "section", "percent", "grade", "cgpa", "section_rank",
                    "class_rank", "passed", "promotion", "attendance_percent")  # fmt: skip
    list_filter = ("run", "section", "passed", "promotion")
    list_select_related = ("student__user", "section__school_class")
    search_fields = ("student__user__full_name", "student__admission_number")


@admin.register(ReportCard)
class ReportCardAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    list_display = ("student", "section", "plan_term", "version", "language", "download",
                    "created_at")  # fmt: skip
    list_filter = ("section", "plan_term")
    list_select_related = ("student__user", "section__school_class", "plan_term__term",
                           "plan_term__plan")  # fmt: skip
    search_fields = ("student__user__full_name", "student__admission_number")

    @admin.display(description=_("PDF"))
    def download(self, obj):
        return format_html('<a href="{}">{}</a>', obj.file.url, _("Download")) if obj.file else ""


@admin.register(ReportCardBatch)
class ReportCardBatchAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    list_display = ("section", "plan_term", "version", "cards", "download", "job", "created_at")
    list_filter = ("section",)
    list_select_related = ("section__school_class", "plan_term__term", "plan_term__plan", "job")

    @admin.display(description=_("PDF"))
    def download(self, obj):
        return format_html('<a href="{}">{}</a>', obj.file.url, _("Download")) if obj.file else ""
