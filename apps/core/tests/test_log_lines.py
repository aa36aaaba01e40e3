"""What reaches a log line: every line carries the request id (and, once known, the user and
school ids); Celery tasks carry their task id and the id of the request that queued them; and no
line of a sign-in, a password change, a payment webhook or an SMS send holds a password, a token,
card data or a full phone number. Logs are captured at DEBUG through the configured filters and
the JSON formatter, as production writes them."""

from __future__ import annotations

import json
import logging

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from apps.accounts.tests.factories import PASSWORD
from apps.core.logging import (
    JsonFormatter,
    RedactingFilter,
    RequestIdFilter,
    redact,
    request_id_var,
)
from apps.core.logging import _before_publish as before_publish
from apps.notifications import kinds
from apps.notifications.channels import sms as sms_channel
from apps.notifications.models import Delivery
from apps.notifications.services import notify
from apps.notifications.tests.factories import DeviceFactory, SmsTemplateFactory
from apps.payments import gateways as g
from apps.payments.models import PaymentOrder
from apps.payments.tests.conftest import _gateways, bills  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-much-better-secret-42"
CARD = "4111 1111 1111 1111"
PHONE_DIGITS = "9845012345"


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.addFilter(RequestIdFilter())
        self.addFilter(RedactingFilter())
        self.setFormatter(JsonFormatter())

    def emit(self, record):
        self.lines.append(self.format(record))

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.lines]


@pytest.fixture
def log_lines():
    """Every line any logger writes, at DEBUG, formatted as production formats it."""
    handler = _Lines()
    root = logging.getLogger()
    saved = {name: logging.getLogger(name).level for name in ("", "schools24", "celery")}
    root.addHandler(handler)
    for name in saved:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def assert_clean(lines: list[str], *secrets: str) -> None:
    assert lines, "nothing was logged"
    text = "\n".join(lines)
    for secret in secrets:
        assert secret not in text, f"{secret!r} reached a log line"
    digits_only = "".join(ch for ch in text if ch.isdigit() or ch == "\n")
    assert PHONE_DIGITS not in digits_only.replace("\n", " ")


def test_the_settings_wire_both_filters_into_the_console_handler():
    console = settings.LOGGING["handlers"]["console"]
    assert console["filters"] == ["request_id", "redact"]
    assert settings.CELERY_WORKER_HIJACK_ROOT_LOGGER is False


def test_sign_in_and_password_change_log_ids_but_no_secret(cast, log_lines):
    client = APIClient()
    signed_in = client.post(
        "/api/v1/auth/token/", {"email": "alice@alice.test", "password": PASSWORD},
        format="json", HTTP_X_REQUEST_ID="req-sign-in",
    )  # fmt: skip
    assert signed_in.status_code == 200, signed_in.content
    tokens = signed_in.json()
    wrong = client.post(
        "/api/v1/auth/token/", {"email": "alice@alice.test", "password": "wrong-" + PASSWORD},
        format="json",
    )  # fmt: skip
    assert wrong.status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    changed = client.post(
        "/api/v1/auth/password/change/",
        {"old_password": PASSWORD, "new_password": NEW_PASSWORD},
        format="json", HTTP_X_REQUEST_ID="req-change",
    )  # fmt: skip
    assert changed.status_code in (200, 204), changed.content
    cast.admin.refresh_from_db()
    assert cast.admin.check_password(NEW_PASSWORD)

    assert_clean(log_lines.lines, PASSWORD, NEW_PASSWORD, tokens["access"], tokens["refresh"],
                 "alice@alice.test")  # fmt: skip
    access = [r for r in log_lines.records() if r["logger"] == "schools24.access"]
    sign_in = next(r for r in access if r["request_id"] == "req-sign-in")
    assert (sign_in["method"], sign_in["route"], sign_in["status"]) == (
        "POST", "/api/v1/auth/token/", 200,
    )  # fmt: skip
    assert sign_in["duration_ms"] >= 0 and "user_id" not in sign_in  # anonymous until signed in
    change = next(r for r in access if r["request_id"] == "req-change")
    assert change["route"] == "/api/v1/auth/password/change/"
    assert change["user_id"] == str(cast.admin.pk) or change["user_id"] == cast.admin.pk
    assert change["school_id"] in (cast.school.pk, str(cast.school.pk))


def test_a_payment_webhook_with_card_data_logs_none_of_it(cast, api, bills, settings,  # noqa: F811
                                                          log_lines, django_capture_on_commit_callbacks):  # fmt: skip
    created = api(cast.parent).post(
        "/api/v1/payments/orders/",
        {"invoices": [str(bills.student.pk)], "amount": "3000", "gateway": "razorpay"},
        format="json",
    )
    assert created.status_code == 201, created.content
    order = PaymentOrder.objects.get()
    gateway = g.get_gateway("razorpay")
    body = json.loads(
        gateway.simulated_event_body(
            "captured",
            order_id=order.gateway_order_id,
            payment_id="pay_T3st00000001",
            amount=order.amount,
            event_id="evt_card",
        )  # fmt: skip
    )
    payment = body["payload"]["payment"]["entity"]
    payment.update(method="card", contact=f"+91{PHONE_DIGITS}",
                   card={"number": CARD, "cvv": "123", "expiry": "12/29"})  # fmt: skip
    raw = json.dumps(body).encode()
    headers = gateway.webhook_headers(raw, event_id="evt_card")
    with django_capture_on_commit_callbacks(execute=True):
        answer = APIClient().generic(
            "POST", "/api/v1/payments/webhooks/razorpay/", raw, content_type="application/json",
            **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()},
        )  # fmt: skip
    assert answer.status_code == 200, answer.content
    bills.student.refresh_from_db()
    assert bills.student.status == "paid"
    signature = next(v for k, v in headers.items() if "signature" in k.lower())
    assert_clean(log_lines.lines, CARD, CARD.replace(" ", ""), signature,
                 settings.RAZORPAY_KEY_SECRET)  # fmt: skip
    routes = {r.get("route") for r in log_lines.records()}
    assert "/api/v1/payments/webhooks/razorpay/" in routes


def test_an_sms_send_logs_the_task_and_no_phone_number(cast, log_lines,
                                                       django_capture_on_commit_callbacks):  # fmt: skip
    sms_channel.outbox.clear()
    cast.parent.phone = "98450 12345"
    cast.parent.save()
    SmsTemplateFactory(school=cast.school)
    DeviceFactory(user=cast.parent, token="tok-parent-secret-1")
    token = request_id_var.set("req-absence")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            notify(
                recipients=[cast.parent], kind=kinds.ATTENDANCE_ABSENT,
                title="Sam Student was absent on 2025-07-01", body="Marked absent in 5-A.",
                data={"student": str(cast.student.pk)},
                context={"student": "Sam Student", "date": "2025-07-01"},
                dedupe_key=f"absent:{cast.student.pk}:2025-07-01",
            )  # fmt: skip
    finally:
        request_id_var.reset(token)
    assert Delivery.objects.get(channel="sms").status == "delivered"
    assert len(sms_channel.outbox) == 1
    sms_channel.outbox.clear()
    assert_clean(log_lines.lines, "+919845012345", "98450 12345", "tok-parent-secret-1")
    task_lines = [r for r in log_lines.records() if r.get("task_id")]
    assert task_lines, "no task logged a line"
    assert {r["request_id"] for r in task_lines} == {"req-absence"}
    assert any(r["task_name"].endswith("send_delivery") for r in task_lines)


def test_a_task_carries_the_request_id_that_queued_it(log_lines):
    """On a worker the id arrives in the message headers (set when the task is published)."""
    from apps.core.tasks import flush_write_buffer

    headers: dict = {}
    token = request_id_var.set("req-queued")
    try:
        before_publish(headers=headers)
    finally:
        request_id_var.reset(token)
    assert headers == {"request_id": "req-queued"}
    result = flush_write_buffer.apply(headers=headers)
    assert result.successful()
    lines = [r for r in log_lines.records() if r.get("task_id") == result.id]
    assert lines and {r["request_id"] for r in lines} == {"req-queued"}
    assert request_id_var.get() == "-"  # nothing leaks into what runs next


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        ('{"email": "a@b.test", "password": "hunter22"}', "hunter22"),
        ("login password=hunter22&next=/", "hunter22"),
        ("Authorization: Bearer abc.def.ghi", "abc.def.ghi"),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl seen", "eyJhbGci"),
        ("{'otp': '493021'}", "493021"),
        ("card 4111-1111-1111-1111 declined", "4111-1111-1111-1111"),
        ("sent to +919845012345", "9845012345"),
        ("sent to 98450 12345", "98450 12345"),
        ("sent to +14155550123", "4155550123"),
        ("Not Found: /api/v1/notifications/unsubscribe/tok.EN-1/", "tok.EN-1"),
        ("Not Found: /api/v1/calendar/feed/feedT0ken.ics", "feedT0ken"),
    ],
)
def test_redaction(text, leaked):
    assert leaked not in redact(text)


def test_redaction_keeps_ordinary_figures():
    text = "flushed 120 marks for school 42 in 3.5 s (order 450050 paise)"
    assert redact(text) == text
    assert redact("sent to +919845012345").endswith("[phone …45]")
