"""The write path: put, put_many, the write-through fallback, closed groups and the size
threshold."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import redis
from django.conf import settings
from django.db import transaction

from apps.core.codecs import default_codec

from .connection import (
    REDIS_ERRORS,
    BufferReadError,
    enabled,
    get_client,
    mark_down,
    redis_for_put,
    threshold_for,
    unsafe_for_put,
)
from .kinds import BufferKind, get_kind
from .layout import all_shard_keys, layout_of, shard_keys, trigger_key
from .read import read_back
from .records import Record, normalise, prepare
from .scripts import pipelined

logger = logging.getLogger("schools24.buffer")

PUT_CHUNK = 500  # records per put script call
# How long a closed group stays closed: far longer than any request takes between reading what
# it checks against and putting (a request past it would have timed out long before).
CLOSED_TTL = 24 * 3600


class GroupClosed(Exception):
    """`put_many(..., unless_closed=...)` found the group closed (`close_group`); nothing was
    written."""


class Stored(list):
    """The records of a `put_many` as stored; `buffered` tells whether they went to Redis
    (pending) or straight to Postgres (the buffer off or Redis unreachable). `pending`: with
    `read_back`, the group's pending records read in the put's round trip (None when the
    records went straight to Postgres: then read as usual)."""

    buffered: bool = False
    pending: list[Record] | None = None


def put(kind: str | BufferKind, record: Mapping[str, Any]) -> Record:
    """Buffer one record; returns it as stored (with `ts`). Never fails because Redis is down.

    The last write per key wins, by `ts` (set here when missing): a record older than, or as
    old as, the one already pending for its key is ignored, exactly as Postgres would ignore it.
    With BATCH_PROCESSOR_ENABLED off, or when Redis is unreachable, the record is written
    straight to Postgres with the kind's apply() (inside the caller's transaction if any).
    A put is not part of the caller's database transaction; call it from
    ``transaction.on_commit`` if it must not outlive a rollback.
    """
    return put_many(kind, [record])[0]


def put_many(
    kind: str | BufferKind,
    records: Iterable[Mapping[str, Any]],
    *,
    read_back: Mapping[str, Any] | None = None,
    unless_closed: Mapping[str, Any] | None = None,
    through: Callable[[list[Record]], Any] | None = None,
) -> Stored:
    """Buffer many records in one round trip (one script call per shard chunk, pipelined).
    `read_back` (a `pending` filter): read those pending records in the same round trip, after
    the put (`Stored.pending`), for a writer that answers with what it wrote.

    `unless_closed` (a group, every group field named; all records in it): refuse the put,
    atomically and with nothing written, when `close_group` closed that group (raises
    `GroupClosed`). Redis cannot check that for records written straight to Postgres, so such a
    writer passes `through`: what writes them there instead of the kind's apply(), under
    whatever lock its closing takes."""
    k = get_kind(kind)
    stored = Stored(prepare(k, r) for r in records)
    if not stored:
        return stored
    if not enabled():
        write_through(k, stored, through)
        return stored
    problem = unsafe_for_put()
    if problem:
        logger.warning(
            "Write buffer: %s; wrote %d %s record(s) straight to Postgres",
            problem,
            len(stored),
            k.name,
        )
        write_through(k, stored, through)
        return stored
    try:
        biggest = _put_redis(k, stored, read_back, unless_closed)
    except REDIS_ERRORS as exc:
        mark_down()
        logger.warning(
            "Write buffer: Redis unreachable (%s: %s); wrote %d %s record(s) straight to Postgres",
            exc.__class__.__name__,
            exc,
            len(stored),
            k.name,
        )
        write_through(k, stored, through)
        return stored
    stored.buffered = True
    maybe_trigger(k, biggest)
    return stored


def write_through(
    kind: BufferKind,
    records: list[Record],
    through: Callable[[list[Record]], Any] | None = None,
) -> Any:
    if through is not None:
        return through(records)
    with transaction.atomic(using=kind.using):
        return kind.apply(records)


def _put_redis(
    kind: BufferKind,
    records: Stored,
    read: Mapping[str, Any] | None = None,
    unless_closed: Mapping[str, Any] | None = None,
) -> int:
    client = redis_for_put()
    layout, codec = layout_of(kind), default_codec()
    by_shard: dict[int, list[bytes | str]] = {}
    for record in records:
        packed = layout.pack(record, codec)
        by_shard.setdefault(packed.shard, []).extend(
            (packed.bucket, packed.key, packed.value, packed.group, packed.suffix)
        )
    marker = []
    if unless_closed is not None:
        shard, key = _closed_key(kind, unless_closed)
        if set(by_shard) != {shard}:
            raise ValueError(f"put_many(unless_closed=...): a {kind.name} record is not in it")
        marker = [key]
    now_ms = int(time.time() * 1000)
    calls = []
    # A put that checks a closed group is one script call, so it is refused or kept whole.
    step = len(by_shard[shard]) if marker else PUT_CHUNK * 5
    for shard, args in by_shard.items():
        sk = shard_keys(kind, shard)
        for start in range(0, len(args), step):
            keys = [sk.n, sk.o, *marker]
            calls.append(("put", keys, [sk.base, now_ms, *args[start : start + step]]))
    reads, records_of = read_back(kind, **read) if read is not None else ([], None)
    results = pipelined(client, calls + reads)
    puts = results[: len(calls)]
    if any(int(accepted) < 0 for accepted, _count in puts):
        raise GroupClosed(kind.name)
    if records_of is not None:
        records.pending = records_of(results[len(calls) :])
    return max(int(count) for _accepted, count in puts)


# --- closed groups ---------------------------------------------------------------------------
def _closed_key(kind: BufferKind, group: Mapping[str, Any]) -> tuple[int, bytes]:
    """(shard, marker key) of a group of a kind sharded by group."""
    if not kind.group_fields or set(group) != set(kind.group_fields):
        raise ValueError(f"A closed {kind.name} group names exactly {kind.group_fields}")
    packed, _prefix, shard, _h = layout_of(kind).group_address(
        {name: normalise(value) for name, value in group.items()}
    )
    if shard is None:
        raise ValueError(f"{kind.name} is not sharded by group; its groups cannot be closed")
    return shard, shard_keys(kind, shard).closed(packed)


def close_group(kind: str | BufferKind, **group: Any) -> bool:
    """Close a group to puts that pass `unless_closed` for it, for CLOSED_TTL seconds: every
    such put that Redis runs after this one is refused (`GroupClosed`), so a reader that then
    reads the group's pending records sees the last of them. A quiz attempt's answers are closed
    by its submit. False when the buffer is off (every put then goes through the writer's
    `through`). Raises `BufferReadError` when Redis cannot be reached."""
    k = get_kind(kind)
    if not enabled():
        return False
    _shard, key = _closed_key(k, group)
    try:
        get_client().set(key, b"1", ex=CLOSED_TTL)
    except redis.exceptions.RedisError as exc:
        raise BufferReadError(k.name, exc) from exc
    return True


def reopen_group(kind: str | BufferKind, **group: Any) -> None:
    """Undo `close_group` (a close whose reason did not happen: a submit that failed). Raises
    `BufferReadError` when Redis cannot be reached."""
    k = get_kind(kind)
    if not enabled():
        return
    _shard, key = _closed_key(k, group)
    try:
        get_client().delete(key)
    except redis.exceptions.RedisError as exc:
        raise BufferReadError(k.name, exc) from exc


# --- the size threshold ----------------------------------------------------------------------
def pending_count(kind: BufferKind, client: redis.Redis | None = None) -> int:
    client = client or get_client()
    pipe = client.pipeline(transaction=False)
    for sk in all_shard_keys(kind):
        pipe.get(sk.n)
    return sum(int(n or 0) for n in pipe.execute())


COUNT_INTERVAL = 0.5  # seconds between exact counts per kind and process
_last_count: dict[str, float] = {}


def maybe_trigger(kind: BufferKind, biggest_shard: int) -> bool:
    """Enqueue one flush when the kind's pending count passes its threshold.

    Cheap in the common case: the put script returns its shard's count, and only when that
    times the number of shards reaches the threshold is the exact count taken (at most every
    COUNT_INTERVAL seconds per process). A burst enqueues
    once: the trigger key is SET NX EX (BATCH_PROCESSOR_TRIGGER_DEBOUNCE seconds) and a flush
    deletes it when done. The task is sent on commit of the caller's transaction.
    """
    threshold = threshold_for(kind)
    if threshold <= 0 or biggest_shard * kind.shards < threshold:
        return False
    now = time.monotonic()
    if now - _last_count.get(kind.name, -1.0) < COUNT_INTERVAL:
        return False  # counted a moment ago (a skewed shard keeps the estimate high)
    _last_count[kind.name] = now
    try:
        client = get_client()
        key = trigger_key(kind)
        if client.exists(key) or pending_count(kind, client) < threshold:
            return False
        debounce = int(settings.BATCH_PROCESSOR_TRIGGER_DEBOUNCE)
        if not client.set(key, str(time.time()), nx=True, ex=max(debounce, 1)):
            return False
    except REDIS_ERRORS as exc:
        logger.warning("Write buffer: threshold check for %s failed: %s", kind.name, exc)
        return False
    transaction.on_commit(lambda: _enqueue_flush(kind, key), using=kind.using, robust=True)
    return True


def _enqueue_flush(kind: BufferKind, key: str) -> None:
    from ..queue import task

    try:
        task("apps.core.tasks.flush_write_buffer").apply_async(
            kwargs={"kind": kind.name}, retry=False
        )
        logger.info("Write buffer: %s passed its threshold; flush enqueued", kind.name)
    except Exception as exc:  # noqa: BLE001 - a broker outage must not fail the request
        logger.warning("Write buffer: could not enqueue a flush of %s: %s", kind.name, exc)
        try:
            get_client().delete(key)  # let the next put try again
        except REDIS_ERRORS:
            pass
