"""Read state of one's own notifications."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ..models import Notification
from ..selectors import inbox


@transaction.atomic
def notification_mark_read(*, notification: Notification) -> Notification:
    """Mark as read. Reading again keeps the first time it was read."""
    if notification.read_at is None:
        now = timezone.now()
        # Conditional update: a concurrent read-all is not overwritten with a later time.
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=now, updated_at=now
        )
        notification.refresh_from_db(fields=["read_at", "updated_at"])
    return notification


@transaction.atomic
def notification_mark_all_read(*, user, kind: str | None = None) -> int:
    """Mark every unread notification of `user` (optionally of one kind) as read; returns how
    many changed."""
    now = timezone.now()
    qs = inbox(user).filter(read_at__isnull=True)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.update(read_at=now, updated_at=now)
