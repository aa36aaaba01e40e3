"""Delivering a notification through a channel, at most once per notification and channel.

Only e-mail exists so far. SMS and push will follow the same shape: a channel module under
`apps/notifications/channels/` that talks to the provider, and a service here that claims the
row, calls the channel and records the delivery.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from ..channels import email as email_channel
from ..models import Notification

logger = logging.getLogger("schools24.notifications")


def notification_email_send(*, notification_id) -> bool:
    """E-mail the notification to its recipient unless that was already done; True if sent now.

    The row is locked while sending (SKIP LOCKED: a second worker holding the same id backs
    off instead of mailing twice) and `emailed_at` is set in the same transaction, so a second
    run after success does nothing. A crash between the provider accepting the mail and the
    commit can still repeat it once: at-least-once, like every e-mail queue.
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient", "school")
            .filter(pk=notification_id, emailed_at__isnull=True)
            .first()
        )
        if notification is None:
            return False  # already e-mailed, being e-mailed right now, or deleted
        recipient = notification.recipient
        if not (recipient.is_active and recipient.email):
            logger.info("Not e-mailing notification %s: recipient cannot receive", notification_id)
            return False
        email_channel.send(notification)
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at", "updated_at"])
    return True
