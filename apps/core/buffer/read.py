"""The read path: pending records (read-your-writes before any flush) and the overlay of them on
what Postgres holds."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import redis

from . import legacy
from .connection import REDIS_ERRORS, BufferReadError, get_client
from .kinds import BufferKind, get_kind
from .layout import Layout, layout_of, shard_keys
from .records import Record, decode_record, dumps, encode_fields, normalise
from .scripts import pipelined

logger = logging.getLogger("schools24.buffer")


def _read_calls(kind: BufferKind, layout: Layout, flt: Mapping[str, Any]) -> list[tuple]:
    """The pipelined script calls that read the pending records the filter may match."""
    if all(f in flt for f in kind.key_fields):
        shard, bucket, key = layout.locate(flt)
        shards, args = [shard], ["k", bucket, key]
    elif kind.group_fields and all(f in flt for f in kind.group_fields):
        group, prefix, shard, h = layout.group_address(flt)
        shards = range(kind.shards) if shard is None else [shard]
        if kind.indexed:
            args = ["i", group, prefix, h]
        else:
            args = ["b", prefix, *(f"{h}.{s}" for s in range(kind.buckets))]
    else:
        # No index covers the filter: everything, each shard in one script (so a flush handing
        # it off meanwhile cannot hide a record).
        shards, args = range(kind.shards), ["a"]
    calls = []
    for shard in shards:
        sk = shard_keys(kind, shard)
        calls.append(("read", [sk.b, sk.fb], [sk.base, *args]))
    return calls


def _records(kind: BufferKind, wanted: dict[str, Any], pairs: list | None = None) -> list[Record]:
    """The records the filter may match, from `pairs` (a flat [key, value, ...] already read by
    the calls of `_read_calls`) or read now."""
    layout = layout_of(kind)
    if pairs is None:
        calls = _read_calls(kind, layout, wanted)
        pairs = [v for found in pipelined(get_client(), calls) for v in found]
    out = []
    for i in range(0, len(pairs), 2):
        try:
            out.append(layout.unpack(pairs[i], pairs[i + 1]))
        except Exception:  # noqa: BLE001 - one bad value must not break a read
            logger.exception("Write buffer: undecodable %s record skipped", kind.name)
    if legacy.present(kind):
        for raw in legacy.read_values(kind, wanted):
            try:
                out.append(decode_record(raw))
            except Exception:  # noqa: BLE001
                logger.exception("Write buffer: undecodable %s record skipped", kind.name)
    return out


def pending(kind: str | BufferKind, *, strict: bool = False, **flt: Any) -> list[Record]:
    """Pending records of `kind` matching `flt` (field=value), newest per key, from both the
    pending set and any snapshot being flushed. Uses the key (all key fields given) or the
    group (all group fields given); any other filter reads the kind's whole buffer.

    Read Redis before Postgres (as `overlay` does): a record a flush deletes from Redis after
    this read was committed before the deletion, so the later database read sees it.
    If Redis is unreachable this logs a warning and returns [] (writes then go to Postgres);
    with `strict`, any Redis error raises `BufferReadError` instead, for callers that must not
    act on what they could not read (grading a quiz attempt).
    """
    k = get_kind(kind)
    wanted = {name: normalise(value) for name, value in flt.items()}
    try:
        found = _records(k, wanted)
    except redis.exceptions.RedisError as exc:
        if strict:
            raise BufferReadError(k.name, exc) from exc
        if not isinstance(exc, REDIS_ERRORS):
            raise
        logger.warning(
            "Write buffer: Redis unreachable reading %s pending records: %s", k.name, exc
        )
        return []
    return _newest(k, found, wanted)


def read_back(kind: BufferKind, **flt: Any) -> tuple[list[tuple], Callable[[list], list[Record]]]:
    """For a writer that reads its group back in the put's own round trip: the script calls
    that read what `pending(kind, **flt)` reads, and the function that turns their results
    into what `pending` returns. Run the calls after the put, in the same pipeline (Redis runs
    them in order, so the read sees the put)."""
    wanted = {name: normalise(value) for name, value in flt.items()}
    calls = _read_calls(kind, layout_of(kind), wanted)

    def records(results: list) -> list[Record]:
        pairs = [v for found in results for v in found]
        return _newest(kind, _records(kind, wanted, pairs), wanted)

    return calls, records


def _newest(k: BufferKind, found: list[Record], wanted: dict[str, Any]) -> list[Record]:
    """The records matching `wanted`, the newest per key, loaded."""
    newest: dict[str, Record] = {}
    ts_field = k.ts_field
    for record in found:
        if any(record.get(name) != value for name, value in wanted.items()):
            continue
        key = encode_fields(record, k.key_fields)
        held = newest.get(key)
        if held is None or record[ts_field] > held[ts_field]:
            newest[key] = record
    records = list(newest.values())
    if k.load is not None:
        records = [k.load(r) for r in records]
    return records


def _get(row: Any, name: str, default: Any = None) -> Any:
    if isinstance(row, Mapping):
        return row.get(name, default)
    return getattr(row, name, default)


def overlay(
    kind: str | BufferKind,
    rows: Iterable[Any] | Callable[[], Iterable[Any]],
    key_fields: Iterable[str] | None = None,
    *,
    ts_field: str | None = None,
    make_row: Callable[[Record], Any] | None = None,
    strict: bool = False,
    pending_records: list[Record] | None = None,
    **flt: Any,
) -> list[Any]:
    """What Postgres holds (`rows`) with the pending records of `kind` matching `flt` laid over.

    `rows` are dicts (``qs.values()``) or objects; pass the QuerySet unevaluated (or a callable):
    the pending records are read first and the rows after, which closes the window in which a
    flush could move a record from Redis to Postgres between the two reads. `key_fields` name
    the rows' fields holding the kind's key fields, in the kind's order (default: same names).
    A pending record replaces a row's fields unless the row's `ts_field` is as new or newer (a
    write that went straight to Postgres while Redis was down). Dict rows are copied; objects
    get attributes set. Records the database lacks are appended (dicts, or `make_row(record)`).
    `strict`: raise `BufferReadError` when Redis cannot be read (see `pending`).
    `pending_records`: the pending records already read (`put_many(read_back=...)` reads them
    in the put's round trip, before these rows are read); Redis is then not asked again.
    """
    k = get_kind(kind)
    records = pending(k, strict=strict, **flt) if pending_records is None else pending_records
    if callable(rows):
        rows = rows()
    out = list(rows)
    row_keys = tuple(key_fields or k.key_fields)
    if len(row_keys) != len(k.key_fields):
        raise ValueError(f"overlay needs {len(k.key_fields)} key fields, got {row_keys}")
    rename = dict(zip(k.key_fields, row_keys, strict=True))
    ts_name = ts_field or k.ts_field
    index = {dumps([_get(row, f) for f in row_keys]).decode(): i for i, row in enumerate(out)}
    for record in records:
        values = {rename.get(name, name): value for name, value in record.items()}
        if ts_name != k.ts_field:
            values[ts_name] = values.pop(k.ts_field)
        i = index.get(dumps([record[f] for f in k.key_fields]).decode())
        if i is None:
            out.append(make_row(values) if make_row else values)
            continue
        row = out[i]
        held = _get(row, ts_name)
        if held is not None and held >= values[ts_name]:
            continue
        if isinstance(row, Mapping):
            out[i] = {**row, **values}
        else:
            for name, value in values.items():
                setattr(row, name, value)
    return out
