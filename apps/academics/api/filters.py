"""Query filters. Related ids are plain UUID filters, not choice fields: a choice field would
answer 400 for an id of another school and so tell the caller that the id exists."""

from __future__ import annotations

import django_filters

from .. import selectors
from ..models import (
    AcademicYear,
    Enrollment,
    Section,
    TeachingAssignment,
    Term,
    TimetableEntry,
    Weekday,
)


class AcademicYearFilter(django_filters.FilterSet):
    class Meta:
        model = AcademicYear
        fields = ["is_current"]


class TermFilter(django_filters.FilterSet):
    year = django_filters.UUIDFilter(field_name="year_id")
    current = django_filters.BooleanFilter(
        field_name="year__is_current", label="In the current year"
    )

    class Meta:
        model = Term
        fields = ["year", "current"]


class SectionFilter(django_filters.FilterSet):
    year = django_filters.UUIDFilter(field_name="year_id")
    school_class = django_filters.UUIDFilter(field_name="school_class_id")
    class_teacher = django_filters.UUIDFilter(field_name="class_teacher_id")
    current = django_filters.BooleanFilter(
        field_name="year__is_current", label="In the current year"
    )

    class Meta:
        model = Section
        fields = ["year", "school_class", "class_teacher", "current"]


class TeachingAssignmentFilter(django_filters.FilterSet):
    teacher = django_filters.UUIDFilter(field_name="teacher_id")
    section = django_filters.UUIDFilter(field_name="section_id")
    subject = django_filters.UUIDFilter(field_name="subject_id")
    year = django_filters.UUIDFilter(field_name="year_id")
    current = django_filters.BooleanFilter(
        field_name="year__is_current", label="In the current year"
    )

    class Meta:
        model = TeachingAssignment
        fields = ["teacher", "section", "subject", "year", "current"]


class EnrollmentFilter(django_filters.FilterSet):
    student = django_filters.UUIDFilter(field_name="student_id")
    section = django_filters.UUIDFilter(field_name="section_id")
    school_class = django_filters.UUIDFilter(field_name="section__school_class_id")
    year = django_filters.UUIDFilter(field_name="year_id")
    current = django_filters.BooleanFilter(
        field_name="year__is_current", label="In the current year"
    )

    class Meta:
        model = Enrollment
        fields = ["student", "section", "school_class", "year", "current"]


class TimetableEntryFilter(django_filters.FilterSet):
    section = django_filters.UUIDFilter(field_name="section_id")
    teacher = django_filters.UUIDFilter(field_name="teacher_id")
    subject = django_filters.UUIDFilter(field_name="subject_id")
    year = django_filters.UUIDFilter(field_name="section__year_id")
    weekday = django_filters.ChoiceFilter(choices=Weekday.choices)
    room = django_filters.CharFilter(field_name="room", lookup_expr="iexact")
    current = django_filters.BooleanFilter(
        field_name="section__year__is_current", label="In the current year"
    )
    mine = django_filters.BooleanFilter(
        method="filter_mine",
        label="Only my own week in the current year: a teacher's periods, a student's section's, "
        "a parent's children's sections'.",
    )

    class Meta:
        model = TimetableEntry
        fields = ["section", "teacher", "subject", "year", "weekday", "room", "current", "mine"]

    def filter_mine(self, queryset, name, value):
        if not value:
            return queryset
        return selectors.my_timetable(queryset, self.request.user)
