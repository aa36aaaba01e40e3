"""Reads that are reused: querysets with their joins done, so callers cannot cause N+1."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from .models import Guardian, StudentProfile, User


def student_queryset() -> QuerySet[StudentProfile]:
    return StudentProfile.objects.select_related("user").prefetch_related(
        Prefetch(
            "guardians", queryset=Guardian.objects.select_related("parent").order_by("-is_primary")
        )
    )


def user_with_school(user_id) -> User:
    return User.objects.select_related("school").get(pk=user_id)
