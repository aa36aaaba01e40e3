"""The API's filter backend builds no FilterSet for a request that names no filter, and
filters exactly as django-filter does otherwise."""

from __future__ import annotations

import django_filters
import pytest
from django_filters.rest_framework import DjangoFilterBackend

from apps.accounts.api.filters import StudentFilter, UserFilter
from apps.core.api import filters as backend


@pytest.fixture
def built(monkeypatch):
    made = []
    real = DjangoFilterBackend.get_filterset

    def counting(self, request, queryset, view):
        made.append(view.__class__.__name__)
        return real(self, request, queryset, view)

    monkeypatch.setattr(DjangoFilterBackend, "get_filterset", counting)
    return made


def test_no_filter_named_no_filterset_built(cast, api, built):
    client = api(cast.admin)
    plain = client.get("/api/v1/students/?page_size=50&ordering=admission_number").json()
    assert built == [] and plain["count"] == 3
    searched = client.get("/api/v1/students/?search=oscar").json()
    assert built == [] and [r["full_name"] for r in searched["results"]] == ["Oscar Other"]


def test_a_named_filter_filters_and_a_bad_value_is_a_400(cast, api, built):
    client = api(cast.admin)
    assert client.get("/api/v1/users/?role=parent").json()["count"] == 1
    assert client.get("/api/v1/students/?admitted_after=2000-01-01").status_code == 200
    assert built == ["UserViewSet", "StudentViewSet"]
    response = client.get("/api/v1/students/?admitted_after=not-a-date")
    assert response.status_code == 400


def test_which_parameters_belong_to_a_filterset():
    assert backend._names_asked(UserFilter, {"role__in": "a"}) is True  # a lookup's own name
    assert backend._names_asked(UserFilter, {"role": "admin"}) is True
    assert backend._names_asked(StudentFilter, {"search": "x", "page": "2"}) is False

    class Ranged(django_filters.FilterSet):
        age = django_filters.RangeFilter()

    assert backend._names_asked(Ranged, {"age_min": "3"}) is True
    assert backend._always_runs(Ranged) is False

    class Required(django_filters.FilterSet):
        code = django_filters.CharFilter(required=True)

    assert backend._always_runs(Required) is True
