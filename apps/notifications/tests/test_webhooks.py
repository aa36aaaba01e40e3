"""Provider status callbacks: verified, forward-only, replay-safe."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from apps.notifications.models import Delivery
from apps.notifications.services import notify
from apps.notifications.webhooks import twilio_signature

pytestmark = pytest.mark.django_db

TWILIO = "/api/v1/notifications/webhooks/twilio/"
MSG91 = "/api/v1/notifications/webhooks/msg91/"


def sent(cast, provider: str, message_id: str) -> Delivery:
    notification = notify(recipients=[cast.parent], kind="general", title="T", body="B",
                          email=False)[0]  # fmt: skip
    return Delivery.objects.create(
        school=cast.school, notification=notification, recipient=cast.parent, kind="general",
        channel="sms", idempotency_key=f"k-{message_id}", status="sent", provider=provider,
        provider_message_id=message_id, attempts=1,
    )  # fmt: skip


def form(client, params, signature):
    return client.post(
        TWILIO,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )


def test_twilio_reports_with_a_good_signature_only(cast, api, settings):
    settings.TWILIO_AUTH_TOKEN = "twilio-token"
    delivery = sent(cast, "twilio", "SM123")
    params = {"MessageSid": "SM123", "MessageStatus": "delivered", "To": "+14155550100"}
    url = f"http://testserver{TWILIO}"
    good = twilio_signature(url, params, "twilio-token")

    bad = form(api(None), params, "x" + good[1:])
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_signature"
    forged = form(api(None), {**params, "MessageStatus": "failed"}, good)
    assert forged.status_code == 400  # the signature covers every field
    delivery.refresh_from_db()
    assert delivery.status == "sent"

    response = form(api(None), params, good)
    assert response.status_code == 200 and response.json() == {"updated": 1}
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.delivered_at is not None
    # The same report again: nothing more.
    again = form(api(None), params, good)
    assert again.json() == {"updated": 0}
    assert [h["status"] for h in delivery.history].count("delivered") == 1


def test_msg91_reports_need_the_shared_secret(cast, api, settings):
    settings.MSG91_WEBHOOK_SECRET = "s3cret"
    delivery = sent(cast, "msg91", "req-1")
    report = [{"requestId": "req-1", "status": "failed", "description": "DND number"}]
    assert api(None).post(MSG91, report, format="json").status_code == 400
    wrong = api(None).post(MSG91, report, format="json", HTTP_X_MSG91_SECRET="nope")
    assert wrong.status_code == 400
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    ok = api(None).post(MSG91, report, format="json", HTTP_X_MSG91_SECRET="s3cret")
    assert ok.json() == {"updated": 1}
    delivery.refresh_from_db()
    assert delivery.status == "failed_permanent" and "DND number" in delivery.last_error
    # A late "delivered" for a failed message does not move it back.
    late = [{"requestId": "req-1", "status": "delivered"}]
    assert api(None).post(MSG91, late, format="json", HTTP_X_MSG91_SECRET="s3cret").json() == {
        "updated": 0
    }
    bad_body = api(None).post(MSG91, [1, 2], format="json", HTTP_X_MSG91_SECRET="s3cret")
    assert bad_body.status_code == 400


def test_no_secret_configured_refuses_everything(cast, api, settings):
    settings.MSG91_WEBHOOK_SECRET = ""
    response = api(None).post(MSG91, {"requestId": "x"}, format="json", HTTP_X_MSG91_SECRET="")
    assert response.status_code == 400


# --- SendGrid: the signed event webhook, and the message id the send kept ---------------------
SENDGRID = "/api/v1/notifications/webhooks/sendgrid/"


@pytest.fixture
def sendgrid_key(settings):
    """A P-256 key pair; settings hold the public half as SendGrid shows it (base64 DER)."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    private = ec.generate_private_key(ec.SECP256R1())
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    settings.SENDGRID_WEBHOOK_PUBLIC_KEY = base64.b64encode(der).decode()
    return private


def signed(client, private, events, *, timestamp="1767225600", tamper=False):
    import base64
    import json

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    body = json.dumps(events).encode()
    signature = private.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    if tamper:
        body = body.replace(b"delivered", b"bounce")
    return client.post(
        SENDGRID,
        body,
        content_type="application/json",
        HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE=base64.b64encode(signature).decode(),
        HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP=timestamp,
    )


def test_sendgrid_send_keeps_anymails_message_id(cast, settings, monkeypatch):
    """Through anymail's real SendGrid backend (the HTTP call answered here): the delivery
    keeps the `anymail_id` the payload carried, which the events name later."""
    import json

    from anymail.backends.base_requests import AnymailRequestsBackend

    from apps.notifications.tasks import send_notification_email

    settings.EMAIL_BACKEND = "anymail.backends.sendgrid.EmailBackend"
    settings.ANYMAIL = {"SENDGRID_API_KEY": "SG.test"}
    posted = []

    class Answer:
        status_code = 202
        text = ""
        content = b""
        headers = {"X-Message-Id": "sg-abc"}

    def post_to_esp(self, payload, message):
        posted.append(json.loads(payload.serialize_data()))
        return Answer()

    monkeypatch.setattr(AnymailRequestsBackend, "post_to_esp", post_to_esp)
    notification = notify(recipients=[cast.parent], kind="general", title="T", body="B",
                          email=False)[0]  # fmt: skip
    assert send_notification_email.delay(str(notification.pk)).get() is True
    delivery = Delivery.objects.get(notification=notification, channel="email")
    anymail_id = posted[0]["personalizations"][0]["custom_args"]["anymail_id"]
    assert delivery.provider == "sendgrid" and delivery.provider_message_id == anymail_id
    assert delivery.status == "sent"  # delivered only when SendGrid says so


def test_sendgrid_events_need_a_good_signature_and_only_move_forward(cast, api, sendgrid_key):
    delivery = sent(cast, "sendgrid", "anymail-1")
    delivery.channel = "email"
    delivery.save()
    other = sent(cast, "sendgrid", "anymail-2")
    events = [
        {"event": "deferred", "anymail_id": "anymail-1", "sg_event_id": "e1",
         "response": "try later"},
        {"event": "delivered", "anymail_id": "anymail-1", "sg_event_id": "e2"},
        {"event": "bounce", "anymail_id": "anymail-2", "sg_event_id": "e3",
         "reason": "550 no such user"},
        {"event": "delivered", "anymail_id": "unknown", "sg_event_id": "e4"},
    ]  # fmt: skip
    # A wrong key, a changed body, a missing signature: 400, nothing changes.
    from cryptography.hazmat.primitives.asymmetric import ec

    stranger = ec.generate_private_key(ec.SECP256R1())
    for response in (
        signed(api(None), stranger, events),
        signed(api(None), sendgrid_key, events, tamper=True),
        api(None).post(SENDGRID, events, format="json"),
    ):
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_signature"
    delivery.refresh_from_db()
    assert delivery.status == "sent" and len(delivery.history) == 0

    ok = signed(api(None), sendgrid_key, events)
    assert ok.status_code == 200 and ok.json() == {"updated": 3}
    delivery.refresh_from_db()
    other.refresh_from_db()
    assert delivery.status == "delivered" and delivery.delivered_at is not None
    assert [h.get("note") for h in delivery.history] == [
        "sendgrid: deferred", "sendgrid report: delivered"
    ]  # fmt: skip
    assert other.status == "failed_permanent" and "550 no such user" in other.last_error
    # The same batch again (SendGrid retries), and a late bounce: nothing regresses.
    assert signed(api(None), sendgrid_key, events).json() == {"updated": 0}
    late = [{"event": "bounce", "anymail_id": "anymail-1", "sg_event_id": "e9"}]
    assert signed(api(None), sendgrid_key, late).json() == {"updated": 0}
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and len(delivery.history) == 2
    garbage = signed(api(None), sendgrid_key, {"event": "delivered"})
    assert garbage.status_code == 400


def test_sendgrid_without_a_key_refuses(cast, api, settings, sendgrid_key):
    settings.SENDGRID_WEBHOOK_PUBLIC_KEY = ""
    sent(cast, "sendgrid", "anymail-3")
    events = [{"event": "delivered", "anymail_id": "anymail-3"}]
    assert signed(api(None), sendgrid_key, events).status_code == 400
