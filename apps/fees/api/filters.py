"""Query filters of the fee office API (related ids as plain UUID filters)."""

from __future__ import annotations

import django_filters

from apps.core.api.filters import DateTimeFilter

from ..models import Concession, FeeStructure, Invoice, InvoiceStatus, Payment, Refund


class FeeStructureFilter(django_filters.FilterSet):
    year = django_filters.UUIDFilter(field_name="year_id")
    school_class = django_filters.UUIDFilter(field_name="school_class_id")

    class Meta:
        model = FeeStructure
        fields = ["year", "school_class", "plan", "is_active"]


class ConcessionFilter(django_filters.FilterSet):
    student = django_filters.UUIDFilter(field_name="student_id")
    year = django_filters.UUIDFilter(field_name="year_id")

    class Meta:
        model = Concession
        fields = ["student", "year", "category", "kind", "is_active"]


class InvoiceFilter(django_filters.FilterSet):
    student = django_filters.UUIDFilter(field_name="student_id")
    school_class = django_filters.UUIDFilter(field_name="section__school_class_id")
    section = django_filters.UUIDFilter(field_name="section_id")
    status = django_filters.MultipleChoiceFilter(choices=InvoiceStatus.choices)
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")

    class Meta:
        model = Invoice
        fields = ["student", "school_class", "section", "status", "due_before", "due_after",
                  "kind"]  # fmt: skip


class PaymentFilter(django_filters.FilterSet):
    student = django_filters.UUIDFilter(field_name="student_id")
    received_after = DateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = DateTimeFilter(field_name="received_at", lookup_expr="lt")

    class Meta:
        model = Payment
        fields = ["student", "mode", "received_after", "received_before"]


class RefundFilter(django_filters.FilterSet):
    payment = django_filters.UUIDFilter(field_name="payment_id")

    class Meta:
        model = Refund
        fields = ["payment"]
