"""The API's django-filter backend, which skips building a FilterSet that has nothing to do.

DjangoFilterBackend builds a FilterSet, a form class and a bound form, and validates it, on
every list request, even when the request names no filter at all (the common case: a page of
students, a student's quizzes): about as much work as the rest of the list's Python. When no
query parameter belongs to a filter (a filter's name, or its name with a suffix such as
`_min` or `_after` for range widgets), and no filter is required, the FilterSet could only
return the queryset unchanged, so it is not built.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django_filters import FilterSet
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.rest_framework import FilterSet as RestFilterSet


class UTCDateTimeField(forms.DateTimeField):
    """A date-time query value, in UTC. ISO 8601 allows offsets PostgreSQL refuses (beyond
    +/-15:59) and dates whose UTC moment falls outside the calendar; both are a 400 here,
    never a database error."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class DateTimeFilter(django_filters.DateTimeFilter):
    """`django_filters.DateTimeFilter` whose value reaches the database in UTC."""

    field_class = UTCDateTimeField


def _names_asked(filterset_class: type[FilterSet], params) -> bool:
    names = tuple(filterset_class.base_filters)
    prefixes = tuple(f"{name}_" for name in names)
    return any(key in names or key.startswith(prefixes) for key in params)


def _always_runs(filterset_class: type[FilterSet]) -> bool:
    return filterset_class.filter_queryset is not FilterSet.filter_queryset or any(
        f.extra.get("required") for f in filterset_class.base_filters.values()
    )


class SchoolFilterSet(RestFilterSet):
    """The FilterSet a view's `filterset_fields` generate: a related object is filtered by a
    plain UUID, so another school's id answers as a random one does (an empty list), never
    400 "select a valid choice" (which would tell that the id exists elsewhere)."""

    FILTER_DEFAULTS = {
        **RestFilterSet.FILTER_DEFAULTS,
        models.ForeignKey: {"filter_class": django_filters.UUIDFilter},
        models.OneToOneField: {"filter_class": django_filters.UUIDFilter},
        models.ManyToManyField: {"filter_class": django_filters.UUIDFilter},
    }


class FilterBackend(DjangoFilterBackend):
    filterset_base = SchoolFilterSet

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        if not _always_runs(filterset_class) and not _names_asked(
            filterset_class, request.query_params
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)
