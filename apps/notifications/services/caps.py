"""The hourly cap: at most NOTIFICATIONS_HOURLY_CAP non-critical e-mails, SMS or pushes per user
and channel in a clock hour (UTC); the rest are collapsed into one summary.

Rules:
- Counting is a Redis counter per (user, channel, hour), shared by every worker; a send counts
  when it is queued (deferred sends count when released, not here). If Redis cannot be reached
  nothing is capped (degrade, never stop delivering).
- A collapsed delivery is `suppressed` with the reason, provider `hourly_cap` and `scheduled_at`
  the end of its hour: the beat sweeper (`summaries_send`) then writes one summary
  notification per user, channel and hour ("N more updates: ...") with one queued delivery
  naming the collapsed ones (`payload.collapsed`), and marks them summarised (`payload.summary`,
  `scheduled_at` cleared), in one transaction, so a second sweep sends nothing again.
- Critical kinds and the in-app inbox are never capped.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import ngettext

from .. import kinds
from ..models import Category, Channel, Delivery, DeliveryStatus, Notification

logger = logging.getLogger("schools24.notifications")

CAPPED = "hourly_cap"


def hour_end(now: dt.datetime) -> dt.datetime:
    start = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    return start + dt.timedelta(hours=1)


def _counts(keys: list[str]) -> list[int] | None:
    from django.core.cache import cache
    from django_redis import get_redis_connection

    try:
        client = get_redis_connection("default")
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.incr(cache.make_key(key))
            pipe.expire(cache.make_key(key), 7200)
        return [int(v) for v in pipe.execute()[::2]]
    except Exception:  # noqa: BLE001 - any Redis trouble: do not cap (see the module)
        logger.warning("Hourly cap not checked: Redis unavailable")
        return None


def apply_hourly_cap(deliveries: list[Delivery], now: dt.datetime) -> int:
    """Collapse the queued, non-critical e-mail/SMS/push deliveries over the cap (see the
    module); returns how many were collapsed. One Redis round trip for the whole batch."""
    cap = settings.NOTIFICATIONS_HOURLY_CAP
    candidates = [
        d
        for d in deliveries
        if d.status == DeliveryStatus.QUEUED
        and d.category != Category.CRITICAL
        and d.channel != Channel.IN_APP
    ]
    if cap <= 0 or not candidates:
        return 0
    end = hour_end(now)
    hour = end.strftime("%Y%m%d%H")
    counts = _counts([f"notify:cap:{d.recipient_id}:{d.channel}:{hour}" for d in candidates])
    if counts is None:
        return 0
    collapsed = 0
    for delivery, count in zip(candidates, counts, strict=True):
        if count <= cap:
            continue
        delivery.provider = CAPPED
        delivery.queued_at = None
        delivery.scheduled_at = end
        delivery.record(
            DeliveryStatus.SUPPRESSED,
            f"hourly cap of {cap} reached: collapsed into the summary at {end:%H:%M} UTC",
            at=now,
        )
        collapsed += 1
    return collapsed


def _summary_text(items: list[Delivery], language: str) -> tuple[str, str]:
    count = len(items)
    with translation.override(language):
        title = ngettext(
            "%(count)d more update: %(first)s",
            "%(count)d more updates: %(first)s",
            count,
        ) % {"count": count, "first": items[0].notification.title}
    body = "\n".join(f"- {d.notification.title}" for d in items)
    return title[:200], body


def summaries_send(*, now: dt.datetime | None = None, limit: int = 5000) -> list[str]:
    """Write the summaries of the hours that ended (see the module); returns the ids of the
    summary deliveries, queued, for the sweeper to dispatch."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("notification")
            .filter(provider=CAPPED, status=DeliveryStatus.SUPPRESSED, scheduled_at__lte=now)
            .order_by("recipient_id", "channel", "scheduled_at", "created_at")[:limit]
        )
        if not rows:
            return []
        groups: dict = defaultdict(list)
        for row in rows:
            groups[(row.recipient_id, row.channel, row.scheduled_at)].append(row)
        notifications, summaries = [], []
        for (recipient_id, channel, end), items in groups.items():
            first = items[0]
            language = first.notification.language or settings.LANGUAGE_CODE
            title, body = _summary_text(items, language)
            note = Notification(
                school_id=first.school_id,
                recipient_id=recipient_id,
                kind=kinds.NOTIFICATIONS_SUMMARY,
                title=title,
                body=body,
                language=language,
                data={"collapsed": len(items), "channel": channel},
            )
            notifications.append(note)
            summary = Delivery(
                school_id=first.school_id,
                notification=note,
                recipient_id=recipient_id,
                kind=kinds.NOTIFICATIONS_SUMMARY,
                category=Category.TRANSACTIONAL,
                channel=channel,
                idempotency_key=f"{kinds.NOTIFICATIONS_SUMMARY}:{end.isoformat()}:"
                f"{recipient_id}:{channel}",
                address=first.address,
                payload={
                    "collapsed": [str(d.pk) for d in items],
                    "context": {"count": str(len(items))},
                },
                queued_at=now,
            )
            summary.record(DeliveryStatus.QUEUED, f"summary of {len(items)} collapsed", at=now)
            summaries.append(summary)
            for d in items:
                d.scheduled_at = None
                d.payload = {**d.payload, "summary": str(summary.pk)}
                d.history = [
                    *d.history,
                    {"status": d.status, "at": now.isoformat(), "note": f"in summary {summary.pk}"},
                ]
        Notification.objects.bulk_create(notifications)
        Delivery.objects.bulk_create(summaries)
        Delivery.objects.bulk_update(rows, ["scheduled_at", "payload", "history", "updated_at"])
    return [str(s.pk) for s in summaries]
