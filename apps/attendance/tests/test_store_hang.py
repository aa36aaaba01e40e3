"""Marking attendance while the stack's Redis is frozen (SIGSTOP): a prompt 503 in the error
shape, nothing half-written, and marking works again once Redis continues.

The application runs under gunicorn in a subprocess with a private redis-server (cache,
throttles, write buffer and broker); PostgreSQL is the test database."""

from __future__ import annotations

import json

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from apps.attendance.models import AttendanceRecord
from apps.core.testing import AppServer, PrivateRedis, database_url, free_port

pytestmark = pytest.mark.django_db(transaction=True)

MARK = "/api/v1/attendance/mark/"


@pytest.fixture
def stack():
    with PrivateRedis() as redis_server:
        env = {
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_server.url,
            "BATCH_PROCESSOR_REDIS_URL": "",
            "MONGODB_URI": f"mongodb://127.0.0.1:{free_port()}",  # marking never reads it
        }
        with AppServer(env) as server:
            try:
                yield server, redis_server
            finally:
                redis_server.thaw()


def mark(server, user, section, day, status):
    token = RefreshToken.for_user(user).access_token
    payload = {
        "section": str(section.pk),
        "date": day.isoformat(),
        "period": None,
        "entries": [{"student": str(student.pk), "status": status} for student in section.kids],
    }
    code, _, body, took = server.get(
        MARK,
        method="POST",
        body=json.dumps(payload),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    return code, json.loads(body), took


def register(server, user, section, day):
    token = RefreshToken.for_user(user).access_token
    code, _, body, _ = server.get(
        f"/api/v1/attendance/?section={section.pk}&date={day.isoformat()}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert code == 200, body
    return {m["student"]: m["status"] for m in json.loads(body)["results"]}


def test_marking_with_redis_frozen_is_a_prompt_503_and_loses_nothing(stack, cast, school_year, att):
    server, redis_server = stack
    teacher = cast.teacher.user
    school_year.sec_a.kids = [cast.student, cast.other_student]
    code, body, _ = mark(server, teacher, school_year.sec_a, att.day, "present")
    assert code == 200, body
    before = register(server, teacher, school_year.sec_a, att.day)
    assert set(before.values()) == {"present"}

    redis_server.freeze()
    code, body, took = mark(server, teacher, school_year.sec_a, att.day, "absent")
    assert code == 503, body
    assert took < 5.0, took
    assert body["error"]["code"] == "service_unavailable"
    assert body["error"]["fields"] == {}
    assert not AttendanceRecord.objects.filter(status="absent").exists()  # nothing half-done

    redis_server.thaw()
    assert (
        register(server, teacher, school_year.sec_a, att.day) == before
    )  # the buffered marks kept
    code, body, _ = mark(server, teacher, school_year.sec_a, att.day, "absent")
    assert code == 200, body
    assert set(register(server, teacher, school_year.sec_a, att.day).values()) == {"absent"}
