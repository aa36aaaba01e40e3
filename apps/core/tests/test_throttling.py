"""Request throttles: DRF's sliding window (at most N requests in any `duration` seconds, a
refused request not counted, `Retry-After` as DRF computes it), kept in a Redis sorted set and
decided in one round trip."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections

from apps.core import throttling
from apps.core.testing import redis_round_trips

UNREAD = "/api/v1/notifications/unread-count/"
ME = "/api/v1/me/"


@pytest.fixture
def clock(monkeypatch):
    now = [1_800_000_000.0]
    monkeypatch.setattr(throttling.UserRateThrottle, "timer", lambda self: now[0])
    return now


@pytest.fixture
def limited(monkeypatch):
    def limit(rate: str) -> None:
        monkeypatch.setattr(
            throttling.UserRateThrottle,
            "THROTTLE_RATES",
            {**throttling.UserRateThrottle.THROTTLE_RATES, "user": rate},
        )

    return limit


def test_the_window_admits_n_refuses_the_next_and_slides(cast, api, clock, limited):
    limited("3/min")
    client = api(cast.teacher.user)
    for step in range(3):
        clock[0] += 1
        assert client.get(UNREAD).status_code == 200, step
    clock[0] += 1
    refused = client.get(UNREAD)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    # DRF's wait(): what is left of the oldest request's minute (60 - 3 s), over one slot.
    assert refused["Retry-After"] == "57"
    clock[0] += 56
    assert client.get(UNREAD).status_code == 429  # refused requests are not counted ...
    clock[0] += 1.5
    assert client.get(UNREAD).status_code == 200  # ... the oldest has left the window
    assert client.get(UNREAD).status_code == 429


def test_each_user_has_their_own_window(cast, api, clock, limited):
    limited("1/min")
    assert api(cast.teacher.user).get(UNREAD).status_code == 200
    assert api(cast.teacher.user).get(UNREAD).status_code == 429
    assert api(cast.admin).get(UNREAD).status_code == 200


def test_a_throttled_request_costs_one_redis_round_trip(cast, api):
    client = api(cast.teacher.user)
    assert client.get(ME).status_code == 200  # caches the principal
    with redis_round_trips() as trips:
        assert client.get(ME).status_code == 200
    # The cached principal (MGET) and the throttle (its script), in one pipeline.
    assert trips == [b"MGET"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_are_all_counted(cast, limited):
    """DRF's GET-then-SET could lose updates between workers; the script cannot."""
    limited("1000/min")
    throttle = throttling.UserRateThrottle()
    request = type("Request", (), {"user": cast.teacher.user, "META": {"REMOTE_ADDR": "1.2.3.4"}})
    barrier = threading.Barrier(8)

    def hit():
        barrier.wait()
        for _ in range(25):
            assert throttle.__class__().allow_request(request, None)
        close_old_connections()

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    last = throttling.UserRateThrottle()
    assert last.allow_request(request, None)
    assert last.count == 201


def test_a_window_counted_with_the_principal_survives_a_flushed_script_cache(cast, api):
    """Counted in the principal's pipeline: after Redis lost its scripts (a restart), the
    script is loaded and the request counted once, not twice and not never."""
    from django.core.cache import cache
    from django_redis import get_redis_connection

    client = api(cast.teacher.user)
    assert client.get(ME).status_code == 200  # caches the principal
    redis = get_redis_connection("default")
    window = cache.make_key(f"throttle_user_{cast.teacher.user.pk}:window")
    before = redis.zcard(window)
    assert before >= 1
    redis.script_flush()
    with redis_round_trips() as trips:
        assert client.get(ME).status_code == 200
    assert redis.zcard(window) == before + 1
    assert trips[0] == b"MGET" and b"SCRIPT" in trips  # refused, loaded, run again
