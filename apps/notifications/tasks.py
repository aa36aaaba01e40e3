"""Notification deliveries, run by Celery. Tasks take ids and are safe to run twice: the
delivery row's status decides (services.delivery).

Queues: the e-mail tasks and the sweeper run on `notifications` (CELERY_TASK_ROUTES routes
`apps.notifications.*` there); each SMS and push send is published to its provider's own
queue, `notifications.<provider>` (`provider_queue`), so a slow provider never holds up the
others. Retries use exponential backoff with jitter capped at NOTIFICATIONS_RETRY_MAX, far
below the broker's visibility timeout; longer waits (quiet hours) are rows with
`scheduled_at` that the sweeper releases, never broker ETAs.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from apps.core.periodic import PeriodicSchedule

logger = logging.getLogger("schools24.notifications")


def provider_queue(channel: str) -> str:
    """The queue of the provider configured for `channel`."""
    from .channels.base import adapter_for

    return f"notifications.{adapter_for(channel).name}"


def _send(task, delivery_id: str, *, max_retries: int) -> bool:
    from .channels.base import TemporaryFailure
    from .ratelimit import backoff
    from .services.delivery import RateLimited, delivery_give_up, delivery_send

    try:
        return delivery_send(delivery_id=delivery_id).sent
    except RateLimited as exc:
        # Waiting for a token is not an attempt: no retry is used up.
        raise task.retry(countdown=exc.wait, max_retries=None) from exc
    except TemporaryFailure as exc:
        if task.request.retries >= max_retries:
            delivery_give_up(delivery_id=delivery_id, error=str(exc))
            raise
        raise task.retry(exc=exc, countdown=backoff(task.request.retries)) from exc


@shared_task(bind=True, acks_late=True, max_retries=5, time_limit=60, soft_time_limit=45)
def send_notification_email(self, notification_id: str) -> bool:
    """E-mail one notification to its recipient; a second run does not send again."""
    from .services.delivery import email_delivery_for

    delivery = email_delivery_for(notification_id)
    if delivery is None:
        return False
    return _send(self, str(delivery.pk), max_retries=self.max_retries)


@shared_task(acks_late=True, time_limit=60, soft_time_limit=45)
def send_notification_emails(notification_ids: list[str]) -> int:
    """Fan a batch out to one `send_notification_email` per notification, so each retries on
    its own; the request that raised them queued one message instead of one per absentee."""
    for notification_id in notification_ids:
        send_notification_email.delay(notification_id)
    return len(notification_ids)


@shared_task(bind=True, acks_late=True, time_limit=60, soft_time_limit=45)
def send_delivery(self, delivery_id: str) -> bool:
    """Send one SMS or push delivery; a second run does not send again."""
    return _send(self, delivery_id, max_retries=settings.NOTIFICATIONS_MAX_ATTEMPTS - 1)


@shared_task(acks_late=True, time_limit=60, soft_time_limit=45)
def dispatch_deliveries(delivery_ids: list[str]) -> int:
    """Fan SMS and push deliveries out to their providers' queues, one task each."""
    from .models import Channel, Delivery

    rows = Delivery.objects.filter(pk__in=delivery_ids).values_list(
        "pk", "channel", "notification_id"
    )
    for delivery_id, channel, notification_id in rows:
        if channel == Channel.EMAIL:
            send_notification_email.delay(str(notification_id))
            continue
        send_delivery.apply_async(args=[str(delivery_id)], queue=provider_queue(channel))
    return len(delivery_ids)


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def release_due_deliveries() -> int:
    """The beat sweeper: queue deferred deliveries that came due, queued ones whose message
    was lost (broker outage) after NOTIFICATIONS_REQUEUE_AFTER seconds, the summaries of
    hours whose cap collapsed messages, and circulars whose time has come."""
    from .services.caps import summaries_send
    from .services.circulars import circulars_release_due
    from .services.sweeper import delivery_release_due

    circulars_release_due()
    ids = delivery_release_due() + summaries_send()
    if ids:
        dispatch_deliveries.delay(ids)
    return len(ids)


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def prune_push_devices() -> int:
    """Delete push tokens unseen for NOTIFICATIONS_PUSH_TOKEN_TTL_DAYS."""
    from .services.devices import device_prune

    return device_prune()


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def send_email_digests() -> int:
    """The daily digest of non-urgent kinds for users who asked for one."""
    from .services.digest import digests_send

    return digests_send()


DIGEST_SCHEDULE = PeriodicSchedule(
    name="send notification digests",
    task="apps.notifications.tasks.send_email_digests",
    interval_setting="NOTIFICATIONS_DIGEST_INTERVAL",
    description="E-mails each user who asked for it one summary of the day's non-urgent "
    "messages (never an empty one). Interval: NOTIFICATIONS_DIGEST_INTERVAL.",
)
SWEEP_SCHEDULE = PeriodicSchedule(
    name="release due notification deliveries",
    task="apps.notifications.tasks.release_due_deliveries",
    interval_setting="NOTIFICATIONS_SWEEP_INTERVAL",
    description="Sends deliveries deferred by quiet hours or a schedule once due, and re-queues "
    "queued ones whose message was lost. Interval: NOTIFICATIONS_SWEEP_INTERVAL.",
)
PRUNE_SCHEDULE = PeriodicSchedule(
    name="prune stale push devices",
    task="apps.notifications.tasks.prune_push_devices",
    interval_setting="NOTIFICATIONS_PUSH_PRUNE_INTERVAL",
    description="Deletes push tokens unseen for NOTIFICATIONS_PUSH_TOKEN_TTL_DAYS.",
)


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1700)
def send_circular(circular_id: str) -> int:
    """Fan a released circular out to its audience, in chunks; safe to run twice."""
    from .services.circulars import circular_send

    return circular_send(circular_id=circular_id)


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def raise_event(kind: str, object_id: str, params: dict | None = None) -> int:
    """Run the registered builder of `kind` for one object and notify; safe to run twice (the
    builders' dedupe keys). Returns how many notifications were created."""
    from .services.events import event_raise

    return event_raise(kind=kind, object_id=object_id, params=params or {})
