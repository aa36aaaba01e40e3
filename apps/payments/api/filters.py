"""Query filters of the online payments API (related ids as plain UUID filters)."""

from __future__ import annotations

import django_filters

from ..models import PaymentOrder


class PaymentOrderFilter(django_filters.FilterSet):
    student = django_filters.UUIDFilter(field_name="student_id")

    class Meta:
        model = PaymentOrder
        fields = ["student", "status", "gateway"]
