"""The API's django-filter backend, which skips building a FilterSet that has nothing to do.

DjangoFilterBackend builds a FilterSet, a form class and a bound form, and validates it, on
every list request, even when the request names no filter at all (the common case: a page of
students, a student's quizzes): about as much work as the rest of the list's Python. When no
query parameter belongs to a filter (a filter's name, or its name with a suffix such as
`_min` or `_after` for range widgets), and no filter is required, the FilterSet could only
return the queryset unchanged, so it is not built.
"""

from __future__ import annotations

from django_filters import FilterSet
from django_filters.rest_framework import DjangoFilterBackend


def _names_asked(filterset_class: type[FilterSet], params) -> bool:
    names = tuple(filterset_class.base_filters)
    prefixes = tuple(f"{name}_" for name in names)
    return any(key in names or key.startswith(prefixes) for key in params)


def _always_runs(filterset_class: type[FilterSet]) -> bool:
    return filterset_class.filter_queryset is not FilterSet.filter_queryset or any(
        f.extra.get("required") for f in filterset_class.base_filters.values()
    )


class FilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        if not _always_runs(filterset_class) and not _names_asked(
            filterset_class, request.query_params
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)
