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
