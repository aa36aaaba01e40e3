"""Query filters. Related ids are plain UUID filters, not choice fields: a choice field would
answer 400 for an id of another school and so tell the caller that the id exists."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from .. import selectors
from ..models import Audience, CalendarEvent, EventKind, ExamScheduleEntry


class CalendarEventFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=EventKind.choices)
    audience = django_filters.ChoiceFilter(choices=Audience.choices)
    section = django_filters.UUIDFilter(
        method="filter_section",
        label="Events that apply to this section: the whole school's, its class's and its own.",
    )
    school_class = django_filters.UUIDFilter(
        method="filter_school_class",
        label="Events for this class or for one of its sections.",
    )
    academic_year = django_filters.UUIDFilter(field_name="academic_year_id")
    mine = django_filters.BooleanFilter(
        method="filter_mine",
        label="Only events that concern me: the whole school's and those of the sections I "
        "teach, study in or my children study in (current year).",
    )

    class Meta:
        model = CalendarEvent
        fields = [
            "kind", "audience", "section", "school_class", "academic_year", "mine",
        ]  # fmt: skip

    def filter_section(self, queryset, name, value):
        return selectors.events_for_section(queryset, value)

    def filter_school_class(self, queryset, name, value):
        return queryset.filter(Q(school_class_id=value) | Q(section__school_class_id=value))

    def filter_mine(self, queryset, name, value):
        return selectors.concerning(queryset, self.request.user) if value else queryset


class ExamScheduleEntryFilter(django_filters.FilterSet):
    exam_name = django_filters.CharFilter(field_name="exam_name", lookup_expr="icontains")
    subject = django_filters.UUIDFilter(field_name="subject_id")
    section = django_filters.UUIDFilter(
        method="filter_section", label="Papers sat by this section (its own and its class's)."
    )
    school_class = django_filters.UUIDFilter(
        method="filter_school_class",
        label="Papers for this class or for one of its sections.",
    )
    mine = django_filters.BooleanFilter(
        method="filter_mine",
        label="Only papers of the sections I teach, study in or my children study in.",
    )

    class Meta:
        model = ExamScheduleEntry
        fields = [
            "exam_name", "subject", "section", "school_class", "mine",
        ]  # fmt: skip

    def filter_section(self, queryset, name, value):
        return selectors.exams_for_section(queryset, value)

    def filter_school_class(self, queryset, name, value):
        return queryset.filter(Q(school_class_id=value) | Q(section__school_class_id=value))

    def filter_mine(self, queryset, name, value):
        return selectors.exams_concerning(queryset, self.request.user) if value else queryset


# `from` and `to` are Python keywords, so they cannot be declared in the class body.
def _date_range(filterset, *, first: str, last: str) -> None:
    filterset.base_filters["from"] = django_filters.DateFilter(
        field_name=last, lookup_expr="gte", label="On or after this date (YYYY-MM-DD)."
    )
    filterset.base_filters["to"] = django_filters.DateFilter(
        field_name=first, lookup_expr="lte", label="On or before this date (YYYY-MM-DD)."
    )


# An event is in the range when one of its days is: it ends on/after `from`, starts by `to`.
_date_range(CalendarEventFilter, first="start_date", last="end_date")
_date_range(ExamScheduleEntryFilter, first="date", last="date")
