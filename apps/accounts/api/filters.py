"""Query filters. Related ids are plain UUID filters, not choice fields: a choice field would
answer 400 for an id of another school and so tell the caller that the id exists."""

from __future__ import annotations

import django_filters

from apps.core.models import AuditLog

from ..models import Guardian, StudentProfile, User


class UserFilter(django_filters.FilterSet):
    class Meta:
        model = User
        fields = {"role": ["exact", "in"], "is_active": ["exact"], "email_verified": ["exact"]}


class StudentFilter(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter(field_name="user__is_active")
    section = django_filters.UUIDFilter(
        method="filter_section", label="Students enrolled in this section."
    )
    school_class = django_filters.UUIDFilter(
        method="filter_school_class", label="Students in this class in the current academic year."
    )
    admitted_after = django_filters.DateFilter(field_name="admission_date", lookup_expr="gte")
    admitted_before = django_filters.DateFilter(field_name="admission_date", lookup_expr="lte")

    class Meta:
        model = StudentProfile
        fields = ["gender", "blood_group", "admission_number"]

    def filter_section(self, queryset, name, value):
        return queryset.filter(enrollments__section_id=value)

    def filter_school_class(self, queryset, name, value):
        # One join: the enrollment of the current year, in a section of that class.
        return queryset.filter(
            enrollments__year__is_current=True, enrollments__section__school_class_id=value
        )


class GuardianFilter(django_filters.FilterSet):
    student = django_filters.UUIDFilter(field_name="student_id")
    parent = django_filters.UUIDFilter(field_name="parent_id")

    class Meta:
        model = Guardian
        fields = ["student", "parent", "relation", "is_primary"]


class AuditLogFilter(django_filters.FilterSet):
    actor = django_filters.UUIDFilter(field_name="actor_id")

    class Meta:
        model = AuditLog
        fields = ["object_type", "object_id", "action", "actor"]
