"""Each user's own time zone: chosen on /me/, validated, and what quiet hours are read in."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from apps.notifications.models import Delivery, QuietHours
from apps.notifications.services import notify

pytestmark = pytest.mark.django_db

# 23:30 in Kolkata, 18:00 in London.
EVENING = dt.datetime(2026, 3, 2, 18, 0, tzinfo=dt.UTC)


def test_time_zone_is_chosen_on_me_and_validated(cast, api):
    client = api(cast.parent)
    assert client.get("/api/v1/me/").json()["time_zone"] == ""
    assert cast.parent.effective_time_zone == "Asia/Kolkata"  # the school's
    ok = client.patch("/api/v1/me/", {"time_zone": "Europe/London"}, format="json")
    assert ok.status_code == 200 and ok.json()["time_zone"] == "Europe/London"
    cast.parent.refresh_from_db()
    assert cast.parent.effective_time_zone == "Europe/London"
    bad = client.patch("/api/v1/me/", {"time_zone": "Mars/Olympus"}, format="json")
    assert bad.status_code == 400 and "time_zone" in bad.json()["error"]["fields"]
    assert client.patch("/api/v1/me/", {"time_zone": ""}, format="json").json()["time_zone"] == ""


def test_quiet_hours_are_read_in_the_recipients_time_zone(cast):
    QuietHours.objects.create(school=cast.school, start=dt.time(21), end=dt.time(7))
    cast.admin.time_zone = "Europe/London"  # 18:00 there: not quiet
    cast.admin.save()
    with time_machine.travel(EVENING, tick=False):
        notes = notify(recipients=[cast.parent, cast.admin], kind="general", title="T", body="B")
    by_user = {
        d.recipient_id: d for d in Delivery.objects.filter(notification__in=notes, channel="email")
    }
    assert by_user[cast.admin.pk].status == "queued" and by_user[cast.admin.pk].scheduled_at is None
    parent = by_user[cast.parent.pk]  # the school's zone: quiet until 07:00 Kolkata
    assert parent.status == "created"
    assert parent.scheduled_at == dt.datetime(2026, 3, 3, 1, 30, tzinfo=dt.UTC)
