"""The notifications admin: read-only, scoped to the school."""

from __future__ import annotations

import pytest
from django.urls import reverse

from .factories import NotificationFactory

pytestmark = pytest.mark.django_db


def test_school_admin_sees_own_schools_notifications_read_only(client, cast):
    mine = NotificationFactory(recipient=cast.parent, title="Alice school notice")
    other = NotificationFactory(recipient=cast.admin2, title="Bob school notice")
    client.force_login(cast.admin)

    changelist = client.get(reverse("admin:notifications_notification_changelist"))
    assert changelist.status_code == 200
    body = changelist.content.decode()
    assert "Alice school notice" in body and "Bob school notice" not in body

    found = client.get(reverse("admin:notifications_notification_changelist") + "?q=pat@alice")
    assert "Alice school notice" in found.content.decode()
    filtered = client.get(reverse("admin:notifications_notification_changelist") + "?read=no")
    assert filtered.status_code == 200 and "Alice school notice" in filtered.content.decode()

    detail = client.get(reverse("admin:notifications_notification_change", args=[mine.pk]))
    assert detail.status_code == 200
    assert 'name="title"' not in detail.content.decode()  # read-only: no input
    assert client.get(reverse("admin:notifications_notification_add")).status_code == 403
    response = client.get(reverse("admin:notifications_notification_change", args=[other.pk]))
    assert response.status_code == 302  # another school's row "does not exist"


def test_accountant_without_permission_does_not_see_them(client, cast):
    NotificationFactory(recipient=cast.parent)
    client.force_login(cast.accountant.user)
    response = client.get(reverse("admin:notifications_notification_changelist"))
    assert response.status_code == 403


def test_deliveries_and_sms_templates_in_the_admin(client, cast):
    from apps.notifications.models import Delivery
    from apps.notifications.services import notify

    from .factories import SmsTemplateFactory

    notify(recipients=[cast.parent, cast.admin2], kind="general", title="Hello", body="B")
    SmsTemplateFactory(school=cast.school, dlt_template_id="ALICE-DLT")
    SmsTemplateFactory(school=cast.school2, dlt_template_id="BOB-DLT")
    client.force_login(cast.admin)
    url = reverse("admin:notifications_delivery_changelist")
    body = client.get(url).content.decode()
    assert "pat@alice.test" in body and "bob@bob.test" not in body
    filtered = client.get(url + "?status__exact=delivered&channel__exact=in_app").content.decode()
    assert "pat@alice.test" in filtered
    assert (
        "pat@alice.test" not in client.get(url + "?status__exact=failed_permanent").content.decode()
    )
    assert client.get(url + "?provider__exact=locmem").status_code == 200
    mine = Delivery.objects.get(recipient=cast.parent, channel="email")
    detail = client.get(reverse("admin:notifications_delivery_change", args=[mine.pk]))
    assert detail.status_code == 200 and "queued" in detail.content.decode()
    other = Delivery.objects.get(recipient=cast.admin2, channel="email")
    assert (
        client.get(reverse("admin:notifications_delivery_change", args=[other.pk])).status_code
        == 302
    )

    templates = client.get(reverse("admin:notifications_smstemplate_changelist")).content.decode()
    assert "ALICE-DLT" in templates and "BOB-DLT" not in templates
    added = client.post(
        reverse("admin:notifications_smstemplate_add"),
        {"kind": "fees.reminder", "language": "hi", "text": "{#var#} का शुल्क {#var#} तक देय है",
         "variables": '["student", "date"]', "dlt_template_id": "1107", "sender_header": "ALICES",
         "category": "transactional", "is_active": "on"},
    )  # fmt: skip
    assert added.status_code == 302, added.content.decode()[:2000]
    wrong = client.post(
        reverse("admin:notifications_smstemplate_add"),
        {"kind": "fees.reminder", "language": "en", "text": "{#var#} due", "variables": "[]",
         "dlt_template_id": "1108", "sender_header": "ALICES", "category": "transactional"},
    )  # fmt: skip
    assert wrong.status_code == 200 and "variables" in wrong.content.decode()
