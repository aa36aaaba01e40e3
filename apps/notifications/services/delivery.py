"""Sending one delivery (one notification through one channel), at most once.

`delivery_send` is what every channel's task runs. Rules:
- The row is locked while sending (SKIP LOCKED: a second worker holding the same id backs off
  instead of sending twice) and only a sendable status (created, queued, failed_temporary) is
  sent; the outcome is saved in the same transaction. So a task run twice, or re-delivered by
  the broker after success, finds the row `sent` and sends nothing.
- A row whose `scheduled_at` is still ahead is left for the sweeper (`delivery_release_due`).
- An inactive recipient, a school that switched the channel off, a missing address, device or
  approved template: `suppressed`, never sent.
- The provider's rate limit (a Redis token bucket shared by all workers) is taken first; when
  it is empty the task waits (`RateLimited`) without counting an attempt.
- A temporary failure (timeout, 5xx, 429) counts an attempt, records the error and is retried
  by the task with backoff; a permanent one fails the row at once; the last allowed attempt's
  temporary failure fails it too (`delivery_give_up`).
A crash between the provider accepting and the commit can still repeat one send:
at-least-once, like every message queue, but never from a duplicated task.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from ..channels import base as channels
from ..models import SENDABLE, Channel, Delivery, DeliveryStatus, Notification
from ..ratelimit import acquire

logger = logging.getLogger("schools24.notifications")


class RateLimited(Exception):
    def __init__(self, wait: float):
        super().__init__(f"rate limited for {wait:.3f}s")
        self.wait = wait


@dataclass(frozen=True)
class Outcome:
    status: str  # the row's status after this run, or "skipped" / "deferred"
    sent: bool = False
    error: str = ""


def _reachable(delivery: Delivery) -> str:
    """Why the delivery cannot go out now ('' when it can)."""
    recipient = delivery.recipient
    if not recipient.is_active:
        return "recipient inactive"
    if delivery.channel == Channel.EMAIL and not recipient.email:
        return "no e-mail address"
    from .preferences import school_channel_enabled

    if not school_channel_enabled(delivery.school_id, delivery.channel):
        return "channel switched off by the school"
    return ""


def delivery_send(*, delivery_id) -> Outcome:
    """Send `delivery_id` through its channel's configured provider (see the module's rules).
    Raises `RateLimited`, or `channels.TemporaryFailure` after recording it, for the task."""
    now = timezone.now()
    failure: channels.TemporaryFailure | None = None
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("notification", "recipient", "school")
            .filter(pk=delivery_id, status__in=SENDABLE)
            .first()
        )
        if delivery is None:
            return Outcome("skipped")  # done already, being sent right now, or gone
        if delivery.scheduled_at and delivery.scheduled_at > now:
            return Outcome("deferred")
        why = _reachable(delivery)
        if why:
            delivery.record(DeliveryStatus.SUPPRESSED, why, at=now)
            delivery.save(update_fields=["status", "history", "updated_at"])
            return Outcome(DeliveryStatus.SUPPRESSED, error=why)
        adapter = channels.adapter_for(delivery.channel)
        wait = acquire(adapter.name)
        if wait:
            raise RateLimited(wait)
        delivery.provider = adapter.name
        delivery.attempts += 1
        fields = ["status", "history", "provider", "attempts", "last_error", "updated_at"]
        try:
            result = adapter.send(delivery)
        except channels.Suppressed as exc:
            delivery.record(DeliveryStatus.SUPPRESSED, str(exc), at=now)
            delivery.attempts -= 1
        except channels.PermanentFailure as exc:
            delivery.last_error = str(exc)[:2000]
            delivery.failed_at = now
            delivery.record(DeliveryStatus.FAILED_PERMANENT, str(exc), at=now)
            fields.append("failed_at")
        except channels.TemporaryFailure as exc:
            delivery.last_error = str(exc)[:2000]
            delivery.record(DeliveryStatus.FAILED_TEMPORARY, str(exc), at=now)
            failure = exc
        else:
            delivery.provider_message_id = result.provider_message_id[:200]
            delivery.sent_at = now
            delivery.last_error = ""
            delivery.record(DeliveryStatus.SENT, at=now)
            fields += ["provider_message_id", "sent_at"]
            if result.delivered:
                delivery.delivered_at = now
                delivery.record(DeliveryStatus.DELIVERED, at=now)
                fields.append("delivered_at")
            if delivery.channel == Channel.EMAIL:
                Notification.objects.filter(pk=delivery.notification_id).update(
                    emailed_at=now, updated_at=now
                )
        delivery.save(update_fields=fields)
    if failure is not None:
        raise failure
    return Outcome(delivery.status, sent=delivery.status in ("sent", "delivered"))


def delivery_give_up(*, delivery_id, error: str) -> None:
    """The last attempt failed temporarily: the delivery fails for good."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .filter(pk=delivery_id, status=DeliveryStatus.FAILED_TEMPORARY)
            .first()
        )
        if delivery is None:
            return
        note = f"gave up after {delivery.attempts} attempts: {error}"
        delivery.failed_at = now
        delivery.record(DeliveryStatus.FAILED_PERMANENT, note, at=now)
        delivery.save(update_fields=["status", "history", "failed_at", "updated_at"])


def email_delivery_for(notification_id) -> Delivery | None:
    """The notification's e-mail delivery, made now for a notification raised before
    deliveries existed (or by hand); None when the notification is gone."""
    notification = (
        Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    )
    if notification is None:
        return None
    key = f"{notification.kind}:n:{notification.pk}:{Channel.EMAIL}"
    existing = Delivery.objects.filter(notification=notification, channel=Channel.EMAIL).first()
    if existing is not None:
        return existing
    now = timezone.now()
    delivery, _ = Delivery.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "school_id": notification.school_id,
            "notification": notification,
            "recipient_id": notification.recipient_id,
            "kind": notification.kind,
            "channel": Channel.EMAIL,
            "address": notification.recipient.email,
            "status": DeliveryStatus.QUEUED,
            "queued_at": now,
            "history": [{"status": DeliveryStatus.QUEUED, "at": now.isoformat()}],
        },
    )
    return delivery


def notification_email_send(*, notification_id) -> bool:
    """E-mail the notification to its recipient unless that was already done; True if sent
    now. The e-mail delivery row carries the rules (`delivery_send`)."""
    delivery = email_delivery_for(notification_id)
    if delivery is None:
        return False
    return delivery_send(delivery_id=delivery.pk).sent
