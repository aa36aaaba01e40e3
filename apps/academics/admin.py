"""Staff screens for the academic structure.

Every admin derives from `apps.core.admin.SchoolScopedAdmin` (rows, choices and the school
field follow the tenant rules). Saves and deletes go through `apps.academics.services`, so an
edit here obeys the same rules (overlaps, capacity, timetable clashes) and leaves the same
audit trail as one through the API; a refusal is shown as the page's error message.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from apps.core.admin import DATE_WIDGET, TIME_WIDGET, ServiceAdmin
from apps.core.exceptions import ApplicationError

from . import services
from .models import (
    AcademicYear,
    Enrollment,
    SchoolClass,
    Section,
    Subject,
    TeachingAssignment,
    Term,
    TimetableEntry,
)


# --- Years and terms ------------------------------------------------------------------------------
class AcademicYearForm(forms.ModelForm):
    class Meta:
        model = AcademicYear
        fields = ("school", "name", "start_date", "end_date", "is_current")
        widgets = {"start_date": DATE_WIDGET, "end_date": DATE_WIDGET}

    def _get_validation_exclusions(self):
        # The service moves "current" from the old year to this one; the form must not refuse it.
        exclude = super()._get_validation_exclusions()
        exclude.add("is_current")
        return exclude


@admin.register(AcademicYear)
class AcademicYearAdmin(ServiceAdmin):
    form = AcademicYearForm
    list_display = ("name", "start_date", "end_date", "is_current", "school")
    list_filter = ("is_current", "school")
    list_select_related = ("school",)
    search_fields = ("name",)
    ordering = ("-start_date",)
    date_hierarchy = "start_date"
    actions = ["make_current"]
    service_fields = ("name", "start_date", "end_date", "is_current")

    def create(self, request, school, data):
        return services.academic_year_create(school=school, actor=request.user, **data)

    def update(self, request, obj, data):
        make_current = data.pop("is_current", None)
        if data:
            obj = services.academic_year_update(year=obj, actor=request.user, data=data)
        if make_current:
            obj = services.academic_year_set_current(year=obj, actor=request.user)
        elif make_current is False:
            raise ApplicationError(
                _("Make another year current instead; a school keeps its current year.")
            )
        return obj

    def delete(self, request, obj):
        services.academic_year_delete(year=obj, actor=request.user)

    @admin.action(description=_("Make the selected year current"), permissions=["change"])
    def make_current(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one year."), messages.WARNING)
            return
        year = services.academic_year_set_current(year=queryset.get(), actor=request.user)
        self.message_user(request, _("%(name)s is now the current year.") % {"name": year.name})


@admin.register(Term)
class TermAdmin(ServiceAdmin):
    list_display = ("name", "year", "start_date", "end_date", "school")
    list_filter = ("year", "school")
    list_select_related = ("year", "school")
    search_fields = ("name", "year__name")
    ordering = ("-year__start_date", "start_date")
    fields = ("year", "name", "start_date", "end_date")
    service_fields = ("year", "name", "start_date", "end_date")

    def get_readonly_fields(self, request, obj=None):
        return ("year",) if obj is not None else ()

    def create(self, request, school, data):
        return services.term_create(actor=request.user, **data)

    def update(self, request, obj, data):
        data.pop("year", None)
        return services.term_update(term=obj, actor=request.user, data=data)

    def delete(self, request, obj):
        services.term_delete(term=obj, actor=request.user)


# --- Classes, sections, subjects ------------------------------------------------------------------
@admin.register(SchoolClass)
class SchoolClassAdmin(ServiceAdmin):
    list_display = ("name", "short_name", "order", "school")
    list_filter = ("school",)
    list_select_related = ("school",)
    search_fields = ("name", "short_name")
    ordering = ("order", "name")
    fields = ("school", "name", "short_name", "order")
    service_fields = ("name", "short_name", "order")

    def create(self, request, school, data):
        return services.school_class_create(school=school, actor=request.user, **data)

    def update(self, request, obj, data):
        return services.school_class_update(school_class=obj, actor=request.user, data=data)

    def delete(self, request, obj):
        services.school_class_delete(school_class=obj, actor=request.user)


@admin.register(Section)
class SectionAdmin(ServiceAdmin):
    list_display = (
        "display_name",
        "year",
        "class_teacher",
        "room",
        "capacity",
        "school",
    )
    list_filter = ("year", "school_class", "school")
    list_select_related = ("school_class", "year", "class_teacher__user", "school")
    search_fields = ("name", "school_class__name", "room", "class_teacher__user__full_name")
    ordering = ("-year__start_date", "school_class__order", "name")
    fields = ("school_class", "year", "name", "class_teacher", "room", "capacity")
    service_fields = ("school_class", "year", "name", "class_teacher", "room", "capacity")

    @admin.display(description=_("section"), ordering="school_class__order")
    def display_name(self, obj):
        return obj.display_name

    def get_readonly_fields(self, request, obj=None):
        return ("school_class", "year") if obj is not None else ()

    def create(self, request, school, data):
        return services.section_create(actor=request.user, **data)

    def update(self, request, obj, data):
        data = {k: v for k, v in data.items() if k not in ("school_class", "year")}
        return services.section_update(section=obj, actor=request.user, data=data)

    def delete(self, request, obj):
        services.section_delete(section=obj, actor=request.user)


@admin.register(Subject)
class SubjectAdmin(ServiceAdmin):
    list_display = ("name", "code", "school")
    list_filter = ("school",)
    list_select_related = ("school",)
    search_fields = ("name", "code")
    ordering = ("name",)
    fields = ("school", "name", "code")
    service_fields = ("name", "code")

    def create(self, request, school, data):
        return services.subject_create(school=school, actor=request.user, **data)

    def update(self, request, obj, data):
        return services.subject_update(subject=obj, actor=request.user, data=data)

    def delete(self, request, obj):
        services.subject_delete(subject=obj, actor=request.user)


# --- Teaching assignments and enrollments ---------------------------------------------------------
@admin.register(TeachingAssignment)
class TeachingAssignmentAdmin(ServiceAdmin):
    list_display = ("teacher", "subject", "section", "year", "school")
    list_filter = ("year", "subject", "school")
    list_select_related = ("teacher__user", "subject", "section__school_class", "year", "school")
    search_fields = ("teacher__user__full_name", "subject__name", "subject__code")
    ordering = ("-year__start_date", "section__school_class__order", "section__name")
    fields = ("teacher", "section", "subject")
    service_fields = ("teacher", "section", "subject")

    def get_readonly_fields(self, request, obj=None):
        return self.service_fields if obj is not None else ()  # end it and make a new one

    def create(self, request, school, data):
        return services.teaching_assignment_create(actor=request.user, **data)

    def update(self, request, obj, data):
        return obj

    def delete(self, request, obj):
        services.teaching_assignment_delete(assignment=obj, actor=request.user)


@admin.register(Enrollment)
class EnrollmentAdmin(ServiceAdmin):
    list_display = ("student", "section", "roll_number", "year", "school")
    list_filter = ("year", "section__school_class", "school")
    list_select_related = ("student__user", "section__school_class", "year", "school")
    search_fields = ("student__user__full_name", "student__admission_number")
    ordering = ("-year__start_date", "section__school_class__order", "section__name", "roll_number")
    fields = ("student", "section", "roll_number")
    autocomplete_fields = ("student",)
    service_fields = ("student", "section", "roll_number")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "roll_number" in form.base_fields:
            form.base_fields["roll_number"].required = False
            form.base_fields["roll_number"].help_text = _(
                "Leave empty for the next free number in the section."
            )
        return form

    def get_readonly_fields(self, request, obj=None):
        return ("student",) if obj is not None else ()

    def create(self, request, school, data):
        return services.enrollment_create(actor=request.user, **data)

    def update(self, request, obj, data):
        data.pop("student", None)
        return services.enrollment_update(enrollment=obj, actor=request.user, data=data)

    def delete(self, request, obj):
        services.enrollment_delete(enrollment=obj, actor=request.user)


# --- Timetable ------------------------------------------------------------------------------------
class TimetableEntryForm(forms.ModelForm):
    class Meta:
        model = TimetableEntry
        fields = (
            "section",
            "weekday",
            "period",
            "start_time",
            "end_time",
            "subject",
            "teacher",
            "room",
        )
        widgets = {"start_time": TIME_WIDGET, "end_time": TIME_WIDGET}


@admin.register(TimetableEntry)
class TimetableEntryAdmin(ServiceAdmin):
    form = TimetableEntryForm
    list_display = (
        "section",
        "weekday",
        "period",
        "start_time",
        "end_time",
        "subject",
        "teacher",
        "room",
    )
    list_filter = ("weekday", "section__year", "subject", "school")
    list_select_related = ("section__school_class", "subject", "teacher__user", "school")
    search_fields = ("subject__name", "teacher__user__full_name", "room")
    ordering = ("section__school_class__order", "section__name", "weekday", "start_time")
    service_fields = (
        "section",
        "weekday",
        "period",
        "start_time",
        "end_time",
        "subject",
        "teacher",
        "room",
    )

    def get_readonly_fields(self, request, obj=None):
        return ("section",) if obj is not None else ()

    def create(self, request, school, data):
        data["room"] = data.get("room") or None  # empty: the section's own room
        return services.timetable_entry_create(actor=request.user, **data)

    def update(self, request, obj, data):
        data.pop("section", None)
        return services.timetable_entry_update(entry=obj, actor=request.user, data=data)

    def delete(self, request, obj):
        services.timetable_entry_delete(entry=obj, actor=request.user)
