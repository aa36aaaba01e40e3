"""Where a pending record lives in Redis, and how it is packed so that a million pending
records cost under 200 bytes each.

Keys (prefix `BATCH_PROCESSOR_KEY_PREFIX`, default ``s24:wb``; ``B`` = ``<prefix>:{<kind>:<shard>}``,
the braces a Redis Cluster hash tag so a shard's keys share a slot and its scripts stay legal):

    B:v:<b>   hash    packed key -> value       the pending records of bucket <b>
    B:x       hash    packed key -> long value  values too long to stay in a compact bucket
    B:b       set     bucket ids with pending records
    B:n       string  how many keys are pending (put counts new keys)
    B:o       string  first-write time (ms), SET NX by the first put since the last hand-off
    B:i:<g>   hash    key suffix -> bucket number  the index of group <g> (indexed kinds only)
    B:is      set     groups with an index
    B:fv:<b> B:fx B:fb B:fn B:fo B:fi:<g> B:fis   the same, handed off to a flush (snapshot)
    B:lock    string  token of the flusher that owns the shard (SET NX PX)
    B:c:<g>   string  group <g> is closed: puts that name it are refused (SET EX, `close_group`)
    B:dead    hash    JSON key -> codec(JSON record) refused by Postgres or undecodable
    <prefix>:{<kind>}:trigger   the size-threshold debounce (SET NX EX)

Why it is small. Redis keeps a hash with at most ``hash-max-listpack-entries`` (512 by default)
fields, none longer than ``hash-max-listpack-value`` (64 bytes), as one listpack: a few bytes of
overhead per field instead of ~60 for a hashtable entry. So records are spread over many small
hashes (buckets) and packed to fit in 64 bytes:

- A packed key is msgpack of the key's values, the fields it shares with the group first; a
  canonical UUID string is stored as its 16 bytes, a canonical ISO date (1970-2149) as 2 bytes,
  and both come back as the same strings.
- A value is the record's `ts` (8 bytes, big-endian, so the put script compares it without
  decoding) and msgpack of the kind's `fields` by position; fields a record carries beyond them
  follow as a name -> value map; `derived` fields equal to what they derive from are left out.
- A value longer than INLINE_MAX goes to ``B:x`` (compressed with the cache's codec when that
  pays) and its bucket keeps a 9-byte stub: its `ts` and the byte 0xC1 (never used by msgpack).

Which bucket. A kind sharded by group hashes the key fields the group shares (``h``): the shard
is ``h % shards`` and the bucket ``"<h>.<s>"`` with ``s`` = crc32(key) % `buckets`, so e.g. a
school's day of attendance lives in its own 64 hashes, all in one shard.
A key-sharded kind hashes the whole key: shard ``h % shards``, bucket ``"0.<(h // shards) %
buckets>"``. Unless a group is exactly the shard fields (a quiz attempt's answers are then one
hash), groups have an index: ``B:i:<packed group>`` maps the key's suffix (the packed key
after the part the group shares) to its bucket number, so a group read fetches just its keys.

What it costs (bench/attendance.py, MEMORY USAGE of every key): a daily attendance mark about
60 bytes of bucket value and 47 of key, 35 of group index, ~6 for the few long values; about
160 bytes a mark in all, from 1,440 to 1,000,000 pending (the layout before took ~1,100).
tests: `test_a_school_term_of_pending_marks_stays_small_in_redis` (attendance) and
`test_pending_records_stay_in_listpack_encoded_hashes` (core) fail if a hash stops being a
listpack.

Migration: until this release a shard kept everything in one hash ``B:p`` (with ``B:t``,
``B:a``, ``B:g:<g>`` ...). For one release the flusher reads both layouts (the old one first)
and reads look at both while the old one is not empty; see `legacy`.
"""

from __future__ import annotations

import threading
import zlib
from datetime import date
from typing import Any, NamedTuple

import msgpack

from apps.core.codecs import Codec, default_codec

from .connection import key_prefix
from .kinds import BufferKind
from .records import Record

INLINE_MAX = 64  # Redis's default hash-max-listpack-value
STUB = 0xC1  # msgpack never uses this byte: after a `ts`, "the value is in B:x"
TS_BYTES = 8
CACHE_MAX = 200_000  # compacted strings remembered per process (UUIDs and dates repeat)


# --- key names -------------------------------------------------------------------------------
class ShardKeys:
    """The Redis key names of one shard of one kind."""

    __slots__ = ("kind", "shard", "base", "b", "n", "o", "x", "idx", "fb", "fn", "fo", "fx")
    __slots__ += ("fidx", "lock", "dead")

    def __init__(self, prefix: str, kind: str, shard: int):
        self.kind, self.shard = kind, shard
        self.base = base = f"{prefix}:{{{kind}:{shard:03d}}}"
        self.b, self.n, self.o, self.x, self.idx = (
            f"{base}:{s}" for s in ("b", "n", "o", "x", "is")
        )
        self.fb, self.fn, self.fo, self.fx, self.fidx = (
            f"{base}:{s}" for s in ("fb", "fn", "fo", "fx", "fis")
        )
        self.lock, self.dead = f"{base}:lock", f"{base}:dead"

    def bucket(self, bucket: str) -> str:
        return f"{self.base}:v:{bucket}"

    def flushing_bucket(self, bucket: str) -> str:
        return f"{self.base}:fv:{bucket}"

    def index(self, group: bytes) -> bytes:
        return self.base.encode() + b":i:" + group

    def closed(self, group: bytes) -> bytes:
        return self.base.encode() + b":c:" + group


_keys_cache: dict[tuple[str, str, int], ShardKeys] = {}


def shard_keys(kind: BufferKind, shard: int) -> ShardKeys:
    prefix = key_prefix()
    found = _keys_cache.get((prefix, kind.name, shard))
    if found is None:
        found = _keys_cache[(prefix, kind.name, shard)] = ShardKeys(prefix, kind.name, shard)
    return found


def all_shard_keys(kind: BufferKind) -> list[ShardKeys]:
    return [shard_keys(kind, shard) for shard in range(kind.shards)]


def trigger_key(kind: BufferKind) -> str:
    return f"{key_prefix()}:{{{kind.name}}}:trigger"


# --- compact values ----------------------------------------------------------------------------
_EPOCH = date(1970, 1, 1).toordinal()
_HEX = frozenset("0123456789abcdef")
_MISSING = object()  # a declared field the record does not carry
_MISSING_EXT = msgpack.ExtType(0, b"")
_packed: dict[str, Any] = {}
_texts: dict[bytes, str] = {}
_dates: dict[bytes, str] = {}


def _compact(text: str) -> Any:
    if len(text) == 36:
        if text[8] == text[13] == text[18] == text[23] == "-":
            digits = text.replace("-", "")
            if len(digits) == 32 and set(digits) <= _HEX:
                return bytes.fromhex(digits)
        return text
    if text[4] == "-" == text[7]:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return text
        days = day.toordinal() - _EPOCH
        if 0 <= days < 65536 and day.isoformat() == text:
            return msgpack.ExtType(1, days.to_bytes(2, "big"))
    return text


def _pack(value: Any) -> Any:
    """`value` as msgpack should hold it: canonical UUIDs and dates made short."""
    if type(value) is str and (len(value) == 36 or len(value) == 10):
        found = _packed.get(value)
        if found is None:
            if len(_packed) > CACHE_MAX:
                _packed.clear()
            found = _packed[value] = _compact(value)
        return found
    return value


def _uuid_text(raw: bytes) -> str:
    found = _texts.get(raw)
    if found is None:
        if len(_texts) > CACHE_MAX:
            _texts.clear()
        h = raw.hex()
        found = _texts[raw] = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return found


def _ext(code: int, data: bytes) -> Any:
    if code == 1:
        found = _dates.get(data)
        if found is None:
            days = int.from_bytes(data, "big")
            found = _dates[data] = date.fromordinal(_EPOCH + days).isoformat()
        return found
    if code == 0:
        return _MISSING
    raise ValueError(f"Unknown packed value type {code}")


def _unpack(value: Any) -> Any:
    return _uuid_text(value) if type(value) is bytes else value


def _loads(data: bytes) -> Any:
    return msgpack.unpackb(data, ext_hook=_ext)


_local = threading.local()


def _dumps(value: Any) -> bytes:
    """msgpack.packb without making a Packer per call (one per thread: a Packer keeps state)."""
    packer = getattr(_local, "packer", None)
    if packer is None:
        packer = _local.packer = msgpack.Packer()
    return packer.pack(value)


# --- one kind's layout -------------------------------------------------------------------------
class Packed(NamedTuple):
    """One record as the put script takes it."""

    shard: int
    bucket: str
    key: bytes
    value: bytes
    group: bytes = b""  # the group's packed id, for indexed kinds
    suffix: bytes = b""  # the key after the part the group shares, for indexed kinds


class Layout:
    """How records of one kind are keyed, bucketed and packed (see the module docstring)."""

    def __init__(self, kind: BufferKind):
        self.kind = kind
        keys = kind.key_fields
        self.shared = tuple(f for f in keys if f in kind.group_fields)
        self.rest = tuple(f for f in keys if f not in self.shared)
        self.key_order = self.shared + self.rest
        self.header = bytes([0x90 + len(self.key_order)])  # msgpack fixarray of the key
        self.by_group = kind.shard_by == "group"
        derived = {name for name, _ in kind.derived}
        skip = {*keys, kind.ts_field, *derived}
        self.values = tuple(dict.fromkeys(f for f in kind.fields if f not in skip))
        self.stored = frozenset({*keys, kind.ts_field, *self.values, *derived})

    # --- addressing --------------------------------------------------------------------------
    def _place(self, shared_part: bytes, key: bytes) -> tuple[int, int, str]:
        kind = self.kind
        if self.by_group:
            h = zlib.crc32(shared_part)
            sub = zlib.crc32(key) % kind.buckets if kind.buckets > 1 else 0
            return h % kind.shards, h, f"{h}.{sub}"
        h = zlib.crc32(key)
        return h % kind.shards, 0, f"0.{(h // kind.shards) % kind.buckets}"

    def pack_key(self, record: Record) -> tuple[bytes, bytes]:
        """(packed key, the packed values of the shared fields without the array header)."""
        shared = [_pack(record[f]) for f in self.shared]
        head = _dumps(shared)[1:]
        rest = _dumps([_pack(record[f]) for f in self.rest])[1:]
        return self.header + head + rest, head

    def locate(self, record: Record) -> tuple[int, str, bytes]:
        """(shard, bucket, packed key) of a record, or of a filter naming every key field."""
        key, shared = self.pack_key(record)
        shard, _h, bucket = self._place(shared, key)
        return shard, bucket, key

    def group_address(self, flt: Record) -> tuple[bytes, bytes, int | None, int]:
        """For a filter naming every group field: (packed group, the key prefix the group's
        keys start with, its shard or None when the group spans shards, hash of the shared part
        (0 for key-sharded kinds))."""
        group = _dumps([_pack(flt[f]) for f in self.kind.group_fields])
        head = _dumps([_pack(flt[f]) for f in self.shared])
        prefix = self.header + head[1:]
        if not self.by_group:
            return group, prefix, None, 0
        h = zlib.crc32(head[1:])
        return group, prefix, h % self.kind.shards, h

    # --- packing ------------------------------------------------------------------------------
    def pack(self, record: Record, codec: Codec | None = None) -> Packed:
        key, shared = self.pack_key(record)
        shard, _h, bucket = self._place(shared, key)
        values: list[Any] = []
        for name in self.values:
            value = record.get(name, _MISSING)
            values.append(_MISSING_EXT if value is _MISSING else _pack(value))
        stored = self.stored
        extras = {name: _pack(value) for name, value in record.items() if name not in stored}
        for name, derive in self.kind.derived:
            if name not in record:
                extras[name] = _MISSING_EXT
                continue
            try:
                same = derive(record) == record[name]
            except Exception:  # noqa: BLE001 - an odd record is stored as it is
                same = False
            if not same:
                extras[name] = _pack(record[name])
        if extras:
            values.append(extras)
        stamp = record[self.kind.ts_field].to_bytes(TS_BYTES, "big", signed=True)
        payload = _dumps(values)
        value = stamp + payload
        if len(value) > INLINE_MAX:
            value = stamp + bytes([STUB]) + (codec or default_codec()).encode(payload)
        group = suffix = b""
        if self.kind.indexed:
            group = _dumps([_pack(record[f]) for f in self.kind.group_fields])
            suffix = key[1 + len(shared) :]
        return Packed(shard, bucket, key, value, group, suffix)

    def unpack(self, key: bytes, value: bytes) -> Record:
        """The record stored as (`key`, `value`); a long value as the read scripts return it
        (from ``B:x``, not the stub)."""
        record = {f: _unpack(v) for f, v in zip(self.key_order, _loads(key), strict=True)}
        record[self.kind.ts_field] = int.from_bytes(value[:TS_BYTES], "big", signed=True)
        if value[TS_BYTES] == STUB:
            values = _loads(Codec.decode(value[TS_BYTES + 1 :]))
        else:
            values = _loads(value[TS_BYTES:])
        extras = values.pop() if len(values) > len(self.values) else {}
        for name, stored in zip(self.values, values, strict=True):
            if stored is not _MISSING:
                record[name] = _unpack(stored)
        for name, stored in extras.items():
            if stored is not _MISSING:
                record[name] = _unpack(stored)
        for name, derive in self.kind.derived:
            if name not in extras:
                record[name] = derive(record)
        return record


_layouts: dict[int, Layout] = {}


def layout_of(kind: BufferKind) -> Layout:
    found = _layouts.get(id(kind))
    if found is None or found.kind is not kind:
        found = _layouts[id(kind)] = Layout(kind)
    return found


def shard_of(kind: BufferKind, record: Record) -> int:
    """The shard holding `record`'s key (a record or a filter naming every key field)."""
    return layout_of(kind).locate(record)[0]


def unframe(blob: bytes) -> list[tuple[bytes, bytes]]:
    """The (key, value) pairs of a framed script reply (4-byte big-endian length + bytes, key
    then value): one reply element per batch instead of two per record, which is what the
    pure-Python RESP parser would spend most of a flush's time on."""
    out = []
    pos, end = 0, len(blob)
    from_bytes = int.from_bytes
    while pos < end:
        size = from_bytes(blob[pos : pos + 4], "big")
        key = blob[pos + 4 : pos + 4 + size]
        pos += 4 + size
        size = from_bytes(blob[pos : pos + 4], "big")
        out.append((key, blob[pos + 4 : pos + 4 + size]))
        pos += 4 + size
    return out
