"""The layout before buckets (one release only): drained by the flusher, read by `pending`.

Until this release, a shard ``B`` held its pending records in one hash ``B:p`` (JSON key ->
codec(JSON record)) with ``B:t`` (timestamps), ``B:a`` (first write), ``B:gs`` and ``B:g:<g>``
(group index sets), and their ``f*`` snapshot twins. Records pending in that layout when this
release is deployed (and those an old pod still writes during a rolling update) are:

- flushed: every flush of a shard first hands off and drains the shard's old-layout keys,
  under the same lock and with the same crash guarantees as before (BEGIN renames, batches are
  applied in their own transactions, FINISH deletes the snapshot only for the lock's owner);
- read: `pending`/`overlay` also read them while any exist (a per-process check every
  LEGACY_CHECK_INTERVAL seconds; once a process has seen none it stops reading them);
- counted by `stats`.

Delete this module (and its calls in `flusher`, `read` and `status`) in the release after.
"""

from __future__ import annotations

import os
import threading
import time
import zlib
from typing import Any

from .connection import RESET_HOOKS, get_client, key_prefix, redis_url
from .kinds import BufferKind
from .records import Record, encode_fields
from .scripts import pipelined, register

LEGACY_CHECK_INTERVAL = 60.0

# KEYS: lock, p. ARGV: token, base.
BEGIN_LUA = """
local b = ARGV[2]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 'lost' end
if redis.call('EXISTS', b .. ':fp', b .. ':fa', b .. ':ft', b .. ':fgs') > 0 then
  return 'resume'
end
if redis.call('EXISTS', b .. ':p', b .. ':t', b .. ':a', b .. ':gs') == 0 then return 'empty' end
for _, g in ipairs(redis.call('SMEMBERS', b .. ':gs')) do
  if redis.call('EXISTS', b .. ':g:' .. g) == 1 then
    redis.call('RENAME', b .. ':g:' .. g, b .. ':fg:' .. g)
  end
end
for _, s in ipairs({'p', 't', 'a', 'gs'}) do
  if redis.call('EXISTS', b .. ':' .. s) == 1 then
    redis.call('RENAME', b .. ':' .. s, b .. ':f' .. s)
  end
end
return 'fresh'
"""

# KEYS: lock, fp. ARGV: token, base.
FINISH_LUA = """
local b = ARGV[2]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
for _, g in ipairs(redis.call('SMEMBERS', b .. ':fgs')) do
  redis.call('UNLINK', b .. ':fg:' .. g)
end
redis.call('UNLINK', b .. ':fp', b .. ':ft', b .. ':fa', b .. ':fgs')
return 1
"""

# KEYS: fp. ARGV: cursor, count. One HSCAN step, framed (see `layout.unframe`).
SCAN_LUA = """
local reply = redis.call('HSCAN', KEYS[1], ARGV[1], 'COUNT', ARGV[2])
local items, parts = reply[2], {}
for i = 1, #items do
  parts[2 * i - 1] = struct.pack('>I4', #items[i])
  parts[2 * i] = items[i]
end
return {reply[1], table.concat(parts)}
"""

# KEYS: p, fp. ARGV: base, "g" + group id | "k" + keys. Values from pending then snapshot.
READ_LUA = """
local out = {}
local function collect(hash, keys)
  for _, k in ipairs(keys) do
    local v = redis.call('HGET', hash, k)
    if v then out[#out + 1] = v end
  end
end
if ARGV[2] == 'g' then
  collect(KEYS[1], redis.call('SMEMBERS', ARGV[1] .. ':g:' .. ARGV[3]))
  collect(KEYS[2], redis.call('SMEMBERS', ARGV[1] .. ':fg:' .. ARGV[3]))
else
  local keys = {}
  for i = 3, #ARGV do keys[#keys + 1] = ARGV[i] end
  collect(KEYS[1], keys)
  collect(KEYS[2], keys)
end
return out
"""

register("legacy_begin", BEGIN_LUA)
register("legacy_finish", FINISH_LUA)
register("legacy_scan", SCAN_LUA)
register("legacy_read", READ_LUA)


class OldKeys:
    """The old layout's key names of one shard."""

    __slots__ = ("base", "p", "t", "a", "gs", "fp", "ft", "fa", "fgs")

    def __init__(self, kind: BufferKind, shard: int):
        self.base = base = f"{key_prefix()}:{{{kind.name}:{shard:03d}}}"
        self.p, self.t, self.a, self.gs = (f"{base}:{s}" for s in ("p", "t", "a", "gs"))
        self.fp, self.ft, self.fa, self.fgs = (f"{base}:{s}" for s in ("fp", "ft", "fa", "fgs"))

    def work(self) -> tuple[str, ...]:
        """Keys whose existence means the shard has old-layout records to flush."""
        return (self.p, self.a, self.fp, self.fa, self.fgs)


def old_keys(kind: BufferKind, shard: int) -> OldKeys:
    return OldKeys(kind, shard)


def old_shard_of(kind: BufferKind, record: Record) -> int:
    """The shard the old layout put `record` in (by its group when the group was all key
    fields, else by key)."""
    groups_in_key = bool(kind.group_fields) and set(kind.group_fields) <= set(kind.key_fields)
    on = kind.group_fields if groups_in_key and kind.shard_by == "group" else kind.key_fields
    return zlib.crc32(encode_fields(record, on).encode()) % kind.shards


# --- is anything left in the old layout? ------------------------------------------------------
_seen: dict[tuple, tuple[float, bool]] = {}
_seen_lock = threading.Lock()
RESET_HOOKS.append(_seen.clear)


def present(kind: BufferKind, client=None) -> bool:
    """Whether `kind` may have old-layout records (checked at most every
    LEGACY_CHECK_INTERVAL seconds per process)."""
    ident = (redis_url(), key_prefix(), kind.name, os.getpid())
    with _seen_lock:
        seen = _seen.get(ident)
    if seen and time.monotonic() - seen[0] < LEGACY_CHECK_INTERVAL:
        return seen[1]
    client = client or get_client()
    pipe = client.pipeline(transaction=False)
    for shard in range(kind.shards):
        pipe.exists(*old_keys(kind, shard).work())
    found = any(pipe.execute())
    with _seen_lock:
        _seen[ident] = (time.monotonic(), found)
    return found


def forget(kind: BufferKind) -> None:
    """Look again at the next read (a flush has just drained the old layout)."""
    with _seen_lock:
        for ident in [i for i in _seen if i[2] == kind.name]:
            del _seen[ident]


def read_values(kind: BufferKind, flt: dict[str, Any]) -> list[bytes]:
    """The old layout's codec(JSON) values matching `flt` the way the old reads found them."""
    client = get_client()
    if all(f in flt for f in kind.key_fields):
        ok = old_keys(kind, old_shard_of(kind, flt))
        key = encode_fields(flt, kind.key_fields)
        return pipelined(client, [("legacy_read", [ok.p, ok.fp], [ok.base, "k", key])])[0]
    if kind.group_fields and all(f in flt for f in kind.group_fields):
        group = encode_fields(flt, kind.group_fields)
        calls = []
        for shard in range(kind.shards):
            ok = old_keys(kind, shard)
            calls.append(("legacy_read", [ok.p, ok.fp], [ok.base, "g", group]))
        return [v for values in pipelined(client, calls) for v in values]
    values: list[bytes] = []
    for shard in range(kind.shards):
        ok = old_keys(kind, shard)
        for name in (ok.p, ok.fp):
            for _key, raw in client.hscan_iter(name, count=1000):
                values.append(raw)
    return values
