"""Test support shared by several apps' tests (never imported by product code)."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from urllib.parse import quote, urlencode


@contextmanager
def buffer_namespace(settings, label: str):
    """A private write-buffer key namespace for one test: no threshold flushes, fresh clients,
    and every key under the namespace removed afterwards (SCAN, never KEYS)."""
    import redis

    from apps.core import buffer
    from apps.core.buffer import store

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    prefix = f"s24test:{label}:{worker}:{uuid.uuid4().hex[:10]}"
    settings.BATCH_PROCESSOR_KEY_PREFIX = prefix
    settings.BATCH_PROCESSOR_THRESHOLD = 0
    settings.BATCH_PROCESSOR_ENABLED = True
    settings.BATCH_PROCESSOR_REDIS_URL = ""
    buffer.reset_client()
    store._last_count.clear()
    try:
        yield prefix
    finally:
        buffer.reset_client()
        client = redis.Redis.from_url(settings.REDIS_URL)
        for key in client.scan_iter(f"{prefix}:*", count=1000):
            client.unlink(key)
        client.close()


def database_url(alias: str = "default") -> str:
    """A DATABASE_URL for a child process that reaches the very database this test uses.

    Built from the connection's settings, not only host and port: a unix-socket directory (the
    embedded PostgreSQL's, which django-environ puts in OPTIONS["host"] or HOST) and every other
    libpq option travel in the query string, so the child never falls back to 127.0.0.1:5432."""
    from django.db import connections

    s = connections[alias].settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"], safe="")
    options = {
        key: value
        for key, value in (s.get("OPTIONS") or {}).items()
        if isinstance(value, (str, int, float)) and not isinstance(value, bool)
    }
    host, port = s["HOST"] or "", s["PORT"] or ""
    if host.startswith("/"):  # a socket directory: libpq's host= parameter
        options.setdefault("host", host)
        host = ""
    netloc = f"{auth}@{host}" + (f":{port}" if host and port else "")
    query = f"?{urlencode(options)}" if options else ""
    return f"postgresql://{netloc}/{quote(s['NAME'], safe='')}{query}"
