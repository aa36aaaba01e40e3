"""Liveness and readiness.

`/healthz` says the process answers; `/readyz` checks every backing service and answers 503
naming what is down, so Kubernetes stops routing to a pod that cannot serve.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger("schools24.health")


def check_postgres() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_redis() -> None:
    from django_redis import get_redis_connection

    get_redis_connection("default").ping()


def check_mongodb() -> None:
    from apps.core.mongo import get_client

    get_client().admin.command("ping")


def check_broker() -> None:
    from schools24.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


CHECKS: dict[str, Callable[[], None]] = {
    "postgres": check_postgres,
    "redis": check_redis,
    "mongodb": check_mongodb,
    "broker": check_broker,
}


@never_cache
def legacy_health(request):
    return JsonResponse({"status": "healthy", "service": "schools24-backend"})


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    results: dict[str, dict] = {}
    down = []
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            check()
            results[name] = {"ok": True}
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
            logger.warning("Readiness check %s failed: %s", name, exc)
            results[name] = {"ok": False, "error": exc.__class__.__name__}
            down.append(name)
        results[name]["ms"] = round((time.monotonic() - started) * 1000, 1)
    body = {"status": "ok" if not down else "unavailable", "down": down, "checks": results}
    for extra in EXTRA_READINESS:
        body.update(extra())
    return JsonResponse(body, status=200 if not down else 503)


# Other parts of the product add figures to /readyz (e.g. the write buffer's backlog).
EXTRA_READINESS: list[Callable[[], dict]] = []
