"""Delivery rows: one per recipient and channel, idempotent sends, retries, SMS and push."""

from __future__ import annotations

import datetime as dt
import random
import smtplib

import pytest
from django.core import mail

from apps.notifications import kinds
from apps.notifications.channels import email as email_channel
from apps.notifications.channels import push as push_channel
from apps.notifications.channels import sms as sms_channel
from apps.notifications.models import Delivery, Notification
from apps.notifications.ratelimit import backoff
from apps.notifications.services import notify
from apps.notifications.tasks import send_delivery, send_notification_email

from .factories import DeviceFactory, SmsTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outboxes():
    sms_channel.outbox.clear()
    push_channel.outbox.clear()
    yield
    sms_channel.outbox.clear()
    push_channel.outbox.clear()


def absent(cast, **kwargs):
    defaults = {
        "recipients": [cast.parent],
        "kind": kinds.ATTENDANCE_ABSENT,
        "title": "Sam Student was absent on 2025-07-01",
        "body": "Marked absent in 5-A.",
        "data": {"student": str(cast.student.pk)},
        "context": {"student": "Sam Student", "date": "2025-07-01"},
        "dedupe_key": f"absent:{cast.student.pk}:2025-07-01",
    }
    return notify(**{**defaults, **kwargs})


def test_absence_reaches_every_channel_once(cast, django_capture_on_commit_callbacks):
    cast.parent.phone = "98450 12345"
    cast.parent.save()
    SmsTemplateFactory(school=cast.school)
    DeviceFactory(user=cast.parent, token="tok-parent-1")
    with django_capture_on_commit_callbacks(execute=True):
        (notification,) = absent(cast)
        assert absent(cast) == []  # the same event again: nothing more
    rows = {d.channel: d for d in Delivery.objects.filter(notification=notification)}
    assert set(rows) == {"in_app", "email", "sms", "push"}
    assert {d.status for d in rows.values()} == {"delivered"}
    assert rows["sms"].address == "+919845012345" and rows["sms"].provider == "locmem"
    assert rows["email"].provider == "locmem" and rows["email"].attempts == 1
    assert [h["status"] for h in rows["sms"].history] == ["queued", "sent", "delivered"]
    assert rows["in_app"].idempotency_key == (
        f"attendance.absent:absent:{cast.student.pk}:2025-07-01:{cast.parent.pk}:in_app"
    )
    (sms,) = sms_channel.outbox
    assert sms.text == "Dear parent, Sam Student was absent on 2025-07-01. -Alice School"
    assert sms.dlt_template_id == "1107160000000000001" and sms.sender == "ALICES"
    assert len(mail.outbox) == 1 and len(push_channel.outbox) == 1
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_a_redelivered_task_never_sends_twice(cast, django_capture_on_commit_callbacks):
    cast.parent.phone = "+919845012345"
    cast.parent.save()
    SmsTemplateFactory(school=cast.school)
    with django_capture_on_commit_callbacks(execute=False):
        (notification,) = absent(cast)
    sms = Delivery.objects.get(notification=notification, channel="sms")
    assert sms.status == "queued"
    assert send_delivery.delay(str(sms.pk)).get() is True
    assert send_delivery.delay(str(sms.pk)).get() is False  # the broker delivered it again
    assert send_notification_email.delay(str(notification.pk)).get() is True
    assert send_notification_email.delay(str(notification.pk)).get() is False
    assert len(sms_channel.outbox) == 1 and len(mail.outbox) == 1
    sms.refresh_from_db()
    assert sms.attempts == 1 and sms.status == "delivered"


def test_no_template_or_phone_suppresses_the_sms(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        absent(cast)  # the parent has no phone
    sms = Delivery.objects.get(channel="sms")
    assert sms.status == "suppressed" and sms.history[-1]["note"] == "no valid phone number"
    cast.parent.phone = "9845012345"
    cast.parent.save()
    with django_capture_on_commit_callbacks(execute=True):
        absent(cast, dedupe_key="another")  # no approved template registered
    sms = Delivery.objects.get(channel="sms", notification__dedupe_key="another")
    assert sms.status == "suppressed" and "template" in sms.history[-1]["note"]
    assert sms_channel.outbox == []


def test_dlt_rendering_refuses_long_variables_and_wrong_text():
    text = "Dear parent, {#var#} was absent on {#var#}. -Alice School"
    assert sms_channel.render(text, ["Sam", "2025-07-01"]) == (
        "Dear parent, Sam was absent on 2025-07-01. -Alice School"
    )
    assert len(sms_channel.render(text, ["x" * 30, "d"])) > 0  # 30 is allowed
    with pytest.raises(sms_channel.PermanentFailure, match="31 characters"):
        sms_channel.render(text, ["x" * 31, "d"])
    with pytest.raises(sms_channel.PermanentFailure, match="2 variables"):
        sms_channel.render(text, ["Sam"])
    with pytest.raises(sms_channel.PermanentFailure, match="line break"):
        sms_channel.render(text, ["Sam\nSpam", "d"])
    sms_channel.check_matches(text, "Dear parent, Sam was absent on 1 July. -Alice School")
    for wrong in (
        "Dear parent, Sam was absent on 1 July. -Alice  School",  # one byte more
        "Dear Parent, Sam was absent on 1 July. -Alice School",
        "Dear parent, " + "y" * 31 + " was absent on 1 July. -Alice School",
    ):
        with pytest.raises(sms_channel.PermanentFailure, match="approved"):
            sms_channel.check_matches(text, wrong)


def test_an_overlong_name_fails_the_sms_permanently(cast, django_capture_on_commit_callbacks):
    cast.parent.phone = "9845012345"
    cast.parent.save()
    SmsTemplateFactory(school=cast.school)
    with django_capture_on_commit_callbacks(execute=True):
        absent(cast, context={"student": "S" * 31, "date": "2025-07-01"})
    sms = Delivery.objects.get(channel="sms")
    assert sms.status == "failed_permanent" and "more than 30" in sms.last_error
    assert sms_channel.outbox == []


def test_phone_numbers_are_normalised_to_e164():
    assert sms_channel.normalise_phone("98450 12345") == "+919845012345"
    assert sms_channel.normalise_phone("098450-12345") == "+919845012345"
    assert sms_channel.normalise_phone("+1 (415) 555-0100") == "+14155550100"
    assert sms_channel.normalise_phone("0044 20 7946 0958") == "+442079460958"
    assert sms_channel.normalise_phone("12ab") == ""
    assert sms_channel.normalise_phone("") == ""


def test_temporary_failure_retries_then_succeeds(cast, monkeypatch):
    notification = notify(
        recipients=[cast.parent], kind="general", title="T", body="B", email=False
    )[0]
    real = email_channel.send
    calls = []

    def flaky(n):
        calls.append(1)
        if len(calls) == 1:
            raise smtplib.SMTPServerDisconnected("dropped")
        real(n)

    monkeypatch.setattr(email_channel, "send", flaky)
    assert send_notification_email.apply(args=[str(notification.pk)], throw=False).get() is True
    delivery = Delivery.objects.get(notification=notification, channel="email")
    assert delivery.attempts == 2 and delivery.status == "delivered"
    statuses = [h["status"] for h in delivery.history]
    assert statuses == ["queued", "failed_temporary", "sent", "delivered"]
    assert delivery.last_error == ""


def test_permanent_failure_is_not_retried(cast, monkeypatch):
    notification = notify(
        recipients=[cast.parent], kind="general", title="T", body="B", email=False
    )[0]
    calls = []

    def refused(n):
        calls.append(1)
        raise smtplib.SMTPRecipientsRefused({n.recipient.email: (550, b"no such user")})

    monkeypatch.setattr(email_channel, "send", refused)
    assert send_notification_email.delay(str(notification.pk)).get() is False
    assert len(calls) == 1
    delivery = Delivery.objects.get(notification=notification, channel="email")
    assert delivery.status == "failed_permanent" and "Refused" in delivery.last_error
    assert delivery.failed_at is not None


def test_giving_up_after_the_last_attempt(cast, monkeypatch):
    notification = notify(
        recipients=[cast.parent], kind="general", title="T", body="B", email=False
    )[0]
    monkeypatch.setattr(email_channel, "send", lambda n: (_ for _ in ()).throw(TimeoutError()))
    monkeypatch.setitem(send_notification_email.app.conf, "task_eager_propagates", False)
    assert send_notification_email.apply(args=[str(notification.pk)]).failed()
    delivery = Delivery.objects.get(notification=notification, channel="email")
    assert delivery.status == "failed_permanent" and delivery.attempts == 6
    assert delivery.history[-1]["note"].startswith("gave up after 6 attempts")


def test_backoff_grows_with_jitter_and_a_cap(settings):
    settings.NOTIFICATIONS_RETRY_BASE, settings.NOTIFICATIONS_RETRY_MAX = 30, 600
    rng = random.Random(7)
    waits = [backoff(n, rng=rng) for n in range(8)]
    for n, wait in enumerate(waits):
        cap = min(600, 30 * 2**n)
        assert cap / 2 <= wait <= cap
    assert max(waits) <= 600
    assert len({round(backoff(3, rng=rng), 6) for _ in range(5)}) == 5  # jittered


def test_push_forgets_unregistered_tokens_and_prunes_stale_ones(cast):
    from apps.notifications.models import Device
    from apps.notifications.services import device_prune

    notification = notify(recipients=[cast.parent], kind="general", title="T", body="B")[0]
    good = DeviceFactory(user=cast.parent, token="good")
    DeviceFactory(user=cast.parent, token="dead")
    delivery = Delivery.objects.create(
        school=cast.school, notification=notification, recipient=cast.parent, kind="general",
        channel="push", idempotency_key="push-test", status="queued",
    )  # fmt: skip

    class Response:
        def __init__(self, status, body):
            self.status_code, self._body, self.text = status, body, str(body)

        def json(self):
            return self._body

    class Session:
        sent = []

        def post(self, url, json, headers, timeout):
            self.sent.append((url, json, headers))
            if json["message"]["token"] == "dead":
                return Response(404, {"error": {"status": "NOT_FOUND", "details": "UNREGISTERED"}})
            return Response(200, {"name": "projects/p/messages/1"})

    result = push_channel.FcmPush(session=Session(), token_source=lambda: "at").send(delivery)
    assert result.provider_message_id == "projects/p/messages/1"
    assert list(Device.objects.values_list("token", flat=True)) == ["good"]
    url, body, headers = Session.sent[0]
    assert url.endswith("/messages:send") and headers["Authorization"] == "Bearer at"
    assert body["message"]["notification"]["title"] == "T"
    assert body["message"]["data"]["kind"] == "general"

    good.last_seen_at = good.last_seen_at - dt.timedelta(days=271)
    good.save()
    DeviceFactory(user=cast.admin, token="fresh")
    assert device_prune() == 1
    assert list(Device.objects.values_list("token", flat=True)) == ["fresh"]


def test_notifications_without_delivery_rows_still_mail(cast):
    from .factories import NotificationFactory

    notification = NotificationFactory(recipient=cast.parent)
    assert send_notification_email.delay(str(notification.pk)).get() is True
    assert Delivery.objects.get(notification=notification).status == "delivered"
    assert Notification.objects.get(pk=notification.pk).emailed_at is not None


def test_fan_out_costs_the_same_queries_for_two_recipients_or_eight(cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.accounts.models import Role
    from apps.accounts.tests.factories import UserFactory

    parents = [
        UserFactory(school=cast.school, role=Role.PARENT, phone=f"98450{n:05d}") for n in range(8)
    ]
    for parent in parents:
        DeviceFactory(user=parent)
    counts = []
    for group, key in ((parents[:2], "a"), (parents, "b")):
        with CaptureQueriesContext(connection) as queries:
            notify(recipients=group, kind=kinds.SCHOOL_ANNOUNCEMENT, title="T", body="B",
                   channels=("email", "sms", "push"), dedupe_key=key)  # fmt: skip
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert Delivery.objects.filter(notification__dedupe_key="b").count() == 8 * 4


def test_sms_uses_the_template_in_the_recipients_language(cast, django_capture_on_commit_callbacks):
    cast.parent.phone = "9845012345"
    cast.parent.language = "hi"
    cast.parent.save()
    SmsTemplateFactory(school=cast.school)
    SmsTemplateFactory(
        school=cast.school, language="hi", text="प्रिय अभिभावक, {#var#} {#var#} को अनुपस्थित रहे।",
        dlt_template_id="1107160000000000002",
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        absent(cast)
    (sms,) = sms_channel.outbox
    assert sms.text == "प्रिय अभिभावक, Sam Student 2025-07-01 को अनुपस्थित रहे।"
    assert sms.dlt_template_id == "1107160000000000002"


def test_push_goes_in_batches_of_500_and_drops_unregistered_tokens(cast, monkeypatch):
    from apps.notifications.models import Device

    notification = notify(recipients=[cast.parent], kind="general", title="T", body="B")[0]
    Device.objects.bulk_create(
        Device(school=cast.school, user=cast.parent, platform="android", token=f"t{n:04d}",
               last_seen_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        for n in range(501)
    )  # fmt: skip
    delivery = Delivery.objects.create(
        school=cast.school, notification=notification, recipient=cast.parent, kind="general",
        channel="push", idempotency_key="push-batch", status="queued",
    )  # fmt: skip
    batches = []
    real = push_channel.FcmPush.send_batch

    def counted(self, session, headers, batch):
        batches.append(len(batch))
        return real(self, session, headers, batch)

    monkeypatch.setattr(push_channel.FcmPush, "send_batch", counted)

    class Answer:
        def __init__(self, status, text):
            self.status_code, self.text = status, text

        def json(self):
            return {"name": "projects/p/messages/9"}

    class Session:
        def post(self, url, json, headers, timeout):
            token = json["message"]["token"]
            if token in ("t0007", "t0500"):
                return Answer(404, "UNREGISTERED")
            return Answer(200, "")

    push_channel.FcmPush(session=Session(), token_source=lambda: "at").send(delivery)
    assert batches == [500, 1]
    assert Device.objects.filter(user=cast.parent).count() == 499
    assert not Device.objects.filter(token__in=["t0007", "t0500"]).exists()
