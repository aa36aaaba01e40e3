"""What the buffer holds, for /readyz, /metrics and the admin, and the records set aside."""

from __future__ import annotations

import logging
import time
from typing import Any

from . import legacy
from .connection import eviction_problem, get_client, stale_after
from .kinds import BufferKind, get_kind, registered_kinds
from .layout import all_shard_keys
from .records import decode_record
from .write import put_many

logger = logging.getLogger("schools24.buffer")


def stats(kind: str | BufferKind | None = None) -> dict[str, dict[str, Any]]:
    """Per kind: ``pending``, ``flushing`` (records in a snapshot being flushed or left by a
    crashed flush), ``oldest_age_seconds`` (first write of the oldest unflushed record, None if
    none), ``stale`` and ``dead`` (records set aside; see `requeue_dead`). One pipelined round trip
    of O(1) commands per shard, cheap enough for /readyz and /metrics. Records still in the
    layout before buckets (`legacy`) are counted too.

    REDIS_WRITE_BUFFER_TTL is deliberately not an expiry: expiring unflushed records would
    silently drop attendance marks whenever flushes fail (database down, a bad deploy). It is
    the age beyond which the backlog counts as `stale`: /readyz and alerts say so, and every
    record stays in Redis until a flush has committed it to Postgres.
    """
    kinds = [get_kind(kind)] if kind is not None else registered_kinds()
    client = get_client()
    pipe = client.pipeline(transaction=False)
    for k in kinds:
        for sk in all_shard_keys(k):
            old = legacy.old_keys(k, sk.shard)
            pipe.mget(sk.n, sk.fn, sk.o, sk.fo, old.a, old.fa)
            pipe.hlen(sk.dead)
            pipe.hlen(old.p)
            pipe.hlen(old.fp)
    replies = iter(pipe.execute())
    now_ms = time.time() * 1000
    limit = stale_after()
    out: dict[str, dict[str, Any]] = {}
    for k in kinds:
        waiting = flushing = dead = 0
        oldest: float | None = None
        for _shard in range(k.shards):
            count, fcount, *firsts = next(replies)
            dead += next(replies)
            waiting += int(count or 0) + next(replies)
            flushing += int(fcount or 0) + next(replies)
            for first in firsts:
                if first is not None:
                    oldest = float(first) if oldest is None else min(oldest, float(first))
        age = None if oldest is None else max(now_ms - oldest, 0.0) / 1000
        out[k.name] = {
            "pending": waiting,
            "flushing": flushing,
            "oldest_age_seconds": None if age is None else round(age, 3),
            "stale": age is not None and age > limit,
            "dead": dead,
        }
    return out


def readiness() -> dict[str, Any]:
    """A /readyz figure: ``{"write_buffer": {"ok", "stale", "kinds" | "error"[, "reason"]}}``;
    `reason` says why the flusher refuses to run (an evicting Redis)."""
    try:
        figures = stats()
        problem = eviction_problem()
    except Exception as exc:  # noqa: BLE001 - a probe figure never raises
        return {"write_buffer": {"ok": False, "error": exc.__class__.__name__}}
    stale = sorted(name for name, f in figures.items() if f["stale"])
    figure: dict[str, Any] = {"ok": not stale and not problem, "stale": stale, "kinds": figures}
    if problem:
        figure["reason"] = problem
    return {"write_buffer": figure}


def requeue_dead(kind: str | BufferKind) -> int:
    """Put the records a flush set aside back into the buffer (after fixing the cause).

    Each keeps its original `ts`, so it loses to anything newer written for its key meanwhile.
    Values that still do not decode stay where they are.
    """
    k = get_kind(kind)
    client = get_client()
    moved = 0
    for sk in all_shard_keys(k):
        for key, raw in list(client.hscan_iter(sk.dead, count=500)):
            try:
                record = decode_record(raw)
            except Exception:  # noqa: BLE001
                logger.error("Write buffer: %s record %r still does not decode", k.name, key)
                continue
            put_many(k, [record])
            client.hdel(sk.dead, key)
            moved += 1
    return moved
