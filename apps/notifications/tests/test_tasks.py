"""The e-mail task: sends once, marks `emailed_at`, retries transient errors."""

from __future__ import annotations

import smtplib
import uuid

import pytest
from django.core import mail

from apps.notifications.channels import email as email_channel
from apps.notifications.tasks import send_notification_email

from .factories import NotificationFactory

pytestmark = pytest.mark.django_db


def test_task_sends_and_marks_emailed(cast):
    notification = NotificationFactory(recipient=cast.parent, title="Fees due", body="By Friday.")
    assert send_notification_email.delay(str(notification.pk)).get() is True
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    (message,) = mail.outbox
    assert message.to == ["pat@alice.test"]
    assert message.subject == "[Alice Public School] Fees due"
    assert "By Friday." in message.body


def test_task_is_idempotent(cast):
    notification = NotificationFactory(recipient=cast.parent)
    send_notification_email.delay(str(notification.pk))
    first = type(notification).objects.get(pk=notification.pk).emailed_at
    assert send_notification_email.delay(str(notification.pk)).get() is False
    assert len(mail.outbox) == 1
    assert type(notification).objects.get(pk=notification.pk).emailed_at == first


def test_task_for_missing_notification_or_inactive_recipient_sends_nothing(cast):
    assert send_notification_email.delay(str(uuid.uuid4())).get() is False
    notification = NotificationFactory(recipient=cast.parent)
    cast.parent.is_active = False
    cast.parent.save()
    assert send_notification_email.delay(str(notification.pk)).get() is False
    assert mail.outbox == []


def test_task_retries_a_transient_error(cast, monkeypatch):
    notification = NotificationFactory(recipient=cast.parent)
    real_send = email_channel.send
    calls = []

    def flaky(n):
        calls.append(n.pk)
        if len(calls) == 1:
            raise smtplib.SMTPServerDisconnected("connection dropped")
        real_send(n)

    monkeypatch.setattr(email_channel, "send", flaky)
    # Eager mode runs the retry at once; throw=False lets apply() follow the Retry.
    result = send_notification_email.apply(args=[str(notification.pk)], throw=False)
    assert result.get() is True
    assert len(calls) == 2
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_failed_send_leaves_the_notification_unmailed(cast, monkeypatch):
    notification = NotificationFactory(recipient=cast.parent)

    calls = []

    def down(n):
        calls.append(n.pk)
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(email_channel, "send", down)
    # As a worker would: every retry runs, then the task fails (no propagation to the caller).
    monkeypatch.setitem(send_notification_email.app.conf, "task_eager_propagates", False)
    result = send_notification_email.apply(args=[str(notification.pk)])
    assert result.failed()
    assert len(calls) == 1 + send_notification_email.max_retries
    notification.refresh_from_db()
    assert notification.emailed_at is None


def test_task_is_routed_to_the_notifications_queue():
    route = send_notification_email.app.amqp.router.route({}, send_notification_email.name)
    assert route["queue"].name == "notifications"
    assert send_notification_email.acks_late is True
    assert send_notification_email.time_limit and send_notification_email.soft_time_limit
