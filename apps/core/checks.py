"""Deployment checks that `manage.py check` (and every management command) runs."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.checks import Warning, register


@register("schools24")
def check_connection_budget(app_configs=None, **kwargs):
    """Each gunicorn thread may hold one PostgreSQL connection; stay under the server's limit."""
    workers = int(os.environ.get("WEB_CONCURRENCY", "0") or 0)
    threads = int(os.environ.get("GUNICORN_THREADS", "1") or 1)
    wanted = workers * threads
    if workers and wanted > settings.POSTGRES_MAX_CONNECTIONS:
        return [
            Warning(
                f"WEB_CONCURRENCY x GUNICORN_THREADS = {wanted} may open more PostgreSQL "
                f"connections per pod than POSTGRES_MAX_CONNECTIONS ({settings.POSTGRES_MAX_CONNECTIONS}).",
                hint="Lower the gunicorn workers/threads or raise POSTGRES_MAX_CONNECTIONS.",
                id="schools24.W001",
            )
        ]
    return []


@register("schools24")
def check_compression_algorithm(app_configs=None, **kwargs):
    from django.core.checks import Error

    from .codecs import ALGORITHMS

    if settings.REDIS_COMPRESSION_ALGORITHM not in ALGORITHMS:
        return [
            Error(
                f"REDIS_COMPRESSION_ALGORITHM={settings.REDIS_COMPRESSION_ALGORITHM!r} is not one "
                f"of {sorted(ALGORITHMS)}.",
                id="schools24.E001",
            )
        ]
    return []
