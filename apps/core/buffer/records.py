"""Records as the buffer sees them: timestamps, the JSON normal form every record is stored
in, key strings, and the codec'd JSON form kept for records set aside (the ``dead`` hash)."""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson

from apps.core.codecs import Codec, default_codec

from .kinds import BufferKind

Record = dict[str, Any]


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "pk"):  # a model instance given where an id was meant
        return value.pk
    raise TypeError(f"Cannot store {type(value).__name__} in the write buffer")


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_json_default)


def normalise(value: Any) -> Any:
    """`value` as it comes back from JSON (what a filter value is compared with)."""
    return orjson.loads(dumps(value))


def encode_fields(record: Mapping[str, Any], fields: Iterable[str]) -> str:
    """The stable string of `record`'s values for `fields` (a key or a group id)."""
    try:
        return dumps([record[f] for f in fields]).decode()
    except KeyError as exc:
        raise ValueError(f"Buffered record lacks the field {exc.args[0]!r}") from None


def encode_record(record: Record, codec: Codec | None = None) -> bytes:
    """A whole record as codec(JSON): the form of the ``dead`` hash."""
    return (codec or default_codec()).encode(dumps(record))


def decode_record(raw: bytes) -> Record:
    return orjson.loads(Codec.decode(raw))


def uuid5_text(namespace: uuid.UUID, name: str) -> str:
    """``str(uuid.uuid5(namespace, name))`` without making UUID objects: `derived` ids are
    computed for every record packed or unpacked, and this is several times faster."""
    digest = bytearray(
        hashlib.sha1(namespace.bytes + name.encode(), usedforsecurity=False).digest()
    )
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest[:16].hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# --- timestamps --------------------------------------------------------------------------------
_ts_lock = threading.Lock()
_last_ts = 0


def now_micros() -> int:
    """UTC epoch microseconds, strictly increasing within this process."""
    global _last_ts
    with _ts_lock:
        now = time.time_ns() // 1000
        if now <= _last_ts:
            now = _last_ts + 1
        _last_ts = now
        return now


def to_micros(value: Any) -> int:
    """A record's `ts` as UTC epoch microseconds (int micros, aware/naive-UTC datetime, ISO)."""
    if isinstance(value, bool):
        raise ValueError("ts must be epoch microseconds, a datetime or an ISO string")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if value.lstrip("-").isdigit():
            return int(value)
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        delta = value - datetime(1970, 1, 1, tzinfo=UTC)
        return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    if isinstance(value, date):
        raise ValueError("ts must carry a time, not only a date")
    raise ValueError(f"Cannot read ts from {type(value).__name__}")


def prepare(kind: BufferKind, record: Mapping[str, Any]) -> Record:
    """A copy of `record` as stored: the kind's prepare hook applied, `ts` set and normalised,
    round-tripped through JSON so apply() sees the same values whichever path a record takes."""
    out = dict(record)
    if kind.prepare is not None:
        out = dict(kind.prepare(out))
    ts = out.get(kind.ts_field)
    out[kind.ts_field] = now_micros() if ts is None else to_micros(ts)
    for name in kind.key_fields:
        if out.get(name) is None:
            raise ValueError(f"Buffered {kind.name} record lacks key field {name!r}")
    return orjson.loads(dumps(out))
