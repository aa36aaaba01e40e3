"""The signed-in principal is cached per session: an authenticated request costs no query for
the user, their school, their session or their duties, and every change to any of them reaches
the very next request."""

from __future__ import annotations

import re
import socket

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from apps.accounts.duties import ACCOUNTANT, TRANSPORT_MANAGER
from apps.accounts.models import Role, School, TokenFamily, User
from apps.accounts.tests.factories import PASSWORD, UserFactory
from apps.core import throttling
from apps.core.codecs import Codec
from apps.core.testing import redis_round_trips

TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
SESSIONS = "/api/v1/auth/sessions/"
UNREAD = "/api/v1/notifications/unread-count/"
STUDENTS = "/api/v1/students/"
# Tables authentication reads. A request whose principal is cached queries none of them (the
# views used here read other tables for their bodies, joining the user at most).
AUTH_TABLES = {
    "accounts_user",
    "accounts_school",
    "accounts_tokenfamily",
    "auth_permission",
    "auth_group",
    "accounts_user_groups",
}


def _reads_auth_table(sql: str) -> bool:
    main = re.search(r'\bFROM "(\w+)"', sql)
    return bool(main and main.group(1) in AUTH_TABLES)


def sign_in(user, agent: str = "Phone") -> tuple[APIClient, dict]:
    client = APIClient(HTTP_USER_AGENT=agent)
    response = client.post(TOKEN, {"email": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    tokens = response.json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client, tokens


def auth_queries(client: APIClient, path: str, expected_status: int = 200) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == expected_status, response.content
    return [q["sql"] for q in queries.captured_queries if _reads_auth_table(q["sql"])]


def refused(client: APIClient, code: str) -> None:
    response = client.get(UNREAD)
    assert response.status_code == 401, response.content
    assert response.json()["error"]["code"] == code


def warm(client: APIClient, path: str = UNREAD) -> None:
    """Two requests: the first caches the principal, the second must be served from it."""
    assert client.get(path).status_code == 200
    assert auth_queries(client, path) == []


# --- What a cached request costs --------------------------------------------------------------
@pytest.mark.parametrize("persona", ["admin", "teacher", "student", "parent", "accountant"])
def test_the_second_request_makes_no_authentication_query(cast, persona):
    client, _tokens = sign_in(cast.user(persona))
    first = auth_queries(client, UNREAD)
    # User, school and session state in one query, as before; a staff member's duties in two.
    assert len(first) == (3 if persona == "accountant" else 1)
    with CaptureQueriesContext(connection) as second:
        assert client.get(UNREAD).json() == {"unread_count": 0}
    assert [q["sql"] for q in second.captured_queries if "accounts_" in q["sql"]] == []
    assert len(second) == 1  # the unread count itself


def test_a_cached_request_costs_one_redis_round_trip(cast):
    """The entry, the user's generation and the view's throttle window: one pipeline."""
    client, _tokens = sign_in(cast.teacher.user)
    warm(client)
    with redis_round_trips() as trips, CaptureQueriesContext(connection) as queries:
        assert client.get(UNREAD).status_code == 200
    assert trips == [b"MGET"]
    assert [q["sql"] for q in queries.captured_queries if "accounts_" in q["sql"]] == []


def test_a_staff_members_duties_are_cached_too(cast):
    client, _tokens = sign_in(cast.accountant.user)
    assert client.get(STUDENTS).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(STUDENTS).json()["count"] == 3
    assert not [q for q in queries.captured_queries if "auth_permission" in q["sql"]]


def test_the_cached_principal_is_a_full_user(cast):
    """Views, scopes and services get a real User with its school; the password hash is never
    written to Redis and loads when a service needs it (a password change)."""
    user = cast.teacher.user
    client, _tokens = sign_in(user)
    warm(client)
    family = TokenFamily.objects.get(user=user)
    raw = list(get_redis_connection("default").scan_iter(f"*principal:v1:fam:{family.pk}"))
    assert len(raw) == 1
    stored = Codec.decode(get_redis_connection("default").get(raw[0]))
    assert user.email.encode() in stored and cast.school.name.encode() in stored
    assert User.objects.get(pk=user.pk).password.encode() not in stored

    response = client.post(
        "/api/v1/auth/password/change/",
        {"old_password": PASSWORD, "new_password": "another-long-passphrase-9"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert User.objects.get(pk=user.pk).check_password("another-long-passphrase-9")
    refused(client, "session_revoked")  # the change signed every session out, this one too


# --- Every change reaches the next request -----------------------------------------------------
def test_a_deactivated_user_is_refused_at_once(cast):
    client, _tokens = sign_in(cast.parent)
    warm(client)
    admin, _ = sign_in(cast.admin, "Office")
    assert admin.post(f"/api/v1/users/{cast.parent.pk}/deactivate/").status_code == 200
    refused(client, "user_inactive")
    assert admin.post(f"/api/v1/users/{cast.parent.pk}/activate/").status_code == 200
    refused(client, "session_revoked")  # deactivation signed them out everywhere


def test_a_deactivated_user_is_refused_even_with_a_token_without_session(cast, api):
    client = api(cast.parent)  # simplejwt's own token: cached per user, not per session
    warm(client)
    cast.admin.refresh_from_db()
    sign_in(cast.admin)[0].post(f"/api/v1/users/{cast.parent.pk}/deactivate/")
    refused(client, "user_inactive")


def test_a_school_marked_inactive_stops_its_people_at_once(client, cast):
    teacher, _tokens = sign_in(cast.teacher.user)
    other_school, _ = sign_in(cast.admin2)
    warm(teacher)
    warm(other_school)
    root = UserFactory(school=None, role=Role.ADMIN, is_superuser=True, is_staff=True)
    client.force_login(root)
    response = client.post(
        reverse("admin:accounts_school_change", args=[cast.school.pk]),
        {"name": cast.school.name, "code": "alice", "timezone": "Asia/Kolkata", "is_active": ""},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert School.objects.get(pk=cast.school.pk).is_active is False
    refused(teacher, "user_inactive")
    assert auth_queries(other_school, UNREAD) == []  # another school's people stay cached

    school = School.objects.get(pk=cast.school.pk)
    school.is_active = True
    school.save(update_fields=["is_active", "updated_at"])
    assert teacher.get(UNREAD).status_code == 200


def test_a_school_rename_reaches_cached_principals(cast):
    teacher, _tokens = sign_in(cast.teacher.user)
    warm(teacher)
    admin, _ = sign_in(cast.admin, "Office")
    response = admin.patch(f"/api/v1/schools/{cast.school.pk}/", {"name": "Alice Academy"})
    assert response.status_code == 200, response.content
    assert len(auth_queries(teacher, UNREAD)) == 1  # read again, then cached again
    assert auth_queries(teacher, UNREAD) == []


def test_a_device_signed_out_loses_its_access_token_at_once(cast):
    phone, _ = sign_in(cast.parent, "Phone")
    laptop, _ = sign_in(cast.parent, "Laptop")
    warm(phone)
    warm(laptop)
    session = TokenFamily.objects.get(user=cast.parent, client="Phone")
    assert laptop.delete(f"{SESSIONS}{session.pk}/").status_code == 204
    refused(phone, "session_revoked")
    assert laptop.get(UNREAD).status_code == 200


def test_sign_out_ends_the_access_token_at_once(cast):
    phone, tokens = sign_in(cast.student.user)
    warm(phone)
    response = phone.post("/api/v1/auth/logout/", {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 205
    refused(phone, "session_revoked")


def test_a_reused_refresh_token_ends_the_cached_session(cast):
    phone, tokens = sign_in(cast.student.user)
    warm(phone)
    anonymous = APIClient()
    assert anonymous.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 200
    assert auth_queries(phone, UNREAD) == []  # a rotation changes nothing cached
    reuse = anonymous.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert reuse.json()["error"]["code"] == "token_reused"
    refused(phone, "session_revoked")


def test_a_duty_taken_away_takes_effect_on_the_next_request(client, cast):
    staff = cast.accountant.user
    accountant, _tokens = sign_in(staff)
    warm(accountant, STUDENTS)
    client.force_login(cast.admin)
    transport = Group.objects.get(name=TRANSPORT_MANAGER)
    response = client.post(
        reverse("admin:accounts_user_change", args=[staff.pk]),
        {"email": staff.email, "full_name": staff.full_name, "is_active": "on"}
        | {"groups": [str(transport.pk)]},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    # A transport manager sees students but not the school's people.
    assert accountant.get(STUDENTS).status_code == 200
    assert accountant.get("/api/v1/users/").status_code == 403

    # A duty's own permissions changing reaches its members too.
    transport.permissions.clear()
    assert accountant.get(STUDENTS).status_code == 403
    Group.objects.get(name=ACCOUNTANT).user_set.add(staff)
    assert accountant.get("/api/v1/users/").status_code == 200


def test_a_duty_deleted_or_a_user_deleted_takes_effect_on_the_next_request(cast):
    accountant, _tokens = sign_in(cast.accountant.user)
    warm(accountant, STUDENTS)
    Group.objects.get(name=ACCOUNTANT).delete()
    assert accountant.get(STUDENTS).status_code == 403

    parent, _tokens = sign_in(cast.parent)
    warm(parent)
    User.objects.get(pk=cast.parent.pk).delete()
    refused(parent, "user_not_found")


def test_a_role_change_takes_effect_on_the_next_request(cast):
    teacher, _tokens = sign_in(cast.teacher.user)
    warm(teacher)
    assert teacher.get("/api/v1/audit-log/").status_code == 403
    user = User.objects.get(pk=cast.teacher.user.pk)
    user.role = Role.ADMIN
    user.save(update_fields=["role", "updated_at"])
    assert teacher.get("/api/v1/audit-log/").status_code == 200


# --- Redis down: the database answers -----------------------------------------------------------
@pytest.fixture
def cache_down(settings, monkeypatch):
    def down():
        with socket.socket() as sock:  # a port nothing listens on
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        settings.CACHES = {
            "default": {
                **settings.CACHES["default"],
                "LOCATION": f"redis://127.0.0.1:{port}/0",
                "OPTIONS": {**settings.CACHES["default"]["OPTIONS"], "SOCKET_CONNECT_TIMEOUT": 1},
            }
        }
        # The request throttles live in the same Redis; they are not what is tested here.
        monkeypatch.setattr(throttling.UserRateThrottle, "allow_request", lambda *a: True)

    return down


def test_with_the_cache_down_authentication_reads_the_database(cast, cache_down):
    client, _tokens = sign_in(cast.accountant.user)
    warm(client, STUDENTS)
    cache_down()
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(STUDENTS).json()["count"] == 3
        assert sum('"accounts_tokenfamily"' in q["sql"] for q in queries.captured_queries) == 1


def test_with_the_cache_down_a_deactivation_is_refused_not_left_stale(cast, cache_down):
    parent, _tokens = sign_in(cast.parent)
    admin, _ = sign_in(cast.admin, "Office")
    warm(parent)
    cache_down()
    response = admin.post(f"/api/v1/users/{cast.parent.pk}/deactivate/")
    # The cached session could not be invalidated, so the change is not made (and can be
    # retried) rather than made while a stale entry could still serve it later.
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    assert User.objects.get(pk=cast.parent.pk).is_active is True


def test_a_password_hash_rewritten_alone_keeps_sessions_cached(cast):
    """The hash (upgraded to the first hasher at a sign-in) is not cached; a password change,
    which does sign every session out, is tested above."""
    client, _tokens = sign_in(cast.student.user)
    warm(client)
    user = User.objects.get(pk=cast.student.user.pk)
    user.save(update_fields=["password"])
    assert auth_queries(client, UNREAD) == []
    user.save(update_fields=["phone", "updated_at"])
    assert len(auth_queries(client, UNREAD)) == 1


@pytest.mark.parametrize("persona", ["admin", "teacher", "student", "accountant"])
def test_me_is_answered_without_a_query_from_a_cached_principal(cast, persona):
    user = cast.user(persona)
    client, _tokens = sign_in(user)
    warm(client, "/api/v1/me/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/me/")
    assert response.status_code == 200
    body = response.json()
    assert (body["email"], body["school_detail"]["id"]) == (user.email, str(cast.school.pk))
    assert len(queries) == 0, [q["sql"][:120] for q in queries.captured_queries]
