"""Staff screens for homework: homework per section with its counts (turned in, late,
missing), the submissions with links to their files, extensions (read-only: granted through
the API, audited), and grades, which only school admins (and platform superusers) see before
they are released.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Role
from apps.core.access import is_platform_superuser
from apps.core.admin import ReadOnlyAdminMixin, SchoolScopedAdmin, SchoolScopedInline

from . import selectors
from .models import Assignment, Attachment, Extension, Grade, Submission
from .services.assignments import counts_toward_problems


class AttachmentInline(ReadOnlyAdminMixin, SchoolScopedInline):
    model = Attachment
    fields = ("name", "content_type", "size")
    readonly_fields = fields


class AssignmentForm(forms.ModelForm):
    """Checks the gradebook component against the chosen sections and subject (the API's
    rules); the admin supplies the model and the fields."""

    def clean(self):
        data = super().clean()
        problems = counts_toward_problems(
            component=data.get("counts_toward"), subject=data.get("subject"),
            sections=list(data.get("sections") or []), max_marks=data.get("max_marks"),
        )  # fmt: skip
        for name, message in problems.items():
            self.add_error(name, message)
        return data


@admin.register(Assignment)
class AssignmentAdmin(SchoolScopedAdmin):
    form = AssignmentForm
    list_display = ("title", "subject", "section_names", "status", "due_at", "turned_in",
                    "late", "missing")  # fmt: skip
    list_filter = ("status", "subject", "sections", "late_policy", "school")
    list_select_related = ("subject",)
    search_fields = ("title",)
    date_hierarchy = "due_at"
    filter_horizontal = ("sections",)
    readonly_fields = ("created_by", "published_at")
    inlines = (AttachmentInline,)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "counts_toward" and field is not None:
            # only internal-assessment components count homework (named with plan and term)
            field.queryset = field.queryset.filter(part="internal").select_related(
                "plan_term__plan", "plan_term__term"
            )
            field.label_from_instance = lambda c: (
                f"{c.plan_term.plan.name} / {c.plan_term.term.name} / {c.name}"
            )
        return field

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(**selectors.submission_counts())
            .prefetch_related("sections__school_class")
        )

    @admin.display(description=_("sections"))
    def section_names(self, obj):
        return ", ".join(s.display_name for s in obj.sections.all())

    @admin.display(description=_("turned in"), ordering="turned_in_count")
    def turned_in(self, obj):
        return obj.turned_in_count

    @admin.display(description=_("late"), ordering="late_count")
    def late(self, obj):
        return obj.late_count

    @admin.display(description=_("missing"), ordering="missing_count")
    def missing(self, obj):
        return obj.missing_count


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    list_display = ("assignment", "student", "section", "status", "turned_in_at", "days_late",
                    "version")  # fmt: skip
    list_filter = ("status", "school")
    list_select_related = ("assignment", "student__user", "section__school_class")
    search_fields = ("assignment__title", "student__user__full_name", "student__admission_number")
    readonly_fields = ("assignment", "student", "section", "status", "text", "turned_in_at",
                       "days_late", "version", "file_links")  # fmt: skip
    fields = readonly_fields

    @admin.display(description=_("files"))
    def file_links(self, obj):
        rows = [(reverse("api:homework-file-detail", args=[f.pk]), f.name)
                for f in obj.files.filter(removed=False)]  # fmt: skip
        return format_html_join("", '<a href="{}">{}</a><br>', rows) or "-"


@admin.register(Extension)
class ExtensionAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    list_display = ("assignment", "student", "due_at", "cutoff_at", "reason", "granted_by")
    list_select_related = ("assignment", "student__user", "granted_by")
    search_fields = ("assignment__title", "student__user__full_name")


def _sees_draft_grades(user) -> bool:
    return is_platform_superuser(user) or user.role == Role.ADMIN


@admin.register(Grade)
class GradeAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    """Grades are written through the API (penalty, audit); staff other than school admins see
    only released ones."""

    list_display = ("assignment", "student", "marks", "penalty_percent", "final_marks",
                    "released_at")  # fmt: skip
    list_filter = ("school",)
    list_select_related = ("assignment", "student__user")
    search_fields = ("assignment__title", "student__user__full_name")

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if _sees_draft_grades(request.user) else qs.filter(released_at__isnull=False)
