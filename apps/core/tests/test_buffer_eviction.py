"""The write buffer's Redis must not evict keys: with an allkeys-* maxmemory-policy the flusher
refuses to start (a clear log line, and /readyz says why) and puts go straight to Postgres.

Each test runs its own redis-server (the machine's shared Redis is never reconfigured)."""

from __future__ import annotations

import itertools
import logging

import pytest
import redis
from django.db import connection
from django.test import Client

from apps.core import buffer, mongo
from apps.core.buffer import connection as buffer_connection
from apps.core.buffer import status
from apps.core.testing import PrivateRedis, buffer_namespace
from apps.core.tests import buffer_probe as probe

pytestmark = pytest.mark.django_db
_schools = itertools.count(900_000)  # apart from the ids other buffer tests use


@pytest.fixture
def school(db) -> int:
    probe.ensure_table()
    return next(_schools)


@pytest.fixture
def private_buffer(settings):
    """The buffer on a private redis-server; `use(*args)` starts one with redis-server args."""
    servers: list[PrivateRedis] = []

    def use(*args: str) -> PrivateRedis:
        server = PrivateRedis(*args)
        servers.append(server)
        settings.BATCH_PROCESSOR_REDIS_URL = server.url
        buffer.reset_client()
        return server

    with buffer_namespace(settings, "evict"):
        try:
            yield use
        finally:
            buffer.reset_client()
            for server in servers:
                server.stop()


def set_policy(server: PrivateRedis, policy: str) -> None:
    client = redis.Redis.from_url(server.url)
    client.config_set("maxmemory-policy", policy)
    client.close()
    buffer.reset_client()  # forget the policy this process saw


def rows(school: int) -> dict:
    return probe.rows(school, using=connection.alias)


def test_flusher_refuses_an_evicting_redis_and_readyz_says_why(
    private_buffer, school, caplog, mongo_server, settings
):
    server = private_buffer()
    records = probe.records(school, 3, 1)
    buffer.put_many("probe", records)  # buffered while the policy is still noeviction
    assert buffer.stats("probe")["probe"]["pending"] == 3

    set_policy(server, "allkeys-lru")
    with caplog.at_level(logging.ERROR, logger="schools24.buffer"):
        with pytest.raises(buffer.BufferRedisUnsafe, match="allkeys-lru"):
            buffer.flush("probe", workers=0)
    assert any(
        "flusher refuses to start" in r.getMessage() and "allkeys-lru" in r.getMessage()
        for r in caplog.records
    )
    assert rows(school) == {}  # nothing was flushed...
    assert buffer.stats("probe")["probe"]["pending"] == 3  # ...nor dropped

    settings.READYZ_TIMEOUT_SECONDS = 4.0
    mongo.reset_client()
    figure = Client().get("/readyz").json()["write_buffer"]
    assert figure["ok"] is False
    assert "allkeys-lru" in figure["reason"] and "noeviction" in figure["reason"]

    set_policy(server, "noeviction")
    result = buffer.flush("probe", workers=0)
    assert result.records == 3
    assert len(rows(school)) == 3
    assert "reason" not in status.readiness()["write_buffer"]


def test_puts_go_straight_to_postgres_while_the_redis_may_evict(private_buffer, school, caplog):
    private_buffer("--maxmemory-policy", "allkeys-lfu")
    with caplog.at_level(logging.WARNING, logger="schools24.buffer"):
        stored = buffer.put_many("probe", probe.records(school, 2, 1, status="A"))
    assert {key: row["status"] for key, row in rows(school).items()} == {
        probe.key_of(r): "A" for r in stored
    }
    assert buffer.stats("probe")["probe"]["pending"] == 0
    assert any("straight to Postgres" in r.getMessage() for r in caplog.records)


def test_the_policy_is_read_from_info_where_config_is_disabled(private_buffer, school):
    private_buffer("--maxmemory-policy", "allkeys-random", "--rename-command", "CONFIG", "")
    with pytest.raises(redis.exceptions.ResponseError):
        buffer.get_client().config_get("maxmemory-policy")
    assert buffer_connection.maxmemory_policy() == "allkeys-random"
    with pytest.raises(buffer.BufferRedisUnsafe):
        buffer.flush("probe", workers=0)


@pytest.mark.parametrize("policy", ["noeviction", "volatile-lru"])
def test_safe_policies_flush_normally(private_buffer, school, policy):
    private_buffer("--maxmemory-policy", policy)
    assert buffer.eviction_problem() is None
    buffer.put_many("probe", probe.records(school, 2, 1))
    assert buffer.flush("probe", workers=0).records == 2
    assert len(rows(school)) == 2
