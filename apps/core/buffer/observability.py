"""The buffer's figures on /metrics and /readyz: one call from CoreConfig.ready() wires both.

    from apps.core.buffer.observability import install
    install()

Gauges (label ``kind``): ``schools24_write_buffer_pending``, ``..._flushing``, ``..._dead``,
``..._oldest_age_seconds`` (0 when empty) and ``..._stale`` (1 when the oldest unflushed record
is older than REDIS_WRITE_BUFFER_TTL). One `stats()` round trip serves a whole scrape (cached for
a second). /readyz gets ``{"write_buffer": {"ok", "stale", "kinds"}}``; a stale buffer is reported,
not made a 503: web pods cannot fix a failing flush, and taking them out would not help.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from . import status

CACHE_SECONDS = 1.0
GAUGES = {
    "pending": "Records waiting in the write-behind buffer, by kind.",
    "flushing": "Records in a flush snapshot (being written, or left by a crashed flush).",
    "dead": "Records a flush set aside (refused by Postgres or undecodable).",
    "oldest_age_seconds": "Age of the oldest unflushed record (0 when none).",
    "stale": "1 when the oldest unflushed record is older than REDIS_WRITE_BUFFER_TTL.",
}

_lock = threading.Lock()
_cached: tuple[float, dict[str, dict[str, Any]]] | None = None


def _stats() -> dict[str, dict[str, Any]]:
    global _cached
    with _lock:
        if _cached is not None and time.monotonic() - _cached[0] < CACHE_SECONDS:
            return _cached[1]
        figures = status.stats()
        _cached = (time.monotonic(), figures)
        return figures


def _gauge(field: str):
    def read() -> dict[tuple[str], float]:
        return {(name,): float(f[field] or 0) for name, f in _stats().items()}

    return read


def install() -> None:
    """Register the gauges and the /readyz figure (idempotent)."""
    from apps.core import health
    from apps.core.metrics import register_gauge_callback

    for field, documentation in GAUGES.items():
        register_gauge_callback(
            f"schools24_write_buffer_{field}", documentation, _gauge(field), labels=("kind",)
        )
    if status.readiness not in health.EXTRA_READINESS:
        health.EXTRA_READINESS.append(status.readiness)
