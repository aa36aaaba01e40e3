"""Preferences, quiet hours and the sweeper; devices; the shared rate limit; provider queues."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from apps.notifications import kinds
from apps.notifications.channels import push as push_channel
from apps.notifications.models import Delivery, Device, QuietHours, SchoolChannelSettings
from apps.notifications.services import delivery_release_due, notify
from apps.notifications.tasks import provider_queue, release_due_deliveries, send_delivery

from .factories import DeviceFactory

pytestmark = pytest.mark.django_db

PREFS = "/api/v1/notifications/preferences/"
DEVICES = "/api/v1/notifications/devices/"
# 23:30 in Kolkata (UTC+5:30) on a fixed day.
LATE = dt.datetime(2026, 3, 2, 18, 0, tzinfo=dt.UTC)


def tell(cast, kind="general", **kwargs):
    return notify(recipients=[cast.parent], kind=kind, title="T", body="B", **kwargs)[0]


# --- preferences API --------------------------------------------------------------------------
def test_preferences_round_trip(cast, api):
    client = api(cast.parent)
    body = client.get(PREFS).json()
    assert body["rules"] == [] and body["quiet_hours"] is None
    assert {c["key"]: c["can_opt_out"] for c in body["categories"]} == {
        "critical": False,
        "transactional": True,
        "promotional": True,
    }
    assert {"kind": "attendance.absent", "category": "transactional",
            "channels": ["in_app", "email", "sms", "push"]} in body["kinds"]  # fmt: skip
    wanted = {
        "rules": [
            {"key": "promotional", "channel": "email", "enabled": False},
            {"key": "attendance.absent", "channel": "sms", "enabled": False},
        ],
        "quiet_hours": {"start": "21:00", "end": "07:00"},
    }
    response = client.put(PREFS, wanted, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["quiet_hours"] == {"start": "21:00", "end": "07:00"}
    assert client.get(PREFS).json()["rules"] == sorted(wanted["rules"], key=lambda r: r["key"])
    # Another user's preferences are their own.
    assert api(cast.admin).get(PREFS).json()["rules"] == []
    # Replacing with nothing clears them.
    client.put(PREFS, {"rules": [], "quiet_hours": None}, format="json")
    assert not QuietHours.objects.exists()


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"rules": [{"key": "critical", "channel": "email", "enabled": False}],
          "quiet_hours": None}, "rules"),
        ({"rules": [{"key": "accounts.security", "channel": "sms", "enabled": False}],
          "quiet_hours": None}, "rules"),
        ({"rules": [{"key": "general", "channel": "in_app", "enabled": False}],
          "quiet_hours": None}, "rules"),
        ({"rules": [{"key": "Bad Key", "channel": "email", "enabled": False}],
          "quiet_hours": None}, "rules"),
        ({"rules": [{"key": "general", "channel": "fax", "enabled": False}],
          "quiet_hours": None}, "rules"),
        ({"rules": [], "quiet_hours": {"start": "25:00", "end": "07:00"}}, "quiet_hours"),
        ({"rules": [], "quiet_hours": {"start": "07:00", "end": "07:00"}}, "quiet_hours"),
        ({"quiet_hours": None}, "rules"),
    ],
)  # fmt: skip
def test_bad_preferences_are_400_with_field_errors(cast, api, payload, field):
    response = api(cast.parent).put(PREFS, payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_opt_outs_are_respected_but_critical_passes(cast, api, django_capture_on_commit_callbacks):
    api(cast.parent).put(
        PREFS,
        {"rules": [{"key": "transactional", "channel": "email", "enabled": False},
                   {"key": "fees.reminder", "channel": "email", "enabled": True}],
         "quiet_hours": None},
        format="json",
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        general = tell(cast)
        fees = tell(cast, kinds.FEES_REMINDER)
        critical = tell(cast, kinds.SECURITY_NOTICE)
    status = dict(Delivery.objects.filter(channel="email").values_list("notification", "status"))
    assert status[general.pk] == "suppressed"  # the category is off
    assert status[fees.pk] == "delivered"  # the kind's own rule wins
    assert status[critical.pk] == "delivered"  # cannot be turned off
    assert len(mail.outbox) == 2
    assert Delivery.objects.filter(channel="in_app").count() == 3  # the inbox always


def test_school_can_switch_a_channel_off(cast, django_capture_on_commit_callbacks):
    SchoolChannelSettings.objects.create(school=cast.school, email_enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        tell(cast, kinds.SECURITY_NOTICE)
    delivery = Delivery.objects.get(channel="email")
    assert delivery.status == "suppressed" and mail.outbox == []


# --- quiet hours and the sweeper ---------------------------------------------------------------
def test_quiet_hours_defer_until_the_sweeper_releases(cast, django_capture_on_commit_callbacks):
    QuietHours.objects.create(school=cast.school, start=dt.time(21), end=dt.time(7))  # school's
    with time_machine.travel(LATE, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            note = tell(cast)
            urgent = tell(cast, kinds.SECURITY_NOTICE)
        deferred = Delivery.objects.get(notification=note, channel="email")
        assert deferred.status == "created"
        # 07:00 in Kolkata is 01:30 UTC the next day.
        assert deferred.scheduled_at == dt.datetime(2026, 3, 3, 1, 30, tzinfo=dt.UTC)
        assert Delivery.objects.get(notification=urgent, channel="email").status == "delivered"
        assert [m.subject for m in mail.outbox] == ["[Alice Public School] T"]
        assert release_due_deliveries.delay().get() == 0  # not yet
    with time_machine.travel(dt.datetime(2026, 3, 3, 1, 31, tzinfo=dt.UTC), tick=False):
        assert release_due_deliveries.delay().get() == 1
        assert release_due_deliveries.delay().get() == 0  # released once
    deferred.refresh_from_db()
    assert deferred.status == "delivered"
    assert [h.get("note") for h in deferred.history][:2] == ["deferred", "released"]
    assert len(mail.outbox) == 2


def test_a_users_own_quiet_hours_beat_the_schools(cast):
    QuietHours.objects.create(school=cast.school, start=dt.time(21), end=dt.time(7))
    QuietHours.objects.create(school=cast.school, user=cast.parent, start=dt.time(23),
                              end=dt.time(23, 45))  # fmt: skip
    with time_machine.travel(LATE, tick=False):
        note = tell(cast)
    delivery = Delivery.objects.get(notification=note, channel="email")
    assert delivery.scheduled_at == dt.datetime(2026, 3, 2, 18, 15, tzinfo=dt.UTC)


def test_sweeper_requeues_lost_messages_once(cast, settings):
    settings.NOTIFICATIONS_REQUEUE_AFTER = 600
    with time_machine.travel(LATE, tick=False):
        note = tell(cast)  # queued, but its message never reached the broker (no callbacks)
    delivery = Delivery.objects.get(notification=note, channel="email")
    assert delivery.status == "queued"
    with time_machine.travel(LATE + dt.timedelta(minutes=5), tick=False):
        assert delivery_release_due() == []
    with time_machine.travel(LATE + dt.timedelta(minutes=11), tick=False):
        assert delivery_release_due() == [str(delivery.pk)]
        assert delivery_release_due() == []


def test_scheduled_at_defers_a_send(cast):
    later = dt.datetime(2030, 1, 1, 4, 30, tzinfo=dt.UTC)
    note = tell(cast, scheduled_at=later)
    delivery = Delivery.objects.get(notification=note, channel="email")
    assert delivery.status == "created" and delivery.scheduled_at == later
    assert send_delivery.delay(str(delivery.pk)).get() is False  # early task: nothing sent
    assert mail.outbox == []


def test_promotional_sms_waits_for_the_daytime_window(cast):
    from apps.notifications.models import SmsTemplate

    cast.parent.phone = "9845012345"
    cast.parent.save()
    SmsTemplate.objects.create(
        school=cast.school, kind=kinds.SCHOOL_ANNOUNCEMENT, text="Circular: {#var#}",
        variables=["title"], dlt_template_id="1", sender_header="ALICES",
        category="promotional",
    )  # fmt: skip
    with time_machine.travel(LATE, tick=False):
        note = tell(cast, kinds.SCHOOL_ANNOUNCEMENT, channels=("sms",), context={"title": "x"})
    sms = Delivery.objects.get(notification=note, channel="sms")
    # 10:00 in Kolkata the next morning.
    assert sms.scheduled_at == dt.datetime(2026, 3, 3, 4, 30, tzinfo=dt.UTC)


# --- devices ------------------------------------------------------------------------------------
def test_device_registration_and_sign_out(cast, api):
    client = api(cast.parent)
    first = client.post(DEVICES, {"platform": "android", "token": "tok-1"}, format="json")
    assert first.status_code == 201 and first.json()["platform"] == "android"
    again = client.post(DEVICES, {"platform": "android", "token": "tok-1"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    # The same phone, another account: the token moves.
    api(cast.admin).post(DEVICES, {"platform": "android", "token": "tok-1"}, format="json")
    assert Device.objects.get(token="tok-1").user == cast.admin
    # Signing out forgets only one's own token.
    assert client.delete(DEVICES, {"token": "tok-1"}, format="json").status_code == 204
    assert Device.objects.filter(token="tok-1").exists()
    assert api(cast.admin).delete(DEVICES, {"token": "tok-1"}, format="json").status_code == 204
    assert not Device.objects.exists()
    bad = client.post(DEVICES, {"platform": "fax", "token": ""}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"platform", "token"}
    assert api(None).post(DEVICES, {"platform": "ios", "token": "x"}).status_code == 401


def test_push_goes_to_every_device(cast, django_capture_on_commit_callbacks):
    push_channel.outbox.clear()
    DeviceFactory(user=cast.parent, token="a")
    DeviceFactory(user=cast.parent, token="b", platform="ios")
    with django_capture_on_commit_callbacks(execute=True):
        tell(cast, kinds.FEES_REMINDER)
    assert sorted(m.token for m in push_channel.outbox) == ["a", "b"]
    assert Delivery.objects.get(channel="push").status == "delivered"
    push_channel.outbox.clear()


# --- the shared rate limit and per-provider queues --------------------------------------------
def test_token_bucket_is_shared_and_refills(settings, monkeypatch):
    import redis

    from apps.notifications import ratelimit

    settings.NOTIFICATIONS_RATE_LIMITS = {"locmem": "2/s"}
    assert ratelimit.parse_rate("600/m") == (10.0, 600.0)
    assert ratelimit.acquire("locmem") == 0.0
    assert ratelimit.acquire("locmem") == 0.0
    wait = ratelimit.acquire("locmem")  # the bucket is empty: wait about half a second
    assert 0 < wait <= 0.5
    # Another worker (another connection) sees the same bucket.
    other = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(other.scan_iter(match="*notify:bucket:locmem"))
    assert len(keys) == 1 and float(other.hget(keys[0], "tokens")) < 1
    monkeypatch.setattr(ratelimit, "_client", lambda: other)  # a second client, same Redis
    assert ratelimit.acquire("locmem") > 0
    import time

    time.sleep(0.6)
    assert ratelimit.acquire("locmem") == 0.0
    assert ratelimit.acquire("unlimited") == 0.0


def test_sms_and_push_go_to_their_providers_queues(settings):
    assert provider_queue("sms") == "notifications.locmem"
    settings.NOTIFICATIONS_SMS_BACKEND = "msg91"
    settings.NOTIFICATIONS_PUSH_BACKEND = "fcm"
    assert provider_queue("sms") == "notifications.msg91"
    assert provider_queue("push") == "notifications.fcm"


# --- the daily digest ---------------------------------------------------------------------------
def test_daily_digest_collects_unread_circulars_once_and_is_never_empty(
    cast, api, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from apps.notifications.tasks import send_email_digests

    api(cast.parent).put(
        PREFS,
        {"rules": [{"key": "digest", "channel": "email", "enabled": True}], "quiet_hours": None},
        format="json",
    )
    assert send_email_digests.delay().get() == 0  # nothing pending: no e-mail
    with django_capture_on_commit_callbacks(execute=True):
        first = tell(cast, kinds.SCHOOL_ANNOUNCEMENT)
        read = notify(recipients=[cast.parent], kind=kinds.SCHOOL_ANNOUNCEMENT,
                      title="Already read", body="B")[0]  # fmt: skip
        fees = tell(cast, kinds.FEES_REMINDER)  # not a digest kind: mailed at once
        admin_note = notify(recipients=[cast.admin], kind=kinds.SCHOOL_ANNOUNCEMENT,
                            title="For the admin", body="B")[0]  # fmt: skip
    assert [m.to for m in mail.outbox] == [["pat@alice.test"], ["alice@alice.test"]]
    assert release_due_deliveries.delay().get() == 0  # the sweeper leaves digests alone
    read.read_at = timezone.now()
    read.save()
    mail.outbox.clear()

    assert send_email_digests.delay().get() == 1
    (digest,) = mail.outbox
    assert digest.to == ["pat@alice.test"]
    assert digest.subject == "[Alice Public School] Your daily summary: 1 messages"
    assert "- T" in digest.body and "Already read" not in digest.body
    status = dict(Delivery.objects.filter(channel="email").values_list("notification", "status"))
    assert status[first.pk] == "sent" and status[read.pk] == "suppressed"
    assert status[fees.pk] == "delivered" and status[admin_note.pk] == "delivered"
    assert send_email_digests.delay().get() == 0  # nothing is sent twice
    assert len(mail.outbox) == 1


# --- one-click unsubscribe ---------------------------------------------------------------------
def test_circulars_carry_one_click_unsubscribe_and_it_works(
    cast, api, django_capture_on_commit_callbacks
):
    from apps.notifications.models import NotificationPreference

    with django_capture_on_commit_callbacks(execute=True):
        tell(cast, kinds.SCHOOL_ANNOUNCEMENT)
        tell(cast, kinds.FEES_REMINDER)
    circular, receipt = mail.outbox
    assert "List-Unsubscribe" not in receipt.extra_headers  # never on transactional mail
    header = circular.extra_headers["List-Unsubscribe"]
    assert circular.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = header.strip("<>").removeprefix("http://127.0.0.1:8000")
    assert url.startswith("/api/v1/notifications/unsubscribe/")

    assert api(None).post(url.replace("unsubscribe/", "unsubscribe/x")).status_code == 404
    response = api(None).post(url, "List-Unsubscribe=One-Click",
                              content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert response.status_code == 200 and response.json() == {"unsubscribed": True}
    assert api(None).post(url).status_code == 200  # again: nothing more
    (rule,) = NotificationPreference.objects.all()
    assert (rule.user, rule.key, rule.channel, rule.enabled) == (
        cast.parent,
        "promotional",
        "email",
        False,
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        tell(cast, kinds.SCHOOL_ANNOUNCEMENT)
        tell(cast, kinds.FEES_REMINDER)
    assert len(mail.outbox) == 1 and "List-Unsubscribe" not in mail.outbox[0].extra_headers
