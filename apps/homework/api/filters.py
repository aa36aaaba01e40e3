"""Query filters of the homework API."""

from __future__ import annotations

import django_filters

from apps.core.api.filters import DateTimeFilter

from ..models import Assignment, AssignmentStatus


class AssignmentFilter(django_filters.FilterSet):
    section = django_filters.UUIDFilter(field_name="sections", distinct=False)
    subject = django_filters.UUIDFilter(field_name="subject_id")
    status = django_filters.ChoiceFilter(choices=AssignmentStatus.choices)
    due_after = DateTimeFilter(field_name="due_at", lookup_expr="gte")
    due_before = DateTimeFilter(field_name="due_at", lookup_expr="lte")

    class Meta:
        model = Assignment
        fields = ["section", "subject", "status", "due_after", "due_before"]
