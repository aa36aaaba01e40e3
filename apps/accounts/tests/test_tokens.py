"""Refresh tokens: a session is bounded from the password sign-in, and reusing a rotated
refresh token ends the whole session (every token descended from that sign-in)."""

from __future__ import annotations

import datetime as dt
import threading

import jwt
import pytest
from django.db import connection
from rest_framework.test import APIClient

from apps.accounts.models import TokenFamily
from apps.accounts.services import tokens as token_service
from apps.accounts.tests.factories import PASSWORD, UserFactory

TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"


def sign_in(email="alice@alice.test"):
    response = APIClient().post(TOKEN, {"email": email, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    return response.json()


def refresh(token):
    return APIClient().post(REFRESH, {"refresh": token}, format="json")


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def me(access):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get("/api/v1/me/")


# --- Absolute limit ----------------------------------------------------------------------------
def test_rotation_keeps_the_sign_in_time_and_never_extends_the_session(cast, settings):
    settings.JWT_EXPIRY_HOURS = 24
    first = sign_in()
    signed_in = claims(first["refresh"])["auth_time"]
    assert claims(first["refresh"])["exp"] == signed_in + 24 * 3600
    current = first["refresh"]
    for _ in range(3):
        response = refresh(current)
        assert response.status_code == 200
        current = response.json()["refresh"]
        rotated = claims(current)
        assert rotated["auth_time"] == signed_in
        assert rotated["exp"] == signed_in + 24 * 3600  # not "now + 24 hours"
        assert claims(response.json()["access"])["exp"] <= signed_in + 24 * 3600


def test_refresh_is_refused_once_the_sign_in_is_older_than_the_limit(cast, settings, monkeypatch):
    settings.JWT_EXPIRY_HOURS = 24
    first = sign_in()
    second = refresh(first["refresh"]).json()["refresh"]
    signed_in = dt.datetime.fromtimestamp(claims(first["refresh"])["auth_time"], tz=dt.UTC)
    # 23h59m after the password sign-in: still fine.
    monkeypatch.setattr(token_service, "_now", lambda: signed_in + dt.timedelta(hours=23.98))
    response = refresh(second)
    assert response.status_code == 200
    third = response.json()["refresh"]
    # Past 24 hours, the freshly rotated token is refused although its signature is valid.
    monkeypatch.setattr(token_service, "_now", lambda: signed_in + dt.timedelta(hours=24.01))
    expired = refresh(third)
    assert expired.status_code == 401
    assert expired.json()["error"]["code"] == "session_expired"


# --- Reuse revokes the family ------------------------------------------------------------------
def test_reusing_a_rotated_token_ends_the_whole_session(cast):
    first = sign_in()
    second = refresh(first["refresh"]).json()["refresh"]
    third = refresh(second).json()["refresh"]  # the latest, legitimately rotated token

    reused = refresh(first["refresh"])  # e.g. a thief replaying a stolen, already-used token
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "token_reused"

    latest = refresh(third)
    assert latest.status_code == 401
    assert latest.json()["error"]["code"] == "session_revoked"
    family = TokenFamily.objects.get(pk=claims(third)["fam"])
    assert family.revoked_at is not None and family.revoked_reason == "reuse"


def test_reuse_ends_only_that_sign_in(cast):
    phone = sign_in()
    laptop = sign_in()
    refresh(phone["refresh"])
    assert refresh(phone["refresh"]).status_code == 401  # reuse on the phone's session
    assert refresh(laptop["refresh"]).status_code == 200  # the laptop's session lives on
    assert TokenFamily.objects.filter(user=cast.admin, revoked_at__isnull=True).count() == 1


def test_sign_out_ends_the_session(cast, api):
    tokens = sign_in()
    response = api(cast.admin).post(
        "/api/v1/auth/logout/", {"refresh": tokens["refresh"]}, format="json"
    )
    assert response.status_code == 205
    assert TokenFamily.objects.get(pk=claims(tokens["refresh"])["fam"]).revoked_reason == (
        "sign_out"
    )
    assert refresh(tokens["refresh"]).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_uses_of_one_token_end_the_session():
    UserFactory(email="twice@x.test")
    tokens = sign_in("twice@x.test")
    barrier = threading.Barrier(2)
    results: list = []
    lock = threading.Lock()

    def use():
        try:
            barrier.wait()
            response = refresh(tokens["refresh"])
            with lock:
                results.append(response)
        finally:
            connection.close()

    threads = [threading.Thread(target=use) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 401]
    winner = next(r for r in results if r.status_code == 200).json()["refresh"]
    assert refresh(winner).status_code == 401  # the session is over for both


def test_a_token_issued_before_sessions_existed_is_adopted_once(cast):
    from rest_framework_simplejwt.tokens import RefreshToken

    legacy = str(RefreshToken.for_user(cast.admin))
    response = refresh(legacy)
    assert response.status_code == 200
    assert claims(response.json()["refresh"])["fam"]
    assert refresh(legacy).status_code == 401  # used up like any other


def test_new_sign_in_access_token_works(cast):
    assert me(sign_in()["access"]).json()["email"] == "alice@alice.test"


def test_access_tokens_of_an_ended_session_are_refused_at_once(cast):
    first = sign_in()
    rotated = refresh(first["refresh"]).json()
    other = sign_in()
    assert me(rotated["access"]).status_code == 200
    refresh(first["refresh"])  # reuse ends the first session
    refused = me(rotated["access"])
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "session_revoked"
    assert me(first["access"]).status_code == 401
    assert me(other["access"]).status_code == 200  # another sign-in is not affected


def test_password_change_ends_every_sessions_access_tokens(cast):
    tokens = sign_in("tara@alice.test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    changed = client.post(
        "/api/v1/auth/password/change/",
        {"old_password": PASSWORD, "new_password": "a-much-better-secret-42"},
        format="json",
    )
    assert changed.status_code == 200
    assert client.get("/api/v1/me/").status_code == 401
    assert refresh(tokens["refresh"]).status_code == 401


def test_the_session_check_costs_no_extra_query(cast, api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as plain:
        assert api(cast.admin).get("/api/v1/me/").status_code == 200  # token without a session
    access = sign_in()["access"]
    with CaptureQueriesContext(connection) as with_session:
        assert me(access).status_code == 200
    assert len(with_session) == len(plain)
    user_query = with_session.captured_queries[0]["sql"]
    assert "accounts_tokenfamily" in user_query and "accounts_school" in user_query
