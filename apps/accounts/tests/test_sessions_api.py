"""Signed-in devices: listed with the current one marked, and signed out one at a time."""

from __future__ import annotations

import time_machine
from django_celery_beat.models import PeriodicTask
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from apps.accounts.models import TokenFamily
from apps.accounts.tasks import PURGE_SESSIONS_TASK, purge_expired_sessions
from apps.accounts.tests.factories import PASSWORD
from apps.core.models import AuditLog

TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
SESSIONS = "/api/v1/auth/sessions/"


def sign_in(user, agent: str, address: str = "203.0.113.7") -> tuple[APIClient, dict]:
    client = APIClient(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    response = client.post(TOKEN, {"email": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    tokens = response.json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client, tokens


def test_a_user_lists_their_devices_with_the_current_one_marked(cast):
    phone, _ = sign_in(cast.parent, "Schools24/2.1 (Android 14)", "198.51.100.4")
    laptop, _ = sign_in(cast.parent, "Mozilla/5.0 (X11; Linux)")
    sign_in(cast.teacher.user, "Someone else's phone")

    response = laptop.get(SESSIONS)

    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [row["client"] for row in rows] == [
        "Mozilla/5.0 (X11; Linux)",
        "Schools24/2.1 (Android 14)",
    ]
    assert [row["current"] for row in rows] == [True, False]
    assert rows[1]["ip_address"] == "198.51.100.4"
    for row in rows:
        assert row["signed_in_at"] and row["last_used_at"] and row["expires_at"]
    assert phone.get(SESSIONS).json()["results"][1]["current"] is True


def test_a_refresh_counts_as_a_use(cast):
    client, tokens = sign_in(cast.parent, "Phone")
    family = TokenFamily.objects.get(user=cast.parent)
    before = family.last_used_at
    assert client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 200
    family.refresh_from_db()
    assert family.last_used_at > before


def test_signing_a_device_out_ends_its_tokens_and_keeps_the_others(cast):
    phone, phone_tokens = sign_in(cast.parent, "Phone")
    laptop, _ = sign_in(cast.parent, "Laptop")
    phone_session = TokenFamily.objects.get(user=cast.parent, client="Phone")

    response = laptop.delete(f"{SESSIONS}{phone_session.pk}/")

    assert response.status_code == 204
    assert phone.get("/api/v1/me/").status_code == 401  # its access token at once
    refused = APIClient().post(REFRESH, {"refresh": phone_tokens["refresh"]}, format="json")
    assert refused.status_code == 401
    assert laptop.get("/api/v1/me/").status_code == 200
    assert [row["client"] for row in laptop.get(SESSIONS).json()["results"]] == ["Laptop"]
    entry = AuditLog.objects.get(action="session.end")
    assert (entry.actor_id, entry.object_id) == (cast.parent.pk, str(phone_session.pk))
    # signed out already: gone
    assert laptop.delete(f"{SESSIONS}{phone_session.pk}/").status_code == 404


def test_another_users_session_is_not_found(cast):
    _, _ = sign_in(cast.parent, "Parent's phone")
    teacher, _ = sign_in(cast.teacher.user, "Teacher's laptop")
    theirs = TokenFamily.objects.get(user=cast.parent)

    assert teacher.delete(f"{SESSIONS}{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert APIClient().get(SESSIONS).status_code == 401


def test_the_purge_deletes_sessions_and_tokens_past_their_limit_and_keeps_live_ones(cast, settings):
    settings.JWT_EXPIRY_HOURS = 24
    with time_machine.travel("2026-03-02 08:00:00+00:00", tick=False):
        _, old_tokens = sign_in(cast.parent, "Old phone")
    with time_machine.travel("2026-03-03 07:00:00+00:00", tick=False):
        laptop, laptop_tokens = sign_in(cast.parent, "Laptop")
    assert OutstandingToken.objects.filter(user=cast.parent).count() == 2

    with time_machine.travel("2026-03-03 09:00:00+00:00", tick=False):
        assert purge_expired_sessions.delay().get() == {"sessions": 1, "tokens": 1}
        assert purge_expired_sessions.delay().get() == {"sessions": 0, "tokens": 0}

        assert list(TokenFamily.objects.values_list("client", flat=True)) == ["Laptop"]
        assert OutstandingToken.objects.filter(user=cast.parent).count() == 1
        # The purged session's refresh token is refused cleanly; the live one still works.
        refused = APIClient().post(REFRESH, {"refresh": old_tokens["refresh"]}, format="json")
        assert refused.status_code == 401, refused.content
        fresh = APIClient().post(REFRESH, {"refresh": laptop_tokens["refresh"]}, format="json")
        assert fresh.status_code == 200, fresh.content


def test_the_purge_is_installed_as_a_periodic_task(db):
    task = PeriodicTask.objects.get(name="purge expired sign-in sessions")
    assert task.task == PURGE_SESSIONS_TASK
    assert task.interval.every == 6 * 3600
