"""Reads that are reused: querysets with their joins done, so callers cannot cause N+1."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from .models import Guardian, StudentProfile, TokenFamily, User


def student_queryset() -> QuerySet[StudentProfile]:
    return StudentProfile.objects.select_related("user").prefetch_related(
        Prefetch(
            "guardians", queryset=Guardian.objects.select_related("parent").order_by("-is_primary")
        )
    )


def user_with_school(user_id) -> User:
    return User.objects.select_related("school").get(pk=user_id)


def sessions_of(user: User) -> QuerySet[TokenFamily]:
    """`user`'s signed-in devices: sessions neither ended nor past `JWT_EXPIRY_HOURS`, the most
    recently used first."""
    oldest = timezone.now() - dt.timedelta(hours=settings.JWT_EXPIRY_HOURS)
    return TokenFamily.objects.filter(
        user=user, revoked_at__isnull=True, signed_in_at__gt=oldest
    ).order_by("-last_used_at", "-signed_in_at")
