"""Provider status callbacks: verify, then move the delivery rows forward.

- Twilio signs every callback: X-Twilio-Signature is base64(HMAC-SHA1(TWILIO_AUTH_TOKEN, the
  full URL + each POST parameter's name and value in name order)).
- MSG91 delivery reports carry the shared secret MSG91_WEBHOOK_SECRET (header
  X-Msg91-Secret), compared in constant time.
- SendGrid's signed event webhook: X-Twilio-Email-Event-Webhook-Signature is a base64 ECDSA
  (P-256, SHA-256) signature of X-Twilio-Email-Event-Webhook-Timestamp + the raw body, checked
  with the account's verification key SENDGRID_WEBHOOK_PUBLIC_KEY (`cryptography`). Our own
  view rather than anymail's tracking view: anymail has dropped official SendGrid support
  (its view warns on every request) and this keeps the three providers' rules side by side.
Replays are harmless: a status only moves forward (sent -> delivered or failed), so the
same report applied twice changes nothing the second time; SendGrid's notes that change no
status (deferred, open, spamreport) are kept once per `sg_event_id`.
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


def verify_sendgrid(body: bytes, timestamp: str, signature: str) -> None:
    import binascii

    from cryptography.exceptions import InvalidSignature as BadEcdsa
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = settings.SENDGRID_WEBHOOK_PUBLIC_KEY
    if not key or not timestamp or not signature:
        raise InvalidSignature
    try:
        public_key = serialization.load_der_public_key(base64.b64decode(key))
        public_key.verify(
            base64.b64decode(signature), timestamp.encode() + body, ec.ECDSA(hashes.SHA256())
        )
    except (BadEcdsa, binascii.Error, ValueError, TypeError) as exc:
        raise InvalidSignature from exc


# SendGrid's event names: the final states, and notes that change no status.
SENDGRID_DELIVERED = {"delivered"}
SENDGRID_FAILED = {"bounce", "dropped"}
SENDGRID_NOTES = {"deferred", "open", "spamreport", "processed", "click"}


def _sendgrid_delivery(event: dict):
    """The e-mail delivery an event names: by anymail's `anymail_id` custom argument (the id
    the delivery row keeps), else by SendGrid's own message id (`sg_message_id` starts with
    the X-Message-Id the API answered)."""
    qs = Delivery.objects.select_for_update().filter(provider="sendgrid")
    anymail_id = str(event.get("anymail_id") or "")
    if anymail_id:
        return qs.filter(provider_message_id=anymail_id).first()
    sg_id = str(event.get("sg_message_id") or "").split(".")[0]
    return qs.filter(provider_message_id=sg_id).first() if sg_id else None


@transaction.atomic
def sendgrid_events(events: list[dict]) -> int:
    """Apply a batch of SendGrid events; returns how many deliveries changed. Delivered and
    failed (bounce, dropped) move a sent row forward once; deferred, open and spam reports are
    noted in the history once per event id; anything else, an unknown message, or a report
    for a row already final changes nothing."""
    updated = 0
    for event in events:
        name = str(event.get("event") or "").lower()
        delivery = _sendgrid_delivery(event)
        if delivery is None:
            continue
        now = timezone.now()
        event_id = str(event.get("sg_event_id") or "")
        reason = str(event.get("reason") or event.get("response") or event.get("type") or "")
        if name in SENDGRID_DELIVERED | SENDGRID_FAILED:
            if delivery.status not in (DeliveryStatus.SENT, DeliveryStatus.QUEUED):
                continue  # final already: a late or repeated report never moves it back
            fields = ["status", "history", "updated_at"]
            if name in SENDGRID_DELIVERED:
                delivery.delivered_at = now
                fields.append("delivered_at")
                target = DeliveryStatus.DELIVERED
            else:
                delivery.failed_at, delivery.last_error = now, f"{name}: {reason}"[:2000]
                fields += ["failed_at", "last_error"]
                target = DeliveryStatus.FAILED_PERMANENT
            delivery.record(target, f"sendgrid report: {name}", at=now)
            delivery.save(update_fields=fields)
            updated += 1
        elif name in SENDGRID_NOTES:
            if event_id and any(h.get("event") == event_id for h in delivery.history):
                continue
            entry = {"status": delivery.status, "at": now.isoformat(), "note": f"sendgrid: {name}"}
            if event_id:
                entry["event"] = event_id
            delivery.history = [*delivery.history, entry]
            delivery.save(update_fields=["history", "updated_at"])
            updated += 1
    return updated


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
