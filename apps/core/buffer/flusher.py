"""Flushing (claim, apply, ack): hand a shard's pending set off atomically, upsert it, delete it
after commit.

Per shard, under the shard's lock (SET NX PX with a random token; extended after every batch;
released by a token-checked script):

1. BEGIN (one script): if a snapshot is left by a crashed flush, keep it ("resume"); otherwise
   RENAME every bucket, the long values, the group indexes, the count and the first-write time to
   the snapshot names ("fresh"). Puts arriving afterwards build a new pending set the flush never
   touches.
2. Read the snapshot's buckets (a few at a time, one framed reply each); decode; apply() each
   batch of BATCH_PROCESSOR_BATCH_SIZE records in its own database transaction.
3. FINISH (one script, only while still holding the lock): UNLINK the snapshot.
4. After a resumed snapshot, go back to 1 once so the current pending set is flushed too.

Before that, for one release, the same three steps run over the shard's keys in the layout
before buckets (`legacy`), so records pending at the deploy are flushed as before.

One transaction per batch, not per shard: transactions stay short (row locks, WAL, no long
snapshot holding back vacuum), a failure costs one batch, and since the snapshot is deleted only
after every batch has committed, a crash simply replays the snapshot. A replay cannot duplicate
anything: apply() upserts on the natural key and only a strictly newer `ts` changes a row.

Crash (SIGKILL) windows, each covered by tests/test_buffer.py:
- before BEGIN: nothing moved; the lock expires (BATCH_PROCESSOR_LOCK_TTL).
- BEGIN is atomic: all keys renamed or none.
- after BEGIN, between batches, after the last commit: the snapshot is intact; the next flush
  resumes it, re-applying committed batches as no-ops.
- inside a batch's transaction: Postgres rolls the transaction back when the connection drops.
- FINISH is atomic; after it the records are in Postgres.
A flusher that stalls past its lock's expiry cannot delete a snapshot that is no longer its
own: FINISH and BEGIN check the token, and batches it still applies are idempotent.

A batch Postgres refuses (IntegrityError/DataError, e.g. a student deleted meanwhile) is split
in halves until the offending records are isolated; those are moved to the shard's ``dead`` hash
(logged, counted in stats, `requeue_dead` puts them back) so one bad record cannot wedge the
buffer. A record that does not decode goes there too. Other database errors abort the flush; the
snapshot waits for the next one.

Shards are flushed in parallel by up to BATCH_PROCESSOR_PARALLEL_WORKERS threads, each with its
own database connection (closed when it finishes), never inside the caller's transaction.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DataError, IntegrityError, connections, transaction

from . import legacy
from .connection import REDIS_ERRORS, BufferRedisUnsafe, eviction_problem, get_client
from .kinds import BufferKind, get_kind, registered_kinds
from .layout import ShardKeys, all_shard_keys, layout_of, shard_keys, trigger_key, unframe
from .records import decode_record, encode_fields, encode_record
from .scripts import script

BUCKETS_PER_CALL = 64  # snapshot buckets read per script call (a few thousand records)

logger = logging.getLogger("schools24.buffer")


# Test failpoints: name -> callable(point=..., kind=..., shard=..., **context). Points: "locked",
# "renamed" (state=fresh|resume), "in_transaction" (batch applied, not committed), "committed",
# "before_delete", "deleted". Empty in production.
HOOKS: dict[str, Callable[..., None]] = {}


def _fire(point: str, **context: Any) -> None:
    hook = HOOKS.get(point)
    if hook is not None:
        hook(point=point, **context)


class LockLost(RuntimeError):
    """The shard's lock expired and another flusher may own the shard now."""


@dataclass
class FlushResult:
    """What one flush of one kind did.

    records  records read from snapshots and applied (a replayed record counts again)
    written  rows Postgres inserted or changed (replays and older records change nothing)
    shards   shards that had records to flush
    skipped  shards another flusher held (its flush covers them)
    dead     records set aside in the dead hash
    seconds  wall time
    """

    kind: str
    records: int = 0
    written: int = 0
    shards: int = 0
    skipped: int = 0
    dead: int = 0
    seconds: float = 0.0

    def add(self, other: FlushResult) -> None:
        self.records += other.records
        self.written += other.written
        self.shards += other.shards
        self.skipped += other.skipped
        self.dead += other.dead


def batch_size() -> int:
    return int(settings.BATCH_PROCESSOR_BATCH_SIZE)


def lock_ttl_ms() -> int:
    return int(float(settings.BATCH_PROCESSOR_LOCK_TTL) * 1000)


# --- the lock --------------------------------------------------------------------------------
def _acquire(client, key: str, wait: float) -> str | None:
    token = secrets.token_hex(16)
    deadline = time.monotonic() + max(wait, 0.0)
    while True:
        if client.set(key, token, nx=True, px=lock_ttl_ms()):
            return token
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.05)


def _extend(client, key: str, token: str) -> None:
    if not script("extend", client)(keys=[key], args=[token, lock_ttl_ms()], client=client):
        raise LockLost(key)


def _release(client, key: str, token: str) -> None:
    try:
        script("release", client)(keys=[key], args=[token], client=client)
    except REDIS_ERRORS as exc:  # it expires anyway
        logger.warning("Write buffer: could not release %s: %s", key, exc)


# --- one shard -------------------------------------------------------------------------------
def _set_aside(client, kind: BufferKind, sk: ShardKeys, key: str, raw: bytes, why: str) -> None:
    client.hset(sk.dead, key, raw)
    logger.error("Write buffer: %s record %s set aside in %s: %s", kind.name, key, sk.dead, why)


def _apply(
    client,
    kind: BufferKind,
    sk: ShardKeys,
    token: str,
    records: list[dict],
    result: FlushResult,
) -> None:
    try:
        with transaction.atomic(using=kind.using):
            written = kind.apply(records)
            _fire("in_transaction", kind=kind.name, shard=sk.shard, records=len(records))
    except (IntegrityError, DataError) as exc:
        if len(records) == 1:
            record = records[0]
            key = encode_fields(record, kind.key_fields)
            _set_aside(
                client,
                kind,
                sk,
                key,
                encode_record(record),
                f"{exc.__class__.__name__}: {exc}",
            )
            result.dead += 1
            result.records += 1
            return
        _extend(client, sk.lock, token)
        half = len(records) // 2
        _apply(client, kind, sk, token, records[:half], result)
        _apply(client, kind, sk, token, records[half:], result)
        return
    result.records += len(records)
    result.written += written or 0
    _fire("committed", kind=kind.name, shard=sk.shard, records=len(records))


def _drain(
    client, kind: BufferKind, sk: ShardKeys, token: str, size: int, result: FlushResult
) -> None:
    layout = layout_of(kind)
    dump = script("dump", client)
    buckets = sorted(v.decode() for v in client.smembers(sk.fb))
    batch: list[dict] = []
    for start in range(0, len(buckets), BUCKETS_PER_CALL):
        chunk = buckets[start : start + BUCKETS_PER_CALL]
        blob = dump(keys=[sk.fb], args=[sk.base, *chunk], client=client)
        for key, raw in unframe(blob):
            try:
                batch.append(layout.unpack(key, raw))
            except Exception as exc:  # noqa: BLE001 - keep it, do not wedge the shard
                _set_aside(client, kind, sk, key.hex(), raw, repr(exc))
                result.dead += 1
        done = start + BUCKETS_PER_CALL >= len(buckets)
        if batch and (len(batch) >= size or done):
            _extend(client, sk.lock, token)
            _apply(client, kind, sk, token, batch, result)
            batch = []


def _drain_legacy(
    client, kind: BufferKind, sk: ShardKeys, token: str, size: int, result: FlushResult
) -> None:
    """The layout before buckets, exactly as it was flushed (see `legacy`)."""
    old = legacy.old_keys(kind, sk.shard)
    begin, finish = script("legacy_begin", client), script("legacy_finish", client)
    scan = script("legacy_scan", client)
    while True:
        state = begin(keys=[sk.lock, old.p], args=[token, old.base], client=client).decode()
        if state == "lost":
            raise LockLost(sk.lock)
        if state == "empty":
            return
        result.shards = 1
        batch: dict[bytes, dict] = {}
        cursor = b"0"
        while True:
            cursor, blob = scan(keys=[old.fp], args=[cursor, size], client=client)
            for key, raw in unframe(blob):
                try:
                    batch[key] = decode_record(raw)
                except Exception as exc:  # noqa: BLE001
                    _set_aside(client, kind, sk, key.decode(errors="replace"), raw, repr(exc))
                    result.dead += 1
            done = cursor == b"0"
            if batch and (len(batch) >= size or done):
                _extend(client, sk.lock, token)
                _apply(client, kind, sk, token, list(batch.values()), result)
                batch = {}
            if done:
                break
        if not finish(keys=[sk.lock, old.fp], args=[token, old.base], client=client):
            raise LockLost(sk.lock)
        if state == "fresh":
            legacy.forget(kind)
            return


def flush_shard(
    kind: BufferKind,
    shard: int,
    *,
    wait: float = 0.0,
    size: int | None = None,
    legacy_only: bool = False,
) -> FlushResult:
    """Flush one shard (see the module docstring); a busy shard is skipped after `wait` s.
    `legacy_only`: only the shard's records in the layout before buckets."""
    client = get_client()
    sk = shard_keys(kind, shard)
    result = FlushResult(kind.name)
    token = _acquire(client, sk.lock, wait)
    if token is None:
        result.skipped = 1
        return result
    begin, finish = script("begin", client), script("finish", client)
    try:
        _fire("locked", kind=kind.name, shard=shard)
        _drain_legacy(client, kind, sk, token, size or batch_size(), result)
        while not legacy_only:
            state = begin(keys=[sk.lock], args=[token, sk.base], client=client).decode()
            if state == "lost":
                raise LockLost(sk.lock)
            if state == "empty":
                break
            result.shards = 1
            _fire("renamed", kind=kind.name, shard=shard, state=state)
            _drain(client, kind, sk, token, size or batch_size(), result)
            _fire("before_delete", kind=kind.name, shard=shard)
            if not finish(keys=[sk.lock], args=[token, sk.base], client=client):
                raise LockLost(sk.lock)
            _fire("deleted", kind=kind.name, shard=shard)
            if state == "fresh":
                break
    finally:
        _release(client, sk.lock, token)
    return result


def _flush_shard_thread(
    kind: BufferKind, shard: int, wait: float, size: int | None, legacy_only: bool
) -> FlushResult:
    try:
        return flush_shard(kind, shard, wait=wait, size=size, legacy_only=legacy_only)
    finally:
        connections.close_all()  # this thread's connections only


def _shards_with_work(kind: BufferKind) -> tuple[list[int], list[int]]:
    """(shards with records in the old layout, shards with records in buckets)."""
    client = get_client()
    pipe = client.pipeline(transaction=False)
    for sk in all_shard_keys(kind):
        pipe.exists(*legacy.old_keys(kind, sk.shard).work())
        pipe.exists(sk.b, sk.o, sk.fb, sk.fo, sk.fidx)
    found = pipe.execute()
    return (
        [shard for shard in range(kind.shards) if found[2 * shard]],
        [shard for shard in range(kind.shards) if found[2 * shard + 1]],
    )


def _flush_shards(
    k: BufferKind,
    todo: list[int],
    *,
    wait: float,
    workers: int | None,
    size: int | None,
    legacy_only: bool,
    result: FlushResult,
    errors: list[BaseException],
) -> None:
    if todo and workers == 0:
        for shard in todo:
            result.add(flush_shard(k, shard, wait=wait, size=size, legacy_only=legacy_only))
    elif todo:
        workers = workers or int(settings.BATCH_PROCESSOR_PARALLEL_WORKERS)
        workers = max(1, min(workers, len(todo)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"flush-{k.name}") as pool:
            futures = [
                pool.submit(_flush_shard_thread, k, s, wait, size, legacy_only) for s in todo
            ]
            for shard, future in zip(todo, futures, strict=True):
                try:
                    result.add(future.result())
                except BaseException as exc:  # noqa: BLE001 - report every shard's failure
                    logger.error(
                        "Write buffer: flushing %s shard %d failed: %r", k.name, shard, exc
                    )
                    errors.append(exc)


def flush(
    kind: str | BufferKind,
    *,
    wait: float = 0.0,
    workers: int | None = None,
    size: int | None = None,
) -> FlushResult:
    """Write `kind`'s pending records to Postgres; returns a FlushResult.

    Idempotent and safe to run concurrently with puts and with other flushes (a shard locked by
    another flusher is skipped after waiting `wait` seconds for it). `workers` defaults to
    BATCH_PROCESSOR_PARALLEL_WORKERS; `workers=0` flushes shard by shard on the calling thread
    and its database connection (so the rows may refer to data the caller has not committed,
    as in tests). `size` (records per transaction) defaults to BATCH_PROCESSOR_BATCH_SIZE.
    Raises the first error a shard met, after the others finished; refuses to start
    (`BufferRedisUnsafe`, logged) while the buffer's Redis has an allkeys-* eviction policy.
    """
    k = get_kind(kind)
    problem = eviction_problem()
    if problem:
        logger.error("Write buffer: the flusher refuses to start: %s", problem)
        raise BufferRedisUnsafe(problem)
    started = time.monotonic()
    result = FlushResult(k.name)
    old, todo = _shards_with_work(k)
    errors: list[BaseException] = []
    # The old layout first, every shard of it: its records were written before (or, during a
    # rolling update, beside) the ones in buckets, so Postgres sees them in that order.
    options = {"wait": wait, "workers": workers, "size": size, "result": result, "errors": errors}
    _flush_shards(k, old, legacy_only=True, **options)
    _flush_shards(k, todo, legacy_only=False, **options)
    try:
        get_client().delete(trigger_key(k))
    except REDIS_ERRORS:
        pass
    result.seconds = time.monotonic() - started
    if result.records or result.skipped or errors:
        logger.info(
            "Write buffer: flushed %d %s record(s) (%d written, %d set aside) from %d shard(s) "
            "in %.3f s; %d shard(s) busy",
            result.records,
            k.name,
            result.written,
            result.dead,
            result.shards,
            result.seconds,
            result.skipped,
        )
    if errors:
        raise errors[0]
    return result


def flush_all(*, wait: float = 0.0, workers: int | None = None) -> dict[str, FlushResult]:
    """Flush every registered kind, one after another; a failing kind does not stop the rest."""
    results: dict[str, FlushResult] = {}
    first_error: BaseException | None = None
    for k in registered_kinds():
        try:
            results[k.name] = flush(k, wait=wait, workers=workers)
        except Exception as exc:  # noqa: BLE001
            first_error = first_error or exc
    if first_error is not None:
        raise first_error
    return results


__all__ = ["HOOKS", "FlushResult", "LockLost", "flush", "flush_all", "flush_shard"]
