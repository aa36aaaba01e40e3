"""The buffer's Redis: settings, the client, the Redis-down back-off, and the eviction-policy
check (the Redis holding the buffer must never evict it)."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

from .kinds import BufferKind

REDIS_TIMEOUT = 2.0
REDIS_DOWN_BACKOFF = 5.0  # after a failure, put writes through without trying Redis this long

REDIS_ERRORS: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ReadOnlyError,  # a replica after failover: treat as unavailable
)


class BufferReadError(Exception):
    """The buffer's Redis could not be read (down, timed out, refused): which records are
    pending is unknown, which is not the same as "none". Raised by strict reads."""

    def __init__(self, kind: str, cause: Exception):
        super().__init__(
            f"Write buffer: cannot read pending {kind} records ({cause.__class__.__name__}: "
            f"{cause})"
        )
        self.kind, self.cause = kind, cause


class BufferRedisUnsafe(RuntimeError):
    """The buffer's Redis may evict keys (an allkeys-* maxmemory-policy): buffered writes could
    vanish before a flush. The flusher refuses to run and puts go straight to Postgres."""


# --- settings --------------------------------------------------------------------------------
def enabled() -> bool:
    return bool(settings.BATCH_PROCESSOR_ENABLED)


def key_prefix() -> str:
    return settings.BATCH_PROCESSOR_KEY_PREFIX


def redis_url() -> str:
    return settings.BATCH_PROCESSOR_REDIS_URL or settings.REDIS_URL


def threshold_for(kind: BufferKind) -> int:
    if kind.threshold is not None:
        return kind.threshold
    return int(settings.BATCH_PROCESSOR_THRESHOLD)


def stale_after() -> float:
    return float(settings.REDIS_WRITE_BUFFER_TTL)


# --- the client --------------------------------------------------------------------------------
_client_lock = threading.Lock()
RESET_HOOKS: list = []  # other modules' per-process caches to drop with the client
_client: redis.Redis | None = None
_client_id: tuple | None = None
_down_until = 0.0


def get_client() -> redis.Redis:
    """The buffer's Redis client (one pool per process and URL; rebuilt after fork)."""
    global _client, _client_id
    ident = (redis_url(), os.getpid())
    client = _client
    if client is None or _client_id != ident:
        with _client_lock:
            if _client is None or _client_id != ident:
                pool = redis.BlockingConnectionPool.from_url(
                    ident[0],
                    max_connections=int(settings.REDIS_POOL_SIZE),
                    timeout=REDIS_TIMEOUT,
                    socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
                    socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
                    health_check_interval=30,
                    # One quick retry after a dropped connection: every buffer command is safe
                    # to repeat (put compares timestamps, the flush scripts check state and lock
                    # tokens). Not after a timeout: a Redis that hangs would double the wait.
                    retry=Retry(
                        NoBackoff(), 1, supported_errors=(redis.exceptions.ConnectionError,)
                    ),
                )
                _client, _client_id = redis.Redis(connection_pool=pool), ident
            client = _client
    return client


def reset_client() -> None:
    """Drop the client and the Redis-down back-off (tests, or after changing the URL)."""
    global _client, _client_id, _down_until
    with _client_lock:
        if _client is not None:
            _client.connection_pool.disconnect()
        _client = _client_id = None
        _down_until = 0.0
        _policy_checked.clear()
        for hook in RESET_HOOKS:
            hook()


def redis_for_put() -> redis.Redis:
    if time.monotonic() < _down_until:
        raise redis.exceptions.ConnectionError("Redis marked down (recent failure)")
    return get_client()


def mark_down() -> None:
    global _down_until
    _down_until = time.monotonic() + REDIS_DOWN_BACKOFF


# --- the Redis holding the buffer must not evict it ------------------------------------------
POLICY_CHECK_INTERVAL = 60.0  # seconds a process trusts its last look at maxmemory-policy
_policy_checked: dict[tuple, tuple[float, str | None]] = {}


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def maxmemory_policy(client: redis.Redis | None = None) -> str | None:
    """The buffer Redis's maxmemory-policy: CONFIG GET, or, where CONFIG is disabled or renamed
    (managed Redis services), the `maxmemory_policy` field of INFO memory; None if neither
    says."""
    client = client or get_client()
    try:
        reply = client.config_get("maxmemory-policy")
        for name, value in (reply or {}).items():
            if _text(name) == "maxmemory-policy" and value:
                return _text(value)
    except redis.exceptions.ResponseError:
        pass  # "unknown command" / "NOPERM": fall back to INFO
    value = client.info("memory").get("maxmemory_policy")
    return _text(value) if value else None


def eviction_problem(*, refresh: bool = False) -> str | None:
    """Why the buffer's Redis is unsafe for it, or None. Checked at most every
    POLICY_CHECK_INTERVAL seconds per process; Redis errors propagate."""
    ident = (redis_url(), os.getpid())
    checked = _policy_checked.get(ident)
    if checked and not refresh and time.monotonic() - checked[0] < POLICY_CHECK_INTERVAL:
        return checked[1]
    policy = maxmemory_policy()
    problem = None
    if policy and policy.startswith("allkeys-"):
        problem = (
            f"the write buffer's Redis has maxmemory-policy {policy}, so it may evict buffered "
            "records before they are flushed; set noeviction (or a volatile-* policy) on "
            "BATCH_PROCESSOR_REDIS_URL's Redis"
        )
    _policy_checked[ident] = (time.monotonic(), problem)
    return problem


def unsafe_for_put() -> str | None:
    try:
        return eviction_problem()
    except REDIS_ERRORS:
        return None  # the put itself meets the outage and writes through
