"""A per-provider token bucket in Redis, shared by every worker: one Lua script refills the
bucket by the time passed (Redis's own clock, so workers' clocks do not matter), takes a
token or says how long to wait, atomically.

Rates come from NOTIFICATIONS_RATE_LIMITS ({"msg91": "20/s", "fcm": "500/s"}); a provider
without a rate is not limited. If Redis cannot be reached the send goes ahead (the provider's
own limit answers 429, which is a temporary failure): degrade, never stop delivering.
"""

from __future__ import annotations

import logging

from django.conf import settings

logger = logging.getLogger("schools24.notifications")

# KEYS[1] the bucket; ARGV: rate (tokens/s), capacity. Returns {1|0, seconds to wait}.
_BUCKET = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return {allowed, tostring(wait)}
"""
_UNITS = {"s": 1, "m": 60, "h": 3600}
_script = None


def parse_rate(rate: str) -> tuple[float, float]:
    """'20/s' -> (20 tokens per second, capacity 20); '600/m' -> (10/s, 600)."""
    count, _, unit = rate.partition("/")
    per = _UNITS[(unit or "s")[0]]
    return float(count) / per, max(float(count), 1.0)


def _client():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def acquire(provider: str) -> float:
    """Take a token for one send through `provider`: 0.0 when granted, else the seconds to wait
    before asking again."""
    global _script
    rate = settings.NOTIFICATIONS_RATE_LIMITS.get(provider)
    if not rate:
        return 0.0
    per_second, capacity = parse_rate(rate)
    try:
        client = _client()
        if _script is None:
            _script = client.register_script(_BUCKET)
        allowed, wait = _script(
            keys=[f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:notify:bucket:{provider}"],
            args=[per_second, capacity],
            client=client,
        )
    except Exception:  # noqa: BLE001 - any Redis trouble: send anyway (see the module)
        logger.warning("Rate limit of %s not checked: Redis unavailable", provider)
        return 0.0
    return 0.0 if int(allowed) else max(float(wait), 0.001)


def backoff(attempt: int, *, rng=None) -> float:
    """Seconds before retry number `attempt` (0 for the first): exponential from
    NOTIFICATIONS_RETRY_BASE, capped at NOTIFICATIONS_RETRY_MAX (kept far below the broker's
    visibility timeout), with "equal jitter" (between half and all of it) so a provider outage
    does not bring every retry back at the same second."""
    import random

    cap = min(settings.NOTIFICATIONS_RETRY_MAX, settings.NOTIFICATIONS_RETRY_BASE * 2**attempt)
    return (rng or random).uniform(cap / 2, cap)
