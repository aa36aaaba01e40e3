"""Test support shared by several apps' tests (never imported by product code)."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager


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
