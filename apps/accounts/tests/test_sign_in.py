"""Sign-in rules shared by both doors (the API's token endpoint and the admin's login form):
the lockout, normalised addresses, and inactive schools."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from apps.accounts.models import School
from apps.accounts.tests.factories import PASSWORD
from apps.calendar import services as calendar_services

TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
ADMIN_LOGIN = reverse("admin:login")
LOCKED = "Too many failed sign-in attempts"


def api_login(email, password=PASSWORD, **extra):
    return APIClient().post(TOKEN, {"email": email, "password": password}, format="json", **extra)


def admin_login(client, email, password=PASSWORD, **extra):
    return client.post(
        ADMIN_LOGIN, {"username": email, "password": password, "next": "/admin/"}, **extra
    )


def _signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


# --- The admin login form has the API's lockout ------------------------------------------------
def test_admin_login_locks_the_account_even_for_the_right_password(client, cast, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        response = admin_login(client, cast.admin.email, "not-the-password")
        assert response.status_code == 200
        assert LOCKED not in response.content.decode()
    response = admin_login(client, cast.admin.email)
    assert response.status_code == 200  # the form again, not the redirect into the admin
    assert LOCKED in response.content.decode()
    assert response.context["form"].errors["__all__"][0].startswith(LOCKED)
    assert not _signed_in(client)
    # the API door is locked for this account too: one counter
    locked = api_login(cast.admin.email)
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "locked_out"


def test_failures_at_either_door_count_against_one_limit(client, cast, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    assert api_login(cast.admin.email, "bad-one").status_code == 401
    assert admin_login(client, cast.admin.email, "bad-two").status_code == 200
    assert api_login(cast.admin.email, "bad-three").status_code == 401
    assert LOCKED in admin_login(client, cast.admin.email).content.decode()
    assert not _signed_in(client)


def test_admin_login_locks_a_client_guessing_many_accounts(client, cast, settings):
    settings.LOGIN_CLIENT_FAILURE_LIMIT = 3
    for index in range(3):
        admin_login(client, f"guess{index}@alice.test", "bad", REMOTE_ADDR="10.8.8.8")
    response = admin_login(client, cast.admin.email, REMOTE_ADDR="10.8.8.8")
    assert LOCKED in response.content.decode()
    assert not _signed_in(client)
    # the account itself is not locked: from another address it signs in
    assert admin_login(client, cast.admin.email, REMOTE_ADDR="10.8.8.9").status_code == 302
    assert _signed_in(client)


def test_admin_login_success_clears_the_accounts_failures(client, cast, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    admin_login(client, cast.admin.email, "bad")
    admin_login(client, cast.admin.email, "bad")
    assert admin_login(client, cast.admin.email).status_code == 302
    client.logout()
    admin_login(client, cast.admin.email, "bad")
    admin_login(client, cast.admin.email, "bad")
    assert admin_login(client, cast.admin.email).status_code == 302


# --- One counter per account, whatever the spelling ---------------------------------------------
def test_look_alike_spellings_share_the_accounts_counter(cast, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for spelling in ["alice@\uff41lice.test", "ALICE@Alice.TEST", " alice@alice.test "]:
        assert api_login(spelling, "not-the-password").status_code == 401
    locked = api_login("alice@alice.test")
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "locked_out"


def test_look_alike_spellings_of_an_unknown_address_share_a_counter(db, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    assert api_login("ghost@\uff47host.test", "x-guess").status_code == 401
    assert api_login("GHOST@ghost.test", "x-guess").status_code == 401
    assert api_login("ghost@ghost.test", "x-guess").status_code == 429


def test_a_full_width_spelling_is_the_same_account(cast):
    response = api_login("alice@\uff41lice.test")
    assert response.status_code == 200
    assert response.json()["user"]["email"] == "alice@alice.test"


@pytest.mark.parametrize("email", ["alice@al\u0131ce.test", "alice@alice.tes\u1e6b"])
def test_addresses_not_plain_ascii_after_normalisation_are_refused(cast, email):
    response = api_login(email)
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "validation_error"
    assert "plain Latin letters" in body["fields"]["email"][0]


def test_admin_login_refuses_addresses_not_plain_ascii(client, cast):
    response = admin_login(client, "alice@al\u0131ce.test")
    assert response.status_code == 200
    assert "plain Latin letters" in response.content.decode()
    assert not _signed_in(client)


# --- A school marked inactive ------------------------------------------------------------------
def _set_school_active(school, active: bool) -> None:
    # Saved as the platform admin's school form saves it (a raw UPDATE would bypass the
    # invalidation of cached sessions, as it bypasses every save signal).
    school = School.objects.get(pk=school.pk)
    school.is_active = active
    school.save(update_fields=["is_active", "updated_at"])


def test_inactive_school_stops_sign_in_tokens_sessions_and_feeds(client, cast):
    tokens = api_login(cast.teacher.user.email).json()
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert bearer.get("/api/v1/me/").status_code == 200
    _token, feed_secret = calendar_services.feed_token_create(user=cast.teacher.user)
    feed = f"/api/v1/calendar/feed/{feed_secret}.ics"
    assert APIClient().get(feed).status_code == 200
    admin_session = client
    assert admin_login(admin_session, cast.admin.email).status_code == 302
    assert _signed_in(admin_session)

    _set_school_active(cast.school, False)

    me = bearer.get("/api/v1/me/")
    assert me.status_code == 401
    assert me.json()["error"]["code"] == "user_inactive"
    assert APIClient().post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == (
        401
    )
    refused = api_login(cast.teacher.user.email)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_credentials"
    assert APIClient().get(feed).status_code == 404
    assert not _signed_in(admin_session)  # the existing admin session stops too
    assert admin_login(admin_session, cast.admin.email).status_code == 200
    assert not _signed_in(admin_session)
    # the other school is untouched
    assert api_login(cast.admin2.email).status_code == 200

    _set_school_active(cast.school, True)
    assert bearer.get("/api/v1/me/").status_code == 200
    assert APIClient().get(feed).status_code == 200
    assert api_login(cast.teacher.user.email).status_code == 200


def test_new_sign_in_messages_speak_hindi(cast):
    response = api_login("alice@al\u0131ce.test", HTTP_ACCEPT_LANGUAGE="hi")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["email"] == [
        "ईमेल पता सामान्य लैटिन अक्षरों, अंकों और विराम चिह्नों में लिखें।"
    ]
    first = api_login(cast.admin.email).json()["refresh"]
    APIClient().post(REFRESH, {"refresh": first}, format="json")
    reused = APIClient().post(REFRESH, {"refresh": first}, format="json", HTTP_ACCEPT_LANGUAGE="hi")
    assert reused.status_code == 401
    assert reused.json()["error"]["message"].startswith("यह रिफ़्रेश टोकन पहले ही")


def test_password_reset_finds_the_account_by_a_look_alike_spelling(
    cast, django_capture_on_commit_callbacks
):
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        response = APIClient().post(
            "/api/v1/auth/password/reset/", {"email": "tara@\uff41lice.test"}, format="json"
        )
    assert response.status_code == 202
    assert [message.to for message in mail.outbox] == [["tara@alice.test"]]
