"""DRF throttles keyed on the client address from `apps.core.clients` (trusted proxies only),
counted in Redis in one round trip.

DRF's own `get_ident` trusts the whole `X-Forwarded-For` header unless `NUM_PROXIES` is set, so a
client could pick a new identity for every request. Every throttle in the project derives from
these classes.

DRF's `SimpleRateThrottle` keeps each client's request times as a pickled list in the cache: a
GET and a SET per request (two round trips, the whole list pickled and compressed each time,
and two workers can overwrite each other's update). Here the same sliding window lives in a
Redis sorted set (one member per admitted request, scored by its time) and one Lua script
drops the times that left the window, counts, and admits or refuses, atomically: the same
rule (at most `num_requests` in any `duration` seconds, a refused request not counted) and the
same `wait()`, in one round trip. The keys are in the cache's namespace (`KEY_PREFIX`).

A signed-in request's per-user window is counted in the round trip that reads the cached
principal (`counted_with_principal`, called by the JWT authentication): one Redis round trip
for both. Counted at authentication, a request the permissions then refuse counts too.
"""

from __future__ import annotations

import secrets

from django_redis import get_redis_connection
from rest_framework import throttling

from .clients import client_ident

# KEYS[1] the window; ARGV: now (s), duration (s), num_requests, a unique member.
# Returns {1 admitted | 0 refused, requests in the window, the oldest one's time (refused)}.
_WINDOW = """
local now = tonumber(ARGV[1])
local duration = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - duration)
local count = redis.call('ZCARD', KEYS[1])
if count >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, count, oldest[2] or ARGV[1]}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(duration))
return {1, count + 1, ARGV[1]}
"""
_script = None
COUNTED = "counted_windows"  # request attribute: window key -> (now, script result)


def _window_script(client):
    global _script
    if _script is None:  # a Script only remembers the text and its SHA; calls name the client
        _script = client.register_script(_WINDOW)
    return _script


class WindowRateThrottle(throttling.SimpleRateThrottle):
    """`SimpleRateThrottle` with its window in a Redis sorted set (see above), keyed on the
    client address of `apps.core.clients`."""

    def get_ident(self, request) -> str:
        return client_ident(request)

    def _call(self, key: str, now: float) -> tuple[list, list]:
        """(keys, args) of the window script for one request counted under `key` at `now`."""
        args = [repr(now), self.duration, self.num_requests, secrets.token_hex(6)]
        return [self.cache.make_key(f"{key}:window")], args

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        counted = getattr(request, COUNTED, {}).pop(self.key, None)
        if counted is not None:  # counted with the principal (`counted_with_principal`)
            self.now, (admitted, count, oldest) = counted
        else:
            self.now = self.timer()
            client = get_redis_connection("default")
            keys, args = self._call(self.key, self.now)
            admitted, count, oldest = _window_script(client)(keys=keys, args=args, client=client)
        self.count, self.oldest = int(count), float(oldest)
        return self.throttle_success() if admitted else self.throttle_failure()

    def throttle_success(self) -> bool:
        return True  # counted by the script

    def wait(self) -> float | None:
        remaining = self.duration - (self.now - self.oldest)
        available = self.num_requests - self.count + 1
        if available <= 0:
            return None
        return remaining / float(available)


# DRF's classes first: their scope and cache key, then the window above for the rest.
class AnonRateThrottle(throttling.AnonRateThrottle, WindowRateThrottle):
    pass


class UserRateThrottle(throttling.UserRateThrottle, WindowRateThrottle):
    pass


class ScopedRateThrottle(throttling.ScopedRateThrottle, WindowRateThrottle):
    pass


class CountedWindows:
    """The per-user windows of a signed-in request, counted in the principal's round trip:
    `add(pipe)` queues their script calls on a pipeline, `keep(results)` stores what they
    answered on the request, where each throttle's `allow_request` takes its own instead of
    calling Redis."""

    def __init__(self, request, calls: list[tuple[str, float, list, list]]):
        self.request, self.calls = request, calls

    def add(self, pipe, client) -> None:
        sha = _window_script(client).sha
        for _key, _now, keys, args in self.calls:
            pipe.evalsha(sha, len(keys), *keys, *args)

    def keep(self, results: list) -> None:
        counted = {
            key: (now, result)
            for (key, now, _k, _a), result in zip(self.calls, results, strict=True)
        }
        setattr(self.request, COUNTED, counted)

    @staticmethod
    def load(client) -> None:
        client.script_load(_WINDOW)


def counted_with_principal(request, user_id) -> CountedWindows | None:
    """The per-user windows (`UserRateThrottle`) the request's view would count a request of
    `user_id` in, to count in the principal's round trip; None when there are none."""
    view = (getattr(request, "parser_context", None) or {}).get("view")
    if view is None:
        return None
    calls = []
    for throttle in view.get_throttles():
        if isinstance(throttle, UserRateThrottle) and throttle.rate is not None:
            key = throttle.cache_format % {"scope": throttle.scope, "ident": user_id}
            now = throttle.timer()
            calls.append((key, now, *throttle._call(key, now)))
    return CountedWindows(request, calls) if calls else None
