"""The hourly cap (collapsed into a summary by the sweeper), the school's SMS budget with its
warning, the school's promotional window, and the school settings API."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from apps.notifications import kinds
from apps.notifications.channels import sms as sms_channel
from apps.notifications.models import Delivery, Notification, SchoolChannelSettings
from apps.notifications.services import notify
from apps.notifications.tasks import release_due_deliveries

from .factories import SmsTemplateFactory

pytestmark = pytest.mark.django_db

SETTINGS = "/api/v1/notifications/school-settings/"
# 15:50 in Kolkata: inside the promotional window, outside any quiet hours.
NOON = dt.datetime(2026, 3, 2, 10, 20, tzinfo=dt.UTC)


@pytest.fixture
def phones(cast):
    cast.parent.phone = "9876543210"
    cast.parent.save(update_fields=["phone"])
    sms_channel.outbox.clear()
    return cast


def tell(cast, n, kind="general", **kwargs):
    return notify(recipients=[cast.parent], kind=kind, title=f"Update {n}", body="B", **kwargs)


# --- hourly cap ---------------------------------------------------------------------------------
def test_hourly_cap_collapses_the_flood_into_one_summary_sent_by_the_sweeper(
    cast, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFICATIONS_HOURLY_CAP = 2
    with time_machine.travel(NOON, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            for n in range(1, 5):
                tell(cast, n)
            tell(cast, 9, kind=kinds.SECURITY_NOTICE)  # critical: never capped
    emails = Delivery.objects.filter(channel="email").order_by("created_at")
    by_title = {d.notification.title: d for d in emails.select_related("notification")}
    assert by_title["Update 1"].status == by_title["Update 2"].status == "delivered"
    for title in ("Update 3", "Update 4"):
        capped = by_title[title]
        assert capped.status == "suppressed"
        assert capped.provider == "hourly_cap"
        assert "hourly cap of 2 reached" in capped.history[-1]["note"]
        assert capped.scheduled_at == dt.datetime(2026, 3, 2, 11, 0, tzinfo=dt.UTC)
    assert by_title["Update 9"].status == "delivered"
    assert sorted(m.subject for m in mail.outbox) == sorted(
        f"[Alice Public School] {t}" for t in ("Update 1", "Update 2", "Update 9")
    )
    # The in-app inbox has every message.
    assert Notification.objects.filter(recipient=cast.parent).count() == 5

    mail.outbox.clear()
    with time_machine.travel(NOON + dt.timedelta(minutes=30), tick=False):
        release_due_deliveries.delay()  # the hour has not ended: nothing yet
    assert mail.outbox == []

    with time_machine.travel(NOON + dt.timedelta(minutes=41), tick=False):
        release_due_deliveries.delay()
        release_due_deliveries.delay()  # a second sweep sends nothing more
    (summary_mail,) = mail.outbox
    assert summary_mail.subject == "[Alice Public School] 2 more updates: Update 3"
    assert "- Update 3\n- Update 4" in summary_mail.body
    summary = Delivery.objects.get(kind=kinds.NOTIFICATIONS_SUMMARY)
    assert summary.channel == "email" and summary.status == "delivered"
    assert sorted(summary.payload["collapsed"]) == sorted(
        str(by_title[t].pk) for t in ("Update 3", "Update 4")
    )
    for title in ("Update 3", "Update 4"):
        capped = Delivery.objects.get(pk=by_title[title].pk)
        assert capped.status == "suppressed" and capped.scheduled_at is None
        assert capped.payload["summary"] == str(summary.pk)


def test_cap_counts_per_channel_and_hour(cast, settings, django_capture_on_commit_callbacks):
    settings.NOTIFICATIONS_HOURLY_CAP = 1
    with django_capture_on_commit_callbacks(execute=True):
        with time_machine.travel(NOON, tick=False):
            tell(cast, 1)
        with time_machine.travel(NOON + dt.timedelta(hours=1), tick=False):
            tell(cast, 2)  # a new hour: counted afresh
    assert set(Delivery.objects.filter(channel="email").values_list("status", flat=True)) == {
        "delivered"
    }


# --- SMS budget ---------------------------------------------------------------------------------
def absent(cast, n, **kwargs):
    return notify(
        recipients=[cast.parent],
        kind=kinds.ATTENDANCE_ABSENT,
        title=f"Absent {n}",
        body="B",
        context={"student": "Sam", "date": f"0{n}-03"},
        **kwargs,
    )


def test_sms_beyond_the_budget_is_suppressed_and_admins_are_warned_once(
    phones, django_capture_on_commit_callbacks
):
    cast = phones
    SmsTemplateFactory(school=cast.school)
    SchoolChannelSettings.objects.create(school=cast.school, sms_monthly_limit=3)
    with time_machine.travel(NOON, tick=False), django_capture_on_commit_callbacks(execute=True):
        for n in range(1, 5):
            absent(cast, n)
        # Critical messages go out beyond the budget (and count).
        notify(
            recipients=[cast.parent],
            kind=kinds.SECURITY_NOTICE,
            title="New sign-in",
            body="B",
            channels=("sms",),
        )
    sms = {
        d.notification.title: d
        for d in Delivery.objects.filter(channel="sms").select_related("notification")
    }
    assert [sms[f"Absent {n}"].status for n in range(1, 5)] == [
        "delivered",
        "delivered",
        "delivered",
        "suppressed",
    ]
    assert sms["Absent 4"].history[-1]["note"] == ("monthly SMS budget used up (3 of 3 segments)")
    assert sms["Absent 1"].payload["segments"] == 1
    assert sms["New sign-in"].status == "suppressed"  # no template: not the budget's doing
    assert "budget" not in sms["New sign-in"].history[-1]["note"]
    assert len(sms_channel.outbox) == 3

    warnings = Notification.objects.filter(kind=kinds.SMS_BUDGET_WARNING)
    (warning,) = warnings
    assert warning.recipient == cast.admin
    assert warning.title == "100% of this month's SMS budget is used"
    assert warning.data == {"month": "2026-03-01", "used": 3, "limit": 3}
    row = SchoolChannelSettings.objects.get(school=cast.school)
    assert row.sms_budget_warned_for == dt.date(2026, 3, 1)
    with time_machine.travel(NOON + dt.timedelta(days=1), tick=False):
        absent(cast, 5)
    assert warnings.count() == 1  # once a month

    # A new month: the budget starts again.
    with time_machine.travel(dt.datetime(2026, 4, 1, 6, 0, tzinfo=dt.UTC), tick=False):
        absent(cast, 6)
    assert Delivery.objects.get(channel="sms", notification__title="Absent 6").status == "queued"


def test_budget_in_rupees_and_warning_at_eighty_percent(
    phones, settings, django_capture_on_commit_callbacks
):
    cast = phones
    settings.NOTIFICATIONS_SMS_COST_PAISE = 50
    SmsTemplateFactory(school=cast.school)
    SchoolChannelSettings.objects.create(school=cast.school, sms_monthly_budget_rupees=5)
    with time_machine.travel(NOON, tick=False), django_capture_on_commit_callbacks(execute=True):
        for n in range(1, 8):
            absent(cast, n)
    assert not Notification.objects.filter(kind=kinds.SMS_BUDGET_WARNING).exists()  # 7 of 10
    with time_machine.travel(NOON, tick=False), django_capture_on_commit_callbacks(execute=True):
        absent(cast, 8)
    (warning,) = Notification.objects.filter(kind=kinds.SMS_BUDGET_WARNING)
    assert warning.data["used"] == 8 and warning.data["limit"] == 10


# --- promotional window -------------------------------------------------------------------------
def test_school_promotional_window_defers_circular_sms(phones):
    cast = phones
    SchoolChannelSettings.objects.create(
        school=cast.school, promotional_start=dt.time(17, 0), promotional_end=dt.time(19, 0)
    )
    with time_machine.travel(NOON, tick=False):  # 15:50 IST: inside the default, not the school's
        notify(
            recipients=[cast.parent],
            kind=kinds.SCHOOL_ANNOUNCEMENT,
            title="Sports day",
            body="B",
            channels=("sms",),
        )
    sms = Delivery.objects.get(channel="sms")
    assert sms.status == "created"
    assert sms.scheduled_at == dt.datetime(2026, 3, 2, 11, 30, tzinfo=dt.UTC)  # 17:00 IST


# --- school settings API ------------------------------------------------------------------------
def test_school_settings_api(cast, api):
    client = api(cast.admin)
    body = client.get(SETTINGS).json()
    assert body["sms_enabled"] is True and body["sms_monthly_limit"] is None
    assert body["promotional_window"] == "10:00-21:00"
    assert body["sms_cost_paise"] == 25 and body["sms_used_segments"] == 0

    response = client.put(
        SETTINGS,
        {
            "sms_monthly_limit": 1000,
            "sms_monthly_budget_rupees": 100,
            "promotional_start": "11:00",
            "promotional_end": "20:00",
            "push_enabled": False,
            "dlt_entity_id": "1201160000000000001",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["sms_budget_segments"] == 400  # 100 rupees at 25 paise
    assert body["promotional_window"] == "11:00-20:00"
    row = SchoolChannelSettings.objects.get(school=cast.school)
    assert (row.sms_monthly_limit, row.push_enabled, row.dlt_entity_id) == (
        1000,
        False,
        "1201160000000000001",
    )
    # Another school's admin sees their own (defaults).
    assert api(cast.admin2).get(SETTINGS).json()["sms_monthly_limit"] is None


def test_school_settings_bad_input_and_roles(cast, api):
    client = api(cast.admin)
    response = client.put(SETTINGS, {"promotional_start": "11:00"}, format="json")
    assert response.status_code == 400
    assert "promotional_end" in response.json()["error"]["fields"]
    response = client.put(SETTINGS, {"sms_monthly_limit": -1}, format="json")
    assert response.status_code == 400 and "sms_monthly_limit" in response.json()["error"]["fields"]
    for persona in ("teacher", "parent", "student", "accountant"):
        assert api(cast.user(persona)).get(SETTINGS).status_code == 403
    assert api(None).get(SETTINGS).status_code == 401
