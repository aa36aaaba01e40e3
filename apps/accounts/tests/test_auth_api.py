from __future__ import annotations

import re
import threading

import pytest
from django.core import mail
from django.db import connection
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.accounts.tests.factories import PASSWORD, UserFactory
from apps.core.models import AuditLog

TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"


def login(email, password=PASSWORD, client=None, **extra):
    return (client or APIClient()).post(
        TOKEN, {"email": email, "password": password}, format="json", **extra
    )


def test_login_returns_tokens_and_user_summary_case_insensitively(cast):
    response = login("ALICE@Alice.Test")
    assert response.status_code == 200
    body = response.json()
    assert body["access"] and body["refresh"]
    assert body["user"] == {
        "id": str(cast.admin.pk),
        "email": "alice@alice.test",
        "full_name": "Alice Admin",
        "role": "admin",
        "school": {"id": str(cast.school.pk), "name": "Alice Public School", "code": "alice"},
    }
    cast.admin.refresh_from_db()
    assert cast.admin.last_login is not None
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert me.get("/api/v1/me/").json()["email"] == "alice@alice.test"


def test_wrong_password_and_inactive_account_answer_the_same_401(cast):
    wrong = login("alice@alice.test", "not-the-password")
    cast.teacher.user.is_active = False
    cast.teacher.user.save()
    inactive = login("tara@alice.test")
    unknown = login("nobody@alice.test")
    assert wrong.status_code == inactive.status_code == unknown.status_code == 401
    assert wrong.json() == inactive.json() == unknown.json()
    assert wrong.json()["error"]["code"] == "invalid_credentials"


def test_login_validates_input(db):
    response = APIClient().post(TOKEN, {"email": "not-an-email"}, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"email", "password"}


def test_refresh_rotates_and_old_refresh_token_is_rejected(cast):
    first = login("alice@alice.test").json()["refresh"]
    rotated = APIClient().post(REFRESH, {"refresh": first}, format="json")
    assert rotated.status_code == 200
    second = rotated.json()["refresh"]
    assert second != first and rotated.json()["access"]
    third = APIClient().post(REFRESH, {"refresh": second}, format="json")
    assert third.status_code == 200
    again = APIClient().post(REFRESH, {"refresh": first}, format="json")
    assert again.status_code == 401


def test_logout_blacklists_the_refresh_token(cast, api):
    refresh = login("alice@alice.test").json()["refresh"]
    response = api(cast.admin).post("/api/v1/auth/logout/", {"refresh": refresh}, format="json")
    assert response.status_code == 205
    assert APIClient().post(REFRESH, {"refresh": refresh}, format="json").status_code == 401
    again = api(cast.admin).post("/api/v1/auth/logout/", {"refresh": refresh}, format="json")
    assert again.status_code == 400
    assert again.json()["error"]["fields"]["refresh"]


def test_logout_refuses_someone_elses_token(cast, api):
    refresh = login("tara@alice.test").json()["refresh"]
    response = api(cast.admin).post("/api/v1/auth/logout/", {"refresh": refresh}, format="json")
    assert response.status_code == 400
    assert APIClient().post(REFRESH, {"refresh": refresh}, format="json").status_code == 200


def test_deactivated_user_cannot_refresh(cast, api):
    refresh = login("tara@alice.test").json()["refresh"]
    api(cast.admin).post(f"/api/v1/users/{cast.teacher.user.pk}/deactivate/")
    assert APIClient().post(REFRESH, {"refresh": refresh}, format="json").status_code == 401
    assert login("tara@alice.test").status_code == 401


def test_me_shows_and_updates_own_profile_but_not_role_or_school(cast, api):
    client = api(cast.parent)
    body = client.get("/api/v1/me/").json()
    assert body["role"] == "parent"
    assert {child["full_name"] for child in body["children"]} == {"Sam Student", "Sia Student"}
    response = client.patch(
        "/api/v1/me/",
        {
            "full_name": "Pat P. Parent",
            "phone": "+91 98450 12345",
            "role": "admin",
            "school": str(cast.school2.pk),
        },
        format="json",
    )
    assert response.status_code == 200
    cast.parent.refresh_from_db()
    assert cast.parent.full_name == "Pat P. Parent"
    assert cast.parent.phone == "+91 98450 12345"
    assert cast.parent.role == "parent" and cast.parent.school_id == cast.school.pk


def test_me_rejects_bad_phone_with_field_error(cast, api):
    response = api(cast.student.user).patch("/api/v1/me/", {"phone": "call me"}, format="json")
    assert response.status_code == 400
    assert "phone" in response.json()["error"]["fields"]
    cast.student.user.refresh_from_db()
    assert cast.student.user.phone == ""


def test_password_change_signs_out_other_sessions(cast, api):
    refresh = login("tara@alice.test").json()["refresh"]
    client = api(cast.teacher.user)
    wrong = client.post(
        "/api/v1/auth/password/change/",
        {"old_password": "nope", "new_password": "a-much-better-secret-42"},
        format="json",
    )
    assert wrong.status_code == 400 and "old_password" in wrong.json()["error"]["fields"]
    weak = client.post(
        "/api/v1/auth/password/change/",
        {"old_password": PASSWORD, "new_password": "123"},
        format="json",
    )
    assert weak.status_code == 400 and "new_password" in weak.json()["error"]["fields"]
    ok = client.post(
        "/api/v1/auth/password/change/",
        {"old_password": PASSWORD, "new_password": "a-much-better-secret-42"},
        format="json",
    )
    assert ok.status_code == 200
    assert APIClient().post(REFRESH, {"refresh": refresh}, format="json").status_code == 401
    assert login("tara@alice.test").status_code == 401
    assert login("tara@alice.test", "a-much-better-secret-42").status_code == 200


def test_password_reset_by_emailed_token(cast, django_capture_on_commit_callbacks):
    client = APIClient()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/auth/password/reset/", {"email": "Tara@alice.test"}, format="json"
        )
        assert mail.outbox == []  # sent only once the transaction commits
    assert response.status_code == 202
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["tara@alice.test"]
    uid = re.search(r"uid ([\w-]+)", message.body).group(1)
    token = re.search(r"token ([\w-]+)", message.body).group(1)
    assert f"uid={uid}&token={token}" in message.body
    assert message.body.startswith("Hello Tara Teacher,")

    confirm = {"uid": uid, "token": token, "new_password": "reset-password-works-9"}
    assert (
        client.post("/api/v1/auth/password/reset/confirm/", confirm, format="json").status_code
        == 200
    )
    assert login("tara@alice.test", "reset-password-works-9").status_code == 200
    reused = client.post("/api/v1/auth/password/reset/confirm/", confirm, format="json")
    assert reused.status_code == 400
    assert reused.json()["error"]["code"] == "invalid_token"


def test_password_reset_does_not_reveal_unknown_addresses(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = APIClient().post(
            "/api/v1/auth/password/reset/", {"email": "ghost@x.test"}, format="json"
        )
    assert callbacks == []
    assert response.status_code == 202
    assert mail.outbox == []


def test_password_reset_confirm_rejects_garbage(db):
    response = APIClient().post(
        "/api/v1/auth/password/reset/confirm/",
        {"uid": "!!", "token": "x", "new_password": "whatever-long-1"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["token"]


def test_repeated_failures_lock_the_account_even_for_the_right_password(cast, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        assert login("alice@alice.test", "bad").status_code == 401
    locked = login("alice@alice.test")
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "locked_out"
    assert "Try again" in locked.json()["error"]["message"]
    # another account from the same client is unaffected (below the client limit)
    assert login("tara@alice.test").status_code == 200


def test_repeated_failures_from_one_client_lock_that_client(cast, settings):
    settings.LOGIN_CLIENT_FAILURE_LIMIT = 4
    for index in range(4):
        assert login(f"guess{index}@alice.test", "bad", REMOTE_ADDR="10.9.9.9").status_code == 401
    assert login("alice@alice.test", REMOTE_ADDR="10.9.9.9").status_code == 429
    assert login("alice@alice.test", REMOTE_ADDR="10.9.9.10").status_code == 200


def test_success_clears_account_failures(cast, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    login("alice@alice.test", "bad")
    login("alice@alice.test", "bad")
    assert login("alice@alice.test").status_code == 200
    login("alice@alice.test", "bad")
    login("alice@alice.test", "bad")
    assert login("alice@alice.test").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_lockout_holds_under_concurrent_attempts(settings):
    """Twenty guesses at once: only LOGIN_FAILURE_LIMIT of them may reach the password check."""
    settings.LOGIN_FAILURE_LIMIT = 5
    UserFactory(email="victim@x.test")
    barrier = threading.Barrier(20)
    statuses: list[int] = []
    lock = threading.Lock()

    def attempt():
        try:
            barrier.wait()
            status = login("victim@x.test", "wrong-guess").status_code
            with lock:
                statuses.append(status)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) == 20
    assert statuses.count(401) == 5
    assert statuses.count(429) == 15
    assert login("victim@x.test").status_code == 429


def test_user_changes_are_audited(cast, api):
    api(cast.admin).patch(
        f"/api/v1/users/{cast.teacher.user.pk}/", {"full_name": "Tara T."}, format="json"
    )
    entry = AuditLog.objects.get(action="user.update", object_id=str(cast.teacher.user.pk))
    assert entry.actor == cast.admin
    assert entry.school == cast.school
    assert entry.before == {"full_name": "Tara Teacher"}
    assert entry.after == {"full_name": "Tara T."}
    assert User.objects.get(pk=cast.teacher.user.pk).full_name == "Tara T."
