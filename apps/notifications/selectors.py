"""Reads: the signed-in user's inbox, already scoped, so a view cannot reach another user's row."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Notification


def inbox(user) -> QuerySet[Notification]:
    """The notifications addressed to `user`, newest first; nothing for anonymous or inactive
    users. Admins and staff get their own here too: other people's inboxes are not an API
    resource (the staff admin shows a school's notifications, through `scope_queryset`)."""
    if not (user and user.is_authenticated and user.is_active):
        return Notification.objects.none()
    return Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-id")


def unread_count(user) -> int:
    return inbox(user).filter(read_at__isnull=True).count()
