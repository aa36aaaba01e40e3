"""Staff screens for the school calendar.

Every admin derives from `apps.core.admin.SchoolScopedAdmin` (through the academics
`ServiceAdmin`): rows, choices and the school field follow the tenant rules, and saves and
deletes go through `apps.calendar.services`, so an edit here obeys the same rules (audience,
exam clashes) and leaves the same audit trail as one through the API.

Feed tokens are made by their owners through the API (the secret is shown to them only); here a
school admin sees whose phones hold a calendar link and can revoke one, e.g. for a lost phone.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from apps.core.admin import DATE_WIDGET, TIME_WIDGET, SchoolScopedAdmin, ServiceAdmin

from . import services
from .models import CalendarEvent, CalendarFeedToken, ExamScheduleEntry


class CalendarEventForm(forms.ModelForm):
    class Meta:
        model = CalendarEvent
        fields = (
            "school",
            "title",
            "description",
            "kind",
            "start_date",
            "end_date",
            "all_day",
            "start_time",
            "end_time",
            "audience",
            "school_class",
            "section",
            "academic_year",
        )
        widgets = {
            "start_date": DATE_WIDGET,
            "end_date": DATE_WIDGET,
            "start_time": TIME_WIDGET,
            "end_time": TIME_WIDGET,
        }


@admin.register(CalendarEvent)
class CalendarEventAdmin(ServiceAdmin):
    form = CalendarEventForm
    list_display = ("title", "kind", "start_date", "end_date", "audience_label", "school")
    list_filter = (
        "kind",
        "audience",
        "all_day",
        "academic_year",
        "school_class",
        "school",
    )
    list_select_related = ("school_class", "section__school_class", "school")
    search_fields = ("title", "description")
    ordering = ("-start_date", "title")
    date_hierarchy = "start_date"
    service_fields = CalendarEventForm.Meta.fields[1:]

    @admin.display(description=_("audience"), ordering="audience")
    def audience_label(self, obj):
        return obj.audience_name

    def create(self, request, school, data):
        return services.calendar_event_create(school=school, actor=request.user, **data)

    def update(self, request, obj, data):
        return services.calendar_event_update(event=obj, actor=request.user, data=data)

    def delete(self, request, obj):
        services.calendar_event_delete(event=obj, actor=request.user)


class ExamScheduleEntryForm(forms.ModelForm):
    class Meta:
        model = ExamScheduleEntry
        fields = (
            "school",
            "exam_name",
            "section",
            "school_class",
            "subject",
            "date",
            "start_time",
            "end_time",
            "room",
            "max_marks",
        )
        widgets = {"date": DATE_WIDGET, "start_time": TIME_WIDGET, "end_time": TIME_WIDGET}


@admin.register(ExamScheduleEntry)
class ExamScheduleEntryAdmin(ServiceAdmin):
    form = ExamScheduleEntryForm
    list_display = (
        "exam_name",
        "subject",
        "audience_label",
        "date",
        "start_time",
        "end_time",
        "room",
        "school",
    )
    # Direct relations only: SchoolScopedAdmin cuts their choices to the school (a filter
    # across a relation, e.g. section__school_class, would list every school's classes). No
    # section filter: a section's name needs its class, one query per choice.
    list_filter = ("exam_name", "subject", "school_class", "school")
    list_select_related = ("subject", "school_class", "section__school_class", "school")
    search_fields = ("exam_name", "subject__name", "room")
    ordering = ("-date", "start_time")
    date_hierarchy = "date"
    service_fields = ExamScheduleEntryForm.Meta.fields[1:]

    @admin.display(description=_("class or section"))
    def audience_label(self, obj):
        return obj.audience_name

    def create(self, request, school, data):
        data["room"] = data.get("room") or None  # empty: the section's own room
        return services.exam_entry_create(school=school, actor=request.user, **data)

    def update(self, request, obj, data):
        return services.exam_entry_update(entry=obj, actor=request.user, data=data)

    def delete(self, request, obj):
        services.exam_entry_delete(entry=obj, actor=request.user)


class RevokedFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return (("active", _("Active")), ("revoked", _("Revoked")))

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(CalendarFeedToken)
class CalendarFeedTokenAdmin(SchoolScopedAdmin):
    list_display = ("user", "label", "hint", "created_at", "last_used_at", "revoked_at", "school")
    list_filter = (RevokedFilter, "user__role", "school")
    list_select_related = ("user", "school")
    search_fields = ("user__full_name", "user__email", "label", "hint")
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    fields = ("user", "label", "hint", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # the owner makes a token through the API and alone sees its secret

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.feed_token_delete(token=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.feed_token_delete(token=obj, actor=request.user)

    @admin.action(description=_("Revoke the selected calendar links"), permissions=["delete"])
    def revoke(self, request, queryset):
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            services.feed_token_revoke(token=token, actor=request.user)
            count += 1
        self.message_user(
            request, _("%(count)d calendar link(s) revoked.") % {"count": count}, messages.SUCCESS
        )
