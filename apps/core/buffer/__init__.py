"""The write-behind buffer ("batch processor"): bursts of small writes land in Redis and reach
Postgres in batches.

Used by attendance marks and quiz answer autosaves. The API other apps call::

    from apps.core import buffer

    buffer.register_kind(buffer.BufferKind(name=..., key_fields=..., apply=..., group_fields=...))
    buffer.put("attendance", {"school_id": ..., "student_id": ..., "date": ..., "status": "P"})
    buffer.put_many("attendance", records)
    buffer.pending("attendance", school_id=..., section_id=..., date=...)   # pending records
    buffer.overlay("attendance", qs.values(...), school_id=..., section_id=..., date=...)
    buffer.overlay(..., strict=True)   # BufferReadError instead of [] when Redis cannot be read
    buffer.close_group("quiz_answer", attempt_id=...)  # puts passing unless_closed= refused
    buffer.put_many("quiz_answer", records, unless_closed={...}, through=...)  # GroupClosed
    buffer.flush("attendance")  /  buffer.flush_all()                       # -> FlushResult
    buffer.stats()  /  buffer.readiness()                                    # for /readyz, /metrics
    buffer.Upsert(...) / buffer.Upsert.for_model(Model, key_fields, "ts")    # a ready apply()

Guarantees: the last write per key wins (by `ts`, UTC epoch microseconds, set by put when
missing); reads see writes before any flush; nothing is lost or applied twice when a flushing
process is killed at any point; writes arriving during a flush are kept; if Redis is
unreachable put writes straight to Postgres and logs a warning. Pending records never expire:
REDIS_WRITE_BUFFER_TTL only marks a backlog older than it `stale`. At most ~1 s of buffered
writes can be lost if Redis itself dies (AOF ``appendfsync everysec``); the Redis holding the
buffer must not evict keys (``maxmemory-policy noeviction`` or a ``volatile-*`` policy, since
buffer keys carry no TTL). With an ``allkeys-*`` policy the flusher refuses to start (logged, and
/readyz's write_buffer says why) and puts write straight to Postgres.

Modules: `layout` (key names, buckets and the packed form: why a million pending records fit in
under 200 bytes each), `records` (timestamps, the JSON normal form), `connection` (the client,
the eviction-policy check), `scripts` (the Lua), `write` (put, the size threshold), `read`
(pending, overlay), `flusher` (hand-off, batches, crash analysis), `status` (stats, readiness,
records set aside), `legacy`, `kinds`, `upsert`, `observability`.

Upgrading from the layout before buckets (one hash per shard): for one release the flusher reads
both layouts, the old one first, and reads see both while the old one holds anything, so records
pending at the deploy are neither lost nor hidden; nothing needs to run (see `legacy` and the
README's operations notes). The release after drops `legacy`.
Settings: BATCH_PROCESSOR_ENABLED, BATCH_PROCESSOR_INTERVAL (beat), BATCH_PROCESSOR_PARALLEL_WORKERS,
BATCH_PROCESSOR_THRESHOLD (5000), and optionally BATCH_PROCESSOR_BATCH_SIZE (5000 records per
transaction), BATCH_PROCESSOR_LOCK_TTL (120 s), BATCH_PROCESSOR_TRIGGER_DEBOUNCE (60 s),
BATCH_PROCESSOR_KEY_PREFIX (``s24:wb``), BATCH_PROCESSOR_REDIS_URL (default REDIS_URL).
"""

from .connection import (
    BufferReadError,
    BufferRedisUnsafe,
    eviction_problem,
    get_client,
    reset_client,
)
from .flusher import HOOKS, FlushResult, LockLost, flush, flush_all, flush_shard
from .kinds import BufferKind, get_kind, register_kind, registered_kinds, unregister_kind
from .read import overlay, pending
from .records import decode_record, now_micros, uuid5_text
from .status import readiness, requeue_dead, stats
from .upsert import Upsert
from .write import (
    CLOSED_TTL,
    GroupClosed,
    Stored,
    close_group,
    pending_count,
    put,
    put_many,
    reopen_group,
)

__all__ = [
    "HOOKS",
    "BufferKind",
    "BufferRedisUnsafe",
    "BufferReadError",
    "CLOSED_TTL",
    "GroupClosed",
    "FlushResult",
    "LockLost",
    "Upsert",
    "decode_record",
    "close_group",
    "eviction_problem",
    "flush",
    "flush_all",
    "flush_shard",
    "get_client",
    "get_kind",
    "now_micros",
    "overlay",
    "pending",
    "pending_count",
    "put",
    "put_many",
    "Stored",
    "readiness",
    "register_kind",
    "registered_kinds",
    "reopen_group",
    "requeue_dead",
    "reset_client",
    "stats",
    "unregister_kind",
    "uuid5_text",
]
