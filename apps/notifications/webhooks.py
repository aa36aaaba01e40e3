"""Provider status callbacks: verify, then move the delivery rows forward.

- Twilio signs every callback: X-Twilio-Signature is base64(HMAC-SHA1(TWILIO_AUTH_TOKEN, the
  full URL + each POST parameter's name and value in name order)).
- MSG91 delivery reports carry the shared secret MSG91_WEBHOOK_SECRET (header
  X-Msg91-Secret), compared in constant time.
Replays are harmless: a status only moves forward (sent -> delivered or failed), so the
same report applied twice changes nothing the second time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Delivery, DeliveryStatus


class InvalidSignature(Exception):
    pass


def twilio_signature(url: str, params: dict[str, str], token: str) -> str:
    payload = url + "".join(f"{k}{params[k]}" for k in sorted(params))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def verify_twilio(url: str, params: dict[str, str], signature: str) -> None:
    token = settings.TWILIO_AUTH_TOKEN
    if not token or not signature:
        raise InvalidSignature
    if not hmac.compare_digest(twilio_signature(url, params, token), signature):
        raise InvalidSignature


def verify_msg91(secret: str) -> None:
    expected = settings.MSG91_WEBHOOK_SECRET
    if not expected or not secret or not hmac.compare_digest(expected, secret):
        raise InvalidSignature


# Provider words for the final states; everything else (queued, sending, accepted) is ignored.
DELIVERED = {"delivered", "read"}
FAILED = {"failed", "undelivered", "rejected", "ndnc", "blocked", "expired"}


@transaction.atomic
def delivery_status_update(
    *, provider: str, provider_message_id: str, status: str, error: str = ""
) -> int:
    """Apply a provider's report to the delivery it names; returns how many rows changed
    (0 for an unknown message, a state we do not track, or a repeated report)."""
    status = (status or "").strip().lower()
    if status in DELIVERED:
        target = DeliveryStatus.DELIVERED
    elif status in FAILED:
        target = DeliveryStatus.FAILED_PERMANENT
    else:
        return 0
    delivery = (
        Delivery.objects.select_for_update()
        .filter(
            provider=provider,
            provider_message_id=provider_message_id,
            status__in=[DeliveryStatus.SENT, DeliveryStatus.QUEUED],
        )
        .first()
    )
    if delivery is None or not provider_message_id:
        return 0
    now = timezone.now()
    fields = ["status", "history", "updated_at"]
    if target == DeliveryStatus.DELIVERED:
        delivery.delivered_at = now
        fields.append("delivered_at")
    else:
        delivery.failed_at, delivery.last_error = now, f"{status}: {error}"[:2000]
        fields += ["failed_at", "last_error"]
    delivery.record(target, f"{provider} report: {status}", at=now)
    delivery.save(update_fields=fields)
    return 1
