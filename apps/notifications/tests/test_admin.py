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
