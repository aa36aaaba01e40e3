"""Signing out everywhere (password change or reset, deactivation) also ends calendar feeds;
passwords need twelve characters."""

from __future__ import annotations

import re

from django.core import mail
from rest_framework.test import APIClient

from apps.accounts.tests.factories import PASSWORD
from apps.calendar import services as calendar_services
from apps.calendar.models import CalendarFeedToken
from apps.core.models import AuditLog

CHANGE = "/api/v1/auth/password/change/"
NEW_PASSWORD = "a-much-better-secret-42"


def _feed(user):
    token, plain = calendar_services.feed_token_create(user=user)
    url = f"/api/v1/calendar/feed/{plain}.ics"
    assert APIClient().get(url).status_code == 200
    return token, url


def test_password_change_revokes_calendar_feeds(cast, api):
    token, url = _feed(cast.teacher.user)
    _other_token, other_url = _feed(cast.admin)
    response = api(cast.teacher.user).post(
        CHANGE, {"old_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert APIClient().get(url).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is not None
    entry = AuditLog.objects.get(action="calendar_feed_token.revoke", object_id=str(token.pk))
    assert entry.after["revoked_at"] is not None
    assert APIClient().get(other_url).status_code == 200  # someone else's feed lives on


def test_password_reset_revokes_calendar_feeds(cast, django_capture_on_commit_callbacks):
    _token, url = _feed(cast.teacher.user)
    client = APIClient()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/api/v1/auth/password/reset/", {"email": "tara@alice.test"}, format="json")
    body = mail.outbox[0].body
    uid = re.search(r"uid ([\w-]+)", body).group(1)
    token = re.search(r"token ([\w-]+)", body).group(1)
    confirm = client.post(
        "/api/v1/auth/password/reset/confirm/",
        {"uid": uid, "token": token, "new_password": NEW_PASSWORD},
        format="json",
    )
    assert confirm.status_code == 200
    assert APIClient().get(url).status_code == 404


def test_deactivation_revokes_calendar_feeds_for_good(cast, api):
    token, url = _feed(cast.teacher.user)
    admin = api(cast.admin)
    assert admin.post(f"/api/v1/users/{cast.teacher.user.pk}/deactivate/").status_code == 200
    assert APIClient().get(url).status_code == 404
    assert admin.post(f"/api/v1/users/{cast.teacher.user.pk}/activate/").status_code == 200
    # Reactivated, the person signs in again, but the old feed address stays dead.
    assert APIClient().get(url).status_code == 404
    assert CalendarFeedToken.objects.get(pk=token.pk).revoked_at is not None


def test_passwords_need_twelve_characters(cast, api):
    client = api(cast.teacher.user)
    short = client.post(
        CHANGE,
        {"old_password": PASSWORD, "new_password": "kq8#Lm2!xZ9"},  # 11 characters
        format="json",
    )
    assert short.status_code == 400
    assert "at least 12 characters" in " ".join(short.json()["error"]["fields"]["new_password"])
    ok = client.post(
        CHANGE,
        {"old_password": PASSWORD, "new_password": "kq8#Lm2!xZ9p"},  # 12 characters
        format="json",
    )
    assert ok.status_code == 200
