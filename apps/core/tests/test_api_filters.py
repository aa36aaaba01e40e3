"""Filters over related objects never tell whether an id exists in another school: every API
filter on a foreign key is a plain UUID filter, so another school's id answers exactly as a
random one does (an empty list), never 400 "select a valid choice"."""

from __future__ import annotations

import uuid

import pytest
from django.urls import get_resolver
from django_filters import ModelChoiceFilter, ModelMultipleChoiceFilter
from django_filters.rest_framework import DjangoFilterBackend

from apps.academics.tests.factories import EnrollmentFactory, SectionFactory
from apps.accounts.tests.factories import GuardianFactory, UserFactory


def _api_viewsets():
    """Every view class under /api/ that filters its list with django-filter."""
    seen = {}

    def walk(patterns, prefix=""):
        for pattern in patterns:
            path = prefix + str(pattern.pattern)
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns, path)
                continue
            cls = getattr(pattern.callback, "cls", None)
            if cls is not None and path.startswith("api/") and hasattr(cls, "filter_backends"):
                seen[f"{cls.__module__.split('.')[1]}.{cls.__name__}"] = cls  # app.ViewSet

    walk(get_resolver().url_patterns)
    return seen


def _filterset_class(cls):
    view = cls()
    if not any(issubclass(b, DjangoFilterBackend) for b in view.filter_backends or []):
        return None
    if getattr(view, "filterset_class", None) is not None:
        return view.filterset_class
    if not getattr(view, "filterset_fields", None):
        return None
    backend = next(b for b in view.filter_backends if issubclass(b, DjangoFilterBackend))
    return backend().get_filterset_class(view, cls.permission_model._default_manager.none())


def test_the_walk_finds_the_api():
    views = _api_viewsets()
    names = {key.split(".")[1] for key in views}
    assert {"GuardianViewSet", "AuditLogViewSet", "EnrollmentViewSet", "QuizViewSet"} <= names
    assert _filterset_class(views["quizzes.QuizViewSet"]) is not None


@pytest.mark.parametrize("name", sorted(_api_viewsets()))
def test_no_api_filter_is_a_model_choice(name):
    filterset = _filterset_class(_api_viewsets()[name])
    if filterset is None:
        return
    choices = [
        key
        for key, flt in filterset.base_filters.items()
        if isinstance(flt, ModelChoiceFilter | ModelMultipleChoiceFilter)
    ]
    assert choices == [], f"{name}: {choices} would answer 400 for another school's id"


def test_another_schools_id_answers_like_a_random_one(cast, api):
    other_section = SectionFactory(school_class__school=cast.school2)
    EnrollmentFactory(section=other_section, student=cast.student2)
    other_parent = UserFactory(school=cast.school2, role="parent", email="pa@bob.test")
    GuardianFactory(student=cast.student2, parent=other_parent)
    client = api(cast.admin)
    checks = [
        ("/api/v1/guardians/", "student", cast.student2.pk),
        ("/api/v1/guardians/", "parent", other_parent.pk),
        ("/api/v1/audit-log/", "actor", cast.admin2.pk),
        ("/api/v1/enrollments/", "section", other_section.pk),
        ("/api/v1/enrollments/", "student", cast.student2.pk),
        ("/api/v1/timetable/", "section", other_section.pk),
        ("/api/v1/teaching-assignments/", "section", other_section.pk),
        ("/api/v1/sections/", "year", other_section.year_id),
        ("/api/v1/calendar-events/", "section", other_section.pk),
        ("/api/v1/quizzes/", "section", other_section.pk),
        ("/api/v1/attempts/", "student", cast.student2.pk),
        ("/api/v1/students/", "section", other_section.pk),
        ("/api/v1/students/", "school_class", other_section.school_class_id),
    ]
    for url, name, foreign in checks:
        theirs = client.get(url, {name: str(foreign)})
        random = client.get(url, {name: str(uuid.uuid4())})
        assert theirs.status_code == random.status_code == 200, (url, name, theirs.content)
        assert theirs.json() == random.json(), (url, name)
        assert theirs.json()["results"] == [], (url, name)
        malformed = client.get(url, {name: "not-a-uuid"})
        assert malformed.status_code == 400, (url, name)
