"""The demo, end to end: marking the demo student absent (through the attendance API, the
write buffer's flush and the Celery tasks) gives the parent an in-app message, an e-mail and a
logged SMS from the approved template, exactly once each, as their preferences allow, and the
school admin sees each delivery in the admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from apps.academics.models import Enrollment
from apps.accounts.models import StudentProfile, User
from apps.core import buffer
from apps.core.testing import buffer_namespace
from apps.notifications.channels import sms as sms_channel
from apps.notifications.models import Delivery
from apps.notifications.tasks import release_due_deliveries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def ns(settings):
    with buffer_namespace(settings, "demo-notify") as prefix:
        yield prefix


def _school_day(section) -> dt.date:
    from apps.attendance.selectors import school_today
    from apps.calendar.selectors import is_holiday

    day = school_today(section.school) - dt.timedelta(days=1)
    while day.weekday() >= 5 or is_holiday(school=section.school, date=day, section=section):
        day -= dt.timedelta(days=1)
    return day


def _absent(client, student, *, first: str = "") -> tuple[int, dt.date]:
    """Mark `student` absent on the last school day (after `first`, when the demo's own
    marks of that day might already say absent)."""
    section = Enrollment.objects.get(student=student, year__is_current=True).section
    day = _school_day(section)
    for status in (first, "absent") if first else ("absent",):
        response = client.post(
            "/api/v1/attendance/mark/",
            {"section": str(section.pk), "date": day.isoformat(),
             "entries": [{"student": str(student.pk), "status": status}]},
            format="json",
        )  # fmt: skip
    return response.status_code, day


def test_demo_absence_reaches_the_parent_once_on_each_channel(
    settings, api, client, django_capture_on_commit_callbacks
):
    from apps.attendance.buffer_kinds import KIND

    settings.DEBUG = True
    call_command("seed_demo", students=30)
    settings.DEBUG = False
    sms_channel.outbox.clear()
    parent = User.objects.get(email="parent@demo.schools24.test")
    admin = User.objects.get(email="admin@demo.schools24.test")
    student = StudentProfile.objects.get(user__email="student@demo.schools24.test")
    sibling = StudentProfile.objects.get(user__email="sibling@demo.schools24.test")

    for _ in range(2):  # the register saved twice
        with django_capture_on_commit_callbacks(execute=True):
            status, day = _absent(api(admin), student, first="present")
        assert status == 200
    assert buffer.flush(KIND, workers=0).records >= 1
    with django_capture_on_commit_callbacks(execute=True):
        release_due_deliveries.delay().get()  # the sweeper finds nothing left to send

    def absences(of: StudentProfile) -> dict:
        return {
            d.channel: d.status
            for d in Delivery.objects.filter(
                kind="attendance.absent", recipient=parent, notification__data__student=str(of.pk)
            )
        }

    assert absences(student) == {"in_app": "delivered", "email": "delivered", "sms": "delivered"}
    assert Delivery.objects.filter(kind="attendance.absent", recipient=parent).count() == 3
    (sms,) = sms_channel.outbox
    assert sms.to == "+919845000001" and sms.dlt_template_id == "1107170000000000101"
    assert sms.text == (
        f"Dear parent, Siya Student was marked absent on {day.isoformat()}. - Schools24"
    )
    assert [m.to for m in mail.outbox] == [["parent@demo.schools24.test"]]

    # The parent turns absence e-mails off: the sibling's absence comes in-app and by SMS.
    api(parent).put(
        "/api/v1/notifications/preferences/",
        {"rules": [{"key": "attendance.absent", "channel": "email", "enabled": False}],
         "quiet_hours": None},
        format="json",
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert _absent(api(admin), sibling, first="present")[0] == 200
    assert absences(sibling) == {"in_app": "delivered", "email": "suppressed", "sms": "delivered"}
    assert len(mail.outbox) == 1 and len(sms_channel.outbox) == 2

    # The school admin sees each delivery and its status.
    client.force_login(admin)
    url = reverse("admin:notifications_delivery_changelist")
    page = client.get(url + "?kind=attendance.absent").content.decode()
    assert page.count("Priya Parent") >= 6
    email = Delivery.objects.get(
        kind="attendance.absent", channel="email", notification__data__student=str(student.pk)
    )
    detail = client.get(reverse("admin:notifications_delivery_change", args=[email.pk]))
    assert detail.status_code == 200 and "delivered" in detail.content.decode()
    sms_channel.outbox.clear()
