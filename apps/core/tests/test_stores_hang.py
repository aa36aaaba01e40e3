"""A store that hangs gives a prompt 503, never a hung worker.

The application runs under gunicorn in a subprocess against a private redis-server (stopped with
SIGSTOP) and a private proxy in front of the test database (frozen: connections stay open, no
byte is forwarded, which is what a client sees of a stopped PostgreSQL). Each store is frozen in
turn while the API is used; then it is continued and the API recovers.
"""

from __future__ import annotations

import json
import time

import pytest
from django.db import connection
from rest_framework_simplejwt.tokens import RefreshToken

from apps.accounts.models import Role
from apps.accounts.tests.factories import StudentFactory, UserFactory
from apps.core.testing import (
    AppServer,
    FreezableProxy,
    PrivateRedis,
    database_url,
    postgres_address,
)

pytestmark = pytest.mark.django_db(transaction=True)

REQUEST_BOUND = 5.0  # every request needing a frozen store answers within this
READYZ_BOUND = 2.0
HEALTHZ_BOUND = 1.0


@pytest.fixture
def stack(mongo_server, settings, tmp_path):
    redis_server = PrivateRedis()
    proxy = FreezableProxy(postgres_address(connection.settings_dict))
    log = (tmp_path / "server.log").open("wb")
    try:
        server = AppServer(
            {
                "DATABASE_URL": database_url(host="127.0.0.1", port=proxy.port),
                "REDIS_URL": redis_server.url,
                "MONGODB_URI": mongo_server,
                "MONGODB_DATABASE": settings.MONGODB_DATABASE,
                "BATCH_PROCESSOR_REDIS_URL": "",
            },
            log=log,
        )
    except Exception:
        proxy.close()
        redis_server.stop()
        log.close()
        print((tmp_path / "server.log").read_text()[-5000:])
        raise
    try:
        yield server, redis_server, proxy
    finally:
        redis_server.thaw()
        proxy.thaw()
        server.stop()
        proxy.close()
        redis_server.stop()
        log.close()


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}


def until_ok(server, path, headers=None, deadline=20.0):
    """Recovery: the first request after a thaw may still meet a connection cut meanwhile."""
    end = time.monotonic() + deadline
    while True:
        status, _, body, _ = server.get(path, headers=headers)
        if status == 200 or time.monotonic() > end:
            return status, json.loads(body)
        time.sleep(0.2)


def assert_unavailable(server, path, headers):
    status, response_headers, body, took = server.get(path, headers=headers)
    assert status == 503, body
    assert took < REQUEST_BOUND, took
    error = json.loads(body)["error"]
    assert error["code"] == "service_unavailable"
    assert error["message"] and error["fields"] == {}
    assert response_headers.get("Retry-After") == "5"
    return took


def assert_readyz_names(server, *stores):
    status, _, body, took = server.get("/readyz")
    body = json.loads(body)
    assert status == 503, body
    assert took < READYZ_BOUND, took
    assert body["status"] == "unavailable"
    for store in stores:
        assert store in body["down"], body
        assert body["checks"][store]["ok"] is False
    return took


def assert_healthz_prompt(server):
    status, _, body, took = server.get("/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    assert took < HEALTHZ_BOUND, took


def test_frozen_redis_then_frozen_postgres_answer_503_promptly_and_recover(stack):
    server, redis_server, proxy = stack
    admin = UserFactory(role=Role.ADMIN)
    StudentFactory(school=admin.school, user__full_name="Sam Student")
    auth = bearer(admin)
    students = "/api/v1/students/"

    status, body = until_ok(server, students, auth)
    assert status == 200 and body["count"] == 1
    status, body = until_ok(server, "/readyz")
    assert status == 200 and body["status"] == "ok", body

    # Redis (cache, throttles, write buffer, broker) stopped.
    redis_server.freeze()
    figures = {"redis_api": assert_unavailable(server, students, auth)}
    figures["redis_readyz"] = assert_readyz_names(server, "redis", "broker")
    assert_healthz_prompt(server)
    redis_server.thaw()
    status, body = until_ok(server, students, auth)
    assert status == 200 and body["results"][0]["full_name"] == "Sam Student"
    assert until_ok(server, "/readyz")[0] == 200

    # PostgreSQL stalled: open connections and new ones get no answer.
    proxy.freeze()
    figures["postgres_api"] = assert_unavailable(server, students, auth)
    figures["postgres_api_again"] = assert_unavailable(server, students, auth)
    figures["postgres_readyz"] = assert_readyz_names(server, "postgres")
    assert_healthz_prompt(server)
    proxy.thaw()
    status, body = until_ok(server, students, auth)
    assert status == 200 and body["count"] == 1
    status, body = until_ok(server, "/readyz")
    assert status == 200 and body["checks"]["postgres"]["ok"], body
    print("seconds to answer:", {k: round(v, 2) for k, v in figures.items()})
