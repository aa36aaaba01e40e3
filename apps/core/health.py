"""Liveness and readiness.

`/health` keeps the earlier plan's body for the operators' existing monitors; `/healthz` says the
process answers (it touches no backing service, so a dependency outage never restarts pods);
`/readyz` checks every backing service and answers 503 naming what is down, so Kubernetes stops
routing to a pod that cannot serve.

The checks run concurrently, each with its own time limit: READYZ_TIMEOUTS["<name>"] or
READYZ_TIMEOUT_SECONDS (default 1 s), enforced by the client itself (PostgreSQL through
`pgtimeout.limit`, Redis and the broker through socket timeouts, MongoDB through pymongo's
timeout) so a hanging service never leaves a thread waiting; the probe answers within about the
largest limit. Each check runs on a short-lived thread (Postgres with a connection of its own,
closed after the check). A check named in `READINESS_NON_CRITICAL` is still
run and reported, but its failure leaves the status 200 ("degraded"): e.g. MongoDB, when losing
the question bank should not take every pod out of the Service.

The detailed body (each check, the write buffer's figures) is for internal addresses
(INTERNAL_IPS_CIDRS, see apps/core/internal.py); anyone else gets only ``{"status": ...}`` with
the same status code.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger("schools24.health")


def _timeout(name: str | None = None) -> float:
    default = float(settings.READYZ_TIMEOUT_SECONDS)
    if name is None:
        return default
    return float(settings.READYZ_TIMEOUTS.get(name, default))


def check_postgres() -> None:
    from . import pgtimeout

    # On the probe's own thread, so with a connection of its own (made and closed here): a
    # connect that hangs ends at DATABASE_CONNECT_TIMEOUT on that thread, not in the response.
    try:
        with pgtimeout.limit(_timeout("postgres")), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()


def check_redis() -> None:
    import redis
    from django_redis import get_redis_connection

    # The cache's own address, but a client of the probe's: its timeouts are the probe's.
    cache_pool = get_redis_connection("default").connection_pool
    timeout = _timeout("redis")
    pool = redis.ConnectionPool(
        connection_class=cache_pool.connection_class,
        **{
            **cache_pool.connection_kwargs,
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "retry": None,
            "retry_on_error": [],
        },
    )
    try:
        redis.Redis(connection_pool=pool).ping()
    finally:
        pool.disconnect()


def check_mongodb() -> None:
    import pymongo

    from apps.core.mongo import get_client

    with pymongo.timeout(_timeout("mongodb")):
        get_client().admin.command("ping")


def check_broker() -> None:
    from schools24.celery import app

    timeout = _timeout("broker")
    # One attempt, no back-off sleep, and socket timeouts (kombu's Redis transport waits forever
    # for an answer by default): a probe must answer quickly.
    with app.connection_for_write(
        connect_timeout=timeout,
        transport_options={"socket_timeout": timeout, "socket_connect_timeout": timeout},
    ) as conn:
        conn.ensure_connection(max_retries=0, interval_start=0, timeout=timeout)


CHECKS: dict[str, Callable[[], None]] = {
    "postgres": check_postgres,
    "redis": check_redis,
    "mongodb": check_mongodb,
    "broker": check_broker,
}

# Checks that run on the request thread (none now: each check bounds itself on its own thread).
INLINE_CHECKS: set[str] = set()

# Other parts of the product add figures to /readyz (e.g. the write buffer's backlog age).
EXTRA_READINESS: list[Callable[[], dict]] = []


@never_cache
def legacy_health(request):
    return JsonResponse({"status": "healthy", "service": "schools24-backend"})


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


def _run(name: str, check: Callable[[], None]) -> dict:
    started = time.monotonic()
    try:
        check()
        result: dict = {"ok": True}
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        logger.warning("Readiness check %s failed: %s", name, exc)
        result = {"ok": False, "error": exc.__class__.__name__}
    result["ms"] = round((time.monotonic() - started) * 1000, 1)
    return result


def _extras() -> dict:
    body: dict = {}
    for extra in EXTRA_READINESS:
        try:
            body.update(extra())
        except Exception:  # noqa: BLE001 - a figure must not break the probe
            logger.exception("Readiness extra %r failed", extra)
    return body


def run_checks() -> tuple[dict[str, dict], dict]:
    """Every check's result, and the extra figures (those cut off by their time limit are
    reported as such)."""
    threaded = {name: check for name, check in CHECKS.items() if name not in INLINE_CHECKS}
    results: dict[str, dict] = {}
    # A fresh executor per call: a module-level one would not survive gunicorn's fork, and the
    # probe is called every few seconds, not per user request.
    executor = ThreadPoolExecutor(max_workers=len(threaded) + 1, thread_name_prefix="readyz")
    try:
        started = time.monotonic()
        futures = {name: executor.submit(_run, name, check) for name, check in threaded.items()}
        extras = executor.submit(_extras)
        for name, check in CHECKS.items():
            if name in INLINE_CHECKS:
                results[name] = _run(name, check)
        for name, future in futures.items():
            # Each check enforces its own limit; this is only a backstop.
            remaining = max(_timeout(name) + 0.2 - (time.monotonic() - started), 0.01)
            try:
                results[name] = future.result(timeout=remaining)
            except FutureTimeout:
                logger.warning("Readiness check %s timed out after %.1f s", name, _timeout(name))
                results[name] = {"ok": False, "error": "Timeout", "ms": _timeout(name) * 1000}
        remaining = max(_timeout("write_buffer") + 0.2 - (time.monotonic() - started), 0.01)
        try:
            extra = extras.result(timeout=remaining)
        except FutureTimeout:
            logger.warning("Readiness figures timed out")
            extra = {"write_buffer": {"ok": False, "error": "Timeout"}}  # the one extra today
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
    return {name: results[name] for name in CHECKS}, extra


@never_cache
def readyz(request):
    from .internal import is_internal

    results, extra = run_checks()
    non_critical = set(settings.READINESS_NON_CRITICAL)
    failed = [name for name, result in results.items() if not result["ok"]]
    down = [name for name in failed if name not in non_critical]
    degraded = [name for name in failed if name in non_critical]
    status = "unavailable" if down else ("degraded" if degraded else "ok")
    code = 503 if down else 200
    if not is_internal(request):
        return JsonResponse({"status": status}, status=code)
    body: dict = {"status": status, "down": down, "checks": results}
    if degraded:
        body["degraded"] = degraded
    body.update(extra)
    return JsonResponse(body, status=code)
