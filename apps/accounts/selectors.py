"""Reads that are reused: querysets with their joins done, so callers cannot cause N+1."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from apps.core.access import scope_queryset
from apps.core.compiled import CompiledQuery, Page

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


SUMMARY_VALUES = {
    "id": "id",
    "user": "user_id",
    "email": "user__email",
    "full_name": "user__full_name",
    "is_active": "user__is_active",
    "admission_number": "admission_number",
    "roll_number": "roll_number",
    "gender": "gender",
    "admission_date": "admission_date",
    "photo": "photo",
}


def student_summary_rows(students: QuerySet[StudentProfile]) -> QuerySet:
    """The columns a students list shows, as plain rows (no model instances): paginate this."""
    return students.prefetch_related(None).values(*SUMMARY_VALUES.values())


# The list with no filter, search or ordering asked: compiled once per role.
_student_summary_rows = CompiledQuery(
    lambda user: (
        scope_queryset(StudentProfile.objects.all(), user)
        .order_by("admission_number")
        .values(*SUMMARY_VALUES.values())
    )
)


def student_summary_page(user) -> Page:
    """`student_summary_rows` of the students `user` sees in the list's default order
    (admission number), paged by LIMIT/OFFSET."""
    return Page(_student_summary_rows, user)


def student_summaries(rows, photo_url) -> list[dict]:
    """A page of `student_summary_rows` as the list's items, each with its current enrollment
    (one query for the page: `academics.selectors`). `photo_url(name)` turns a stored
    picture's name into its URL."""
    from apps.academics.selectors import current_enrollment_summaries

    rows = list(rows)
    enrollments = current_enrollment_summaries(row["id"] for row in rows)
    return [
        {
            **{key: row[column] for key, column in SUMMARY_VALUES.items() if key != "photo"},
            "photo_url": photo_url(row["photo"]) if row["photo"] else None,
            "current_enrollment": enrollments.get(row["id"]),
        }
        for row in rows
    ]
