"""The daily e-mail digest: non-urgent kinds (registry `digest=True`, e.g. circulars) collected
into one e-mail a day for users who asked for it (the preference rule `digest` / `email`
enabled).

Rules: the digest's deliveries wait as `created` with provider `digest` (the sweeper leaves
them alone); the daily job sends each user one e-mail of what is still pending, skips what
they already read in the app (those deliveries are `suppressed`), sends nothing when nothing
is left (never an empty digest), and marks the rest sent in the same transaction, so a second
run sends nothing again.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..channels.email import provider_name
from ..models import Channel, Delivery, DeliveryStatus

logger = logging.getLogger("schools24.notifications")

DIGEST = "digest"


def wants_digest(book, user) -> bool:
    return book.prefs.get((user.pk, DIGEST, Channel.EMAIL)) is True


def digests_send(*, limit: int = 20000) -> int:
    """Send every pending digest (see the module's rules); returns how many e-mails went."""
    now = timezone.now()
    sent = 0
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("notification", "recipient", "school")
            .filter(status=DeliveryStatus.CREATED, provider=DIGEST, channel=Channel.EMAIL)
            .order_by("recipient_id", "created_at")[:limit]
        )
        by_user: dict = defaultdict(list)
        for row in rows:
            by_user[row.recipient_id].append(row)
        changed = []
        for items in by_user.values():
            unread = [d for d in items if d.notification.read_at is None]
            for d in items:
                if d.notification.read_at is not None:
                    d.record(DeliveryStatus.SUPPRESSED, "read in the app", at=now)
                    changed.append(d)
            recipient = items[0].recipient
            if not unread or not (recipient.is_active and recipient.email):
                for d in unread:
                    d.record(DeliveryStatus.SUPPRESSED, "recipient cannot receive", at=now)
                    changed.append(d)
                continue
            _send(recipient, items[0].school, [d.notification for d in unread])
            sent += 1
            for d in unread:
                d.provider, d.sent_at, d.attempts = provider_name(), now, d.attempts + 1
                d.record(DeliveryStatus.SENT, "in the daily digest", at=now)
                changed.append(d)
        Delivery.objects.bulk_update(
            changed, ["status", "history", "provider", "sent_at", "attempts", "updated_at"]
        )
    if sent:
        logger.info("Sent %d notification digests", sent)
    return sent


def _send(user, school, notifications) -> None:
    language = notifications[0].language or settings.LANGUAGE_CODE
    context = {
        "user": user,
        "school": school,
        "notifications": notifications,
        "app_url": f"{settings.FRONTEND_URL}/notifications",
    }
    with translation.override(language):
        subject = _("[%(school)s] Your daily summary: %(count)d messages") % {
            "school": school.name,
            "count": len(notifications),
        }
        body = render_to_string("emails/digest.txt", context)
    EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={"X-Schools24-Digest": timezone.now().date().isoformat()},
    ).send(fail_silently=False)
