"""Circulars: audiences (with the people who must not be reached), preview figures, the API's
scoping, scheduling and release by the sweeper, an idempotent fan-out whose query count does
not grow with the audience, the SMS budget, and the admin."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.models import Role
from apps.accounts.tests.factories import GuardianFactory, StudentFactory, UserFactory
from apps.attendance.tests.factories import entry, mark
from apps.notifications import kinds
from apps.notifications.channels import sms as sms_channel
from apps.notifications.models import (
    Circular,
    CircularStatus,
    Delivery,
    Notification,
    SchoolChannelSettings,
)
from apps.notifications.scopes import manages_circulars, school_circulars
from apps.notifications.services.circulars import (
    circular_create,
    circular_send,
    recipient_ids,
)
from apps.notifications.tasks import release_due_deliveries, send_circular
from apps.transport.models import Assignment
from apps.transport.tests.factories import RouteFactory, StopFactory, TripFactory

from .factories import SmsTemplateFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications/circulars/"
# Tuesday 1 September 2026, 15:30 in Kolkata: a school day, inside the promotional window.
TODAY = dt.datetime(2026, 9, 1, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def families(cast, school_year):
    """Olga is Oscar's parent (5-A); Pat is Sam's (5-A) and Sia's (5-B). Oscar rides a route."""
    olga = UserFactory(school=cast.school, role=Role.PARENT, full_name="Olga Other",
                       email="olga@alice.test", phone="9876500002")  # fmt: skip
    GuardianFactory(student=cast.other_student, parent=olga, relation="mother")
    cast.parent.phone = "9876500001"
    cast.parent.save(update_fields=["phone"])
    trip = TripFactory(route=RouteFactory(school=cast.school))
    stop = StopFactory(route=trip.route)
    Assignment.objects.create(
        school=cast.school, student=cast.other_student, year=school_year.year, trip=trip,
        shift="pickup", stop=stop, valid_from=dt.date(2026, 4, 1), valid_to=dt.date(2027, 3, 31),
    )  # fmt: skip
    SmsTemplateFactory(
        school=cast.school,
        kind=kinds.SCHOOL_ANNOUNCEMENT,
        text="Circular from {#var#}: {#var#}. Read it in the Schools24 app.",
        variables=["school", "title"],
        category="promotional",
    )
    sms_channel.outbox.clear()
    return {"olga": olga, "route": trip.route, "year": school_year}


def compose(cast, **data):
    defaults = {"title": "Sports day", "body": "On Friday.", "audience": "school"}
    return circular_create(actor=cast.admin, data={**defaults, **data})


# --- audiences ----------------------------------------------------------------------------------
def test_audiences(cast, api, families):
    olga, sy = families["olga"], families["year"]
    pat = cast.parent
    assert set(recipient_ids(compose(cast, audience="section", target_id=sy.sec_b.pk))) == {pat.pk}
    # Pat's Sia is in 5-B, but Sam is in 5-A: both parents of 5-A.
    assert set(recipient_ids(compose(cast, audience="section", target_id=sy.sec_a.pk))) == {
        pat.pk,
        olga.pk,
    }
    assert set(recipient_ids(compose(cast, audience="class", target_id=sy.klass.pk))) == {
        pat.pk,
        olga.pk,
    }
    # Only Oscar rides the route: Pat is not told.
    assert set(recipient_ids(compose(cast, audience="route", target_id=families["route"].pk))) == {
        olga.pk
    }
    whole = set(recipient_ids(compose(cast)))
    assert {pat.pk, olga.pk, cast.admin.pk, cast.teacher.user.pk, cast.accountant.user.pk} <= whole
    assert cast.student.user.pk not in whole  # students are reached through their parents
    assert cast.admin2.pk not in whole  # another school's

    # Today's register, still in the write buffer (not flushed): Sam absent, Oscar late.
    with time_machine.travel(TODAY, tick=False):
        response = mark(api, cast.teacher.user, sy.sec_a, TODAY.date(),
                        [entry(cast.student, "absent"), entry(cast.other_student, "late", late_minutes=10)])  # fmt: skip
        assert response.status_code in (200, 201), response.content
        absent = compose(cast, audience="attendance", attendance_status="absent")
        late = compose(cast, audience="attendance", attendance_status="late")
        assert recipient_ids(absent) == [pat.pk]
        assert recipient_ids(late) == [olga.pk]


def test_scope_helpers(cast, families):
    mine = compose(cast)
    assert manages_circulars(cast.admin)
    assert not any(manages_circulars(cast.user(p)) for p in ("teacher", "parent", "accountant"))
    assert list(school_circulars(cast.admin)) == [mine]
    assert not school_circulars(cast.admin2).exists()
    assert not school_circulars(cast.teacher.user).exists()


# --- API ----------------------------------------------------------------------------------------
def test_compose_preview_schedule_and_release(
    cast, api, families, django_capture_on_commit_callbacks
):
    sy = families["year"]
    with time_machine.travel(TODAY, tick=False):
        client = api(cast.admin)
        response = client.post(
            URL,
            {"title": "Sports day", "body": "On Friday at 9.", "audience": "class",
             "target_id": str(sy.klass.pk), "channels": ["email", "sms"]},
            format="json",
        )  # fmt: skip
        assert response.status_code == 201, response.content
        circular = response.json()
        assert circular["status"] == "draft" and circular["channels"] == ["email", "sms"]
        detail = f"{URL}{circular['id']}/"

        preview = client.get(f"{detail}preview/").json()
        assert preview["recipients"] == 2
        assert preview["by_channel"] == {"in_app": 2, "email": 2, "sms": 2, "push": 0}
        assert preview["sms_segments"] == 1
        assert preview["sms_cost_paise"] == 1 * 2 * 25

        changed = client.patch(detail, {"title": "Sports day moved"}, format="json")
        assert changed.status_code == 200 and changed.json()["title"] == "Sports day moved"

        at = TODAY + dt.timedelta(hours=1)
        scheduled = client.post(f"{detail}schedule/", {"scheduled_at": at.isoformat()},
                                format="json")  # fmt: skip
        assert scheduled.status_code == 200, scheduled.content
        assert scheduled.json()["status"] == "scheduled"
        refused = client.patch(detail, {"title": "Too late"}, format="json")
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "not_draft"

    with time_machine.travel(TODAY + dt.timedelta(minutes=30), tick=False):
        release_due_deliveries.delay()
    assert Circular.objects.get().status == "scheduled"
    assert not Notification.objects.filter(kind=kinds.SCHOOL_ANNOUNCEMENT).exists()

    with time_machine.travel(TODAY + dt.timedelta(minutes=61), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            release_due_deliveries.delay()
    row = Circular.objects.get()
    assert row.status == "sent" and row.recipient_count == 2
    deliveries = Delivery.objects.filter(kind=kinds.SCHOOL_ANNOUNCEMENT)
    pairs = sorted(deliveries.values_list("recipient__email", "channel"))
    assert pairs == sorted(
        (email, channel)
        for email in ("olga@alice.test", "pat@alice.test")
        for channel in ("email", "in_app", "sms")
    )
    assert row.delivery_count == 6
    assert (
        sorted(m.text for m in sms_channel.outbox)
        == ["Circular from Alice Public School: Sports day moved. Read it in the Schools24 app."]
        * 2
    )

    # The task delivered again (or re-run after a crash mid-way): nothing more.
    assert send_circular.delay(str(row.pk)).get() == 0
    Circular.objects.filter(pk=row.pk).update(status=CircularStatus.SENDING)
    assert send_circular.delay(str(row.pk)).get() == 6
    assert deliveries.count() == 6
    assert Notification.objects.filter(kind=kinds.SCHOOL_ANNOUNCEMENT).count() == 2

    cancel = api(cast.admin).post(f"{detail}cancel/")
    assert cancel.status_code == 400


def test_scoping_roles_and_bad_input(cast, api, families):
    sy = families["year"]
    mine = compose(cast)
    detail = f"{URL}{mine.pk}/"
    assert api(cast.admin).get(URL).json()["count"] == 1
    for persona in ("teacher", "parent", "student", "accountant"):
        client = api(cast.user(persona))
        assert client.get(URL).status_code == 403
        assert client.post(URL, {}, format="json").status_code == 403
    other = api(cast.admin2)
    assert other.get(URL).json()["count"] == 0
    assert other.get(detail).status_code == 404
    assert other.post(f"{detail}schedule/").status_code == 404

    client = api(cast.admin)
    bad = client.post(URL, {"title": "T", "body": "B", "audience": "section",
                            "target_id": str(cast.school2.pk)}, format="json")  # fmt: skip
    assert bad.status_code == 400 and "target_id" in bad.json()["error"]["fields"]
    bad = client.post(URL, {"title": "T", "body": "B", "audience": "attendance"}, format="json")
    assert bad.status_code == 400 and "attendance_status" in bad.json()["error"]["fields"]
    bad = client.post(URL, {"title": "T", "body": "B", "audience": "all",
                            "channels": ["fax"]}, format="json")  # fmt: skip
    assert bad.status_code == 400
    assert {"audience", "channels"} <= set(bad.json()["error"]["fields"])
    bad = client.post(URL, {"title": "T", "body": "B", "audience": "school",
                            "target_id": str(sy.sec_a.pk)}, format="json")  # fmt: skip
    assert bad.status_code == 400 and "target_id" in bad.json()["error"]["fields"]

    cancelled = client.post(f"{detail}cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client.post(f"{detail}schedule/").status_code == 400


# --- fan-out ------------------------------------------------------------------------------------
def test_fan_out_query_count_does_not_grow_with_the_audience(cast, families, settings):
    settings.NOTIFICATIONS_CIRCULAR_CHUNK = 1000

    def fan_out():
        circular = compose(cast, channels=["email", "sms", "push"])
        Circular.objects.filter(pk=circular.pk).update(status=CircularStatus.SENDING)
        with CaptureQueriesContext(connection) as queries:
            circular_send(circular_id=circular.pk)
        return len(queries), Circular.objects.get(pk=circular.pk)

    with time_machine.travel(TODAY, tick=False):
        few, first = fan_out()
        for n in range(12):
            student = StudentFactory(school=cast.school)
            parent = UserFactory(school=cast.school, role=Role.PARENT, phone=f"98765100{n:02d}")
            GuardianFactory(student=student, parent=parent)
        many, second = fan_out()
    assert second.recipient_count == first.recipient_count + 12
    assert many == few


def test_fan_out_respects_the_sms_budget(cast, families, django_capture_on_commit_callbacks):
    sy = families["year"]
    SchoolChannelSettings.objects.create(school=cast.school, sms_monthly_limit=1)
    with time_machine.travel(TODAY, tick=False):
        circular = compose(cast, audience="class", target_id=sy.klass.pk, channels=["sms"])
        Circular.objects.filter(pk=circular.pk).update(status=CircularStatus.SENDING)
        with django_capture_on_commit_callbacks(execute=True):
            send_circular.delay(str(circular.pk))
    statuses = sorted(
        Delivery.objects.filter(kind=kinds.SCHOOL_ANNOUNCEMENT, channel="sms").values_list(
            "status", flat=True
        )
    )
    assert statuses == ["delivered", "suppressed"]
    suppressed = Delivery.objects.get(channel="sms", status="suppressed")
    assert suppressed.history[-1]["note"] == "monthly SMS budget used up (1 of 1 segments)"
    assert len(sms_channel.outbox) == 1


def test_sweeper_queues_again_a_fan_out_whose_worker_died(
    cast, families, django_capture_on_commit_callbacks
):
    sy = families["year"]
    with time_machine.travel(TODAY, tick=False):
        circular = compose(cast, audience="section", target_id=sy.sec_b.pk)
        Circular.objects.filter(pk=circular.pk).update(status=CircularStatus.SENDING)
    with time_machine.travel(TODAY + dt.timedelta(minutes=5), tick=False):
        release_due_deliveries.delay()  # still within NOTIFICATIONS_REQUEUE_AFTER: left alone
    assert Circular.objects.get(pk=circular.pk).status == "sending"
    with time_machine.travel(TODAY + dt.timedelta(minutes=16), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            release_due_deliveries.delay()
    row = Circular.objects.get(pk=circular.pk)
    assert row.status == "sent" and row.recipient_count == 1
    assert Notification.objects.get(kind=kinds.SCHOOL_ANNOUNCEMENT).recipient == cast.parent


# --- admin --------------------------------------------------------------------------------------
def test_admin_shows_the_preview_and_schedules(client, cast, families):
    sy = families["year"]
    mine = compose(cast, audience="section", target_id=sy.sec_a.pk, channels=["sms"])
    compose(cast, title="Secret").school_id  # noqa: B018
    other = circular_create(actor=cast.admin2, data={"title": "Bob's", "body": "B",
                                                    "audience": "school"})  # fmt: skip
    client.force_login(cast.admin)
    changelist = client.get(reverse("admin:notifications_circular_changelist"))
    assert changelist.status_code == 200
    assert "Sports day" in changelist.content.decode()
    assert "Bob&#x27;s" not in changelist.content.decode()
    page = client.get(reverse("admin:notifications_circular_change", args=[mine.pk]))
    body = page.content.decode()
    assert "2 recipients (e-mail 0, SMS 2, push 0); SMS: 1 segment(s), ₹0.50" in body
    assert (
        client.get(reverse("admin:notifications_circular_change", args=[other.pk])).status_code
        == 302
    )
    response = client.post(
        reverse("admin:notifications_circular_changelist"),
        {"action": "schedule_now", "_selected_action": [str(mine.pk)]},
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == "scheduled" and mine.scheduled_at is not None
