"""An absence through every channel: marking a student absent gives each guardian an in-app
message, an e-mail and an SMS from the school's approved template, exactly once each, as
their preferences allow."""

from __future__ import annotations

from django.core import mail

from apps.notifications.channels import sms as sms_channel
from apps.notifications.demo import seed_notifications
from apps.notifications.models import Delivery

MARK = "/api/v1/attendance/mark/"


class _Report:
    def add(self, kind, created):
        pass


def _absent(client, section, day, student):
    return client.post(
        MARK,
        {"section": str(section.pk), "date": day.isoformat(),
         "entries": [{"student": str(student.pk), "status": "absent"}]},
        format="json",
    )  # fmt: skip


def test_absence_goes_in_app_by_email_and_by_sms_once(
    cast, school_year, att, api, django_capture_on_commit_callbacks
):
    sms_channel.outbox.clear()
    seed_notifications(report=_Report(), school=cast.school)
    cast.parent.phone = "+91 98450 00001"
    cast.parent.save()
    att.second_guardian.phone = "98450 00002"
    att.second_guardian.language = "hi"
    att.second_guardian.save()
    # Max turned absence SMS off.
    api(att.second_guardian).put(
        "/api/v1/notifications/preferences/",
        {"rules": [{"key": "attendance.absent", "channel": "sms", "enabled": False}],
         "quiet_hours": None},
        format="json",
    )  # fmt: skip
    client = api(cast.teacher.user)
    for _ in range(2):  # the register saved twice: one alert
        with django_capture_on_commit_callbacks(execute=True):
            assert _absent(client, school_year.sec_a, att.day, cast.student).status_code == 200

    by_channel = {}
    for d in Delivery.objects.filter(kind="attendance.absent"):
        by_channel.setdefault((d.recipient_id, d.channel), []).append(d.status)
    pat, max_ = cast.parent.pk, att.second_guardian.pk
    assert by_channel == {
        (pat, "in_app"): ["delivered"],
        (pat, "email"): ["delivered"],
        (pat, "sms"): ["delivered"],
        (max_, "in_app"): ["delivered"],
        (max_, "email"): ["delivered"],
        (max_, "sms"): ["suppressed"],
    }
    (sms,) = sms_channel.outbox
    assert sms.to == "+919845000001" and sms.sender == "SCHLTF"
    assert sms.text == (
        f"Dear parent, Sam Student was marked absent on {att.day.isoformat()}. - Schools24"
    )
    assert sorted(m.to[0] for m in mail.outbox) == ["max@alice.test", "pat@alice.test"]
    sms_channel.outbox.clear()


def test_a_late_arrival_tells_the_guardians_once_with_the_late_template(
    cast, school_year, att, api, django_capture_on_commit_callbacks
):
    sms_channel.outbox.clear()
    seed_notifications(report=_Report(), school=cast.school)
    cast.parent.phone = "+91 98450 00001"
    cast.parent.save()
    client = api(cast.teacher.user)
    late = {"student": str(cast.student.pk), "status": "late", "late_minutes": 15}
    for _ in range(2):  # saved twice: one alert
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                MARK,
                {"section": str(school_year.sec_a.pk), "date": att.day.isoformat(),
                 "entries": [late]},
                format="json",
            )  # fmt: skip
            assert response.status_code == 200, response.content
    by_channel = {}
    for d in Delivery.objects.filter(kind="attendance.late"):
        by_channel.setdefault((d.recipient_id, d.channel), []).append(d.status)
    pat, max_ = cast.parent.pk, att.second_guardian.pk
    assert by_channel == {
        (pat, "in_app"): ["delivered"],
        (pat, "email"): ["delivered"],
        (pat, "sms"): ["delivered"],
        (max_, "in_app"): ["delivered"],
        (max_, "email"): ["delivered"],
        (max_, "sms"): ["suppressed"],  # no phone on file
    }
    (sms,) = sms_channel.outbox
    assert sms.text == (
        f"Dear parent, Sam Student arrived late to school on {att.day.isoformat()}. - Schools24"
    )
    assert sms.dlt_template_id == "1107170000000000103"
    assert not Delivery.objects.filter(kind="attendance.absent").exists()
    sms_channel.outbox.clear()
