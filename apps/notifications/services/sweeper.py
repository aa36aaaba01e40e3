"""The beat sweeper's service: release deferred deliveries, re-queue lost ones."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import Delivery, DeliveryStatus


def delivery_release_due(*, now: dt.datetime | None = None, limit: int = 5000) -> list[str]:
    """Mark `queued` and return the ids of deliveries to send now: deferred ones whose
    `scheduled_at` has come, and queued ones older than NOTIFICATIONS_REQUEUE_AFTER seconds
    (their message was lost; sending is idempotent, so a duplicate costs nothing). Rows are
    claimed with SKIP LOCKED, so two sweepers never release the same row."""
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=settings.NOTIFICATIONS_REQUEUE_AFTER)
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .exclude(provider="digest")  # the daily digest sends those
            .filter(
                Q(status=DeliveryStatus.CREATED, scheduled_at__lte=now)
                | Q(status=DeliveryStatus.CREATED, scheduled_at__isnull=True, created_at__lt=stale)
                | Q(status=DeliveryStatus.QUEUED, queued_at__lt=stale)
            )
            .order_by("scheduled_at", "created_at")[:limit]
        )
        for row in rows:
            note = "released" if row.status == DeliveryStatus.CREATED else "re-queued"
            row.queued_at = now
            row.record(DeliveryStatus.QUEUED, note, at=now)
        Delivery.objects.bulk_update(rows, ["status", "history", "queued_at", "updated_at"])
    return [str(row.pk) for row in rows]
