"""Liveness and readiness.

`/health` keeps the earlier plan's body for the operators' existing monitors; `/healthz` says the
process answers (it touches no backing service, so a dependency outage never restarts pods);
`/readyz` checks every backing service and answers 503 naming what is down, so Kubernetes stops
routing to a pod that cannot serve.

The checks run concurrently, each bounded by `READYZ_TIMEOUT_SECONDS` (default 2 s), so the
probe answers within about that time even when a service hangs instead of refusing. Postgres is
checked on the request's own thread (Django connections are per thread); the others on short-lived
threads. A check named in `READINESS_NON_CRITICAL` is still run and reported, but its failure
leaves the status 200 ("degraded"): e.g. MongoDB, when losing the question bank should not take
every pod out of the Service.
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


def _timeout() -> float:
    return float(getattr(settings, "READYZ_TIMEOUT_SECONDS", 2.0))


def check_postgres() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_redis() -> None:
    from django_redis import get_redis_connection

    get_redis_connection("default").ping()


def check_mongodb() -> None:
    import pymongo

    from apps.core.mongo import get_client

    with pymongo.timeout(_timeout()):
        get_client().admin.command("ping")


def check_broker() -> None:
    from schools24.celery import app

    # One attempt, no back-off sleep: a probe must answer quickly.
    with app.connection_for_write(connect_timeout=_timeout()) as conn:
        conn.ensure_connection(max_retries=0, interval_start=0, timeout=_timeout())


CHECKS: dict[str, Callable[[], None]] = {
    "postgres": check_postgres,
    "redis": check_redis,
    "mongodb": check_mongodb,
    "broker": check_broker,
}

# Checks that run on the request thread (they use per-thread state such as Django connections).
INLINE_CHECKS = {"postgres"}

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


def run_checks() -> dict[str, dict]:
    timeout = _timeout()
    threaded = {name: check for name, check in CHECKS.items() if name not in INLINE_CHECKS}
    results: dict[str, dict] = {}
    # A fresh executor per call: a module-level one would not survive gunicorn's fork, and the
    # probe is called every few seconds, not per user request.
    executor = ThreadPoolExecutor(max_workers=max(len(threaded), 1), thread_name_prefix="readyz")
    try:
        started = time.monotonic()
        futures = {name: executor.submit(_run, name, check) for name, check in threaded.items()}
        for name, check in CHECKS.items():
            if name in INLINE_CHECKS:
                results[name] = _run(name, check)
        for name, future in futures.items():
            remaining = max(timeout + 0.5 - (time.monotonic() - started), 0.01)
            try:
                results[name] = future.result(timeout=remaining)
            except FutureTimeout:
                logger.warning("Readiness check %s timed out after %.1f s", name, timeout)
                results[name] = {"ok": False, "error": "Timeout", "ms": round(timeout * 1000, 1)}
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
    return {name: results[name] for name in CHECKS}


@never_cache
def readyz(request):
    results = run_checks()
    non_critical = set(getattr(settings, "READINESS_NON_CRITICAL", ()))
    failed = [name for name, result in results.items() if not result["ok"]]
    down = [name for name in failed if name not in non_critical]
    degraded = [name for name in failed if name in non_critical]
    status = "unavailable" if down else ("degraded" if degraded else "ok")
    body: dict = {"status": status, "down": down, "checks": results}
    if degraded:
        body["degraded"] = degraded
    for extra in EXTRA_READINESS:
        try:
            body.update(extra())
        except Exception:  # noqa: BLE001 - a figure must not break the probe
            logger.exception("Readiness extra %r failed", extra)
    return JsonResponse(body, status=503 if down else 200)
