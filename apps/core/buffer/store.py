"""The Redis side of the write-behind buffer: keys, scripts, put, reads and stats.

Keys (prefix `BATCH_PROCESSOR_KEY_PREFIX`, default ``s24:wb``; ``B`` = ``<prefix>:{<kind>:<shard>}``,
the braces a Redis Cluster hash tag so a shard's keys share a slot and its scripts stay legal):

    B:p     hash   key -> codec(orjson(record))    the pending records (last write per key)
    B:t     hash   key -> ts                       their timestamps (put compares them)
    B:a     string first-write time (ms)           SET NX by the first put since the last hand-off
    B:gs    set    group ids with pending keys     (kinds with group_fields)
    B:g:<g> set    keys of group <g>               the group index readers use
    B:fp B:ft B:fa B:fgs B:fg:<g>                  the same, handed off to a flush (snapshot)
    B:lock  string token of the flusher that owns the shard (SET NX PX)
    B:dead  hash   key -> record the database refused or that did not decode (kept; see requeue)
    <prefix>:{<kind>}:trigger   the size-threshold debounce (SET NX EX)

A key is ``orjson([record[f] for f in key_fields])``; a group id likewise over `group_fields`.
A shard is ``crc32(key or group id) % kind.shards``. The oldest pending record of a shard is
as old as the first put since the last hand-off (the pending hash holds nothing older), so one
``SET a now NX`` per put gives the backlog age a per-key ``ZADD NX`` would, without a sorted-set
entry per key.

Every multi-key change is one Lua script, so it is atomic: put (HMGET t to compare timestamps,
HSET p and t, SET a NX, SADD group index), the hand-off to a flush (RENAME of every pending key to its snapshot name, only
when no snapshot is left over), and the end of a flush (UNLINK of the snapshot and its indexes,
only while the caller still holds the shard's lock). `KEYS` is never used: group keys are found
through the `gs`/`fgs` sets, records through HSCAN.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson
import redis
from django.conf import settings
from django.db import transaction
from redis.backoff import NoBackoff
from redis.retry import Retry

from apps.core.codecs import Codec, default_codec

from .kinds import BufferKind, get_kind, registered_kinds

logger = logging.getLogger("schools24.buffer")

REDIS_TIMEOUT = 2.0
REDIS_DOWN_BACKOFF = 5.0  # after a failure, put writes through without trying Redis this long
PUT_CHUNK = 500  # records per put script call

REDIS_ERRORS: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ReadOnlyError,  # a replica after failover: treat as unavailable
)

Record = dict[str, Any]


class BufferReadError(Exception):
    """The buffer's Redis could not be read (down, timed out, refused): which records are
    pending is unknown, which is not the same as "none". Raised by strict reads."""

    def __init__(self, kind: str, cause: Exception):
        super().__init__(
            f"Write buffer: cannot read pending {kind} records ({cause.__class__.__name__}: "
            f"{cause})"
        )
        self.kind, self.cause = kind, cause


# --- settings --------------------------------------------------------------------------------
def enabled() -> bool:
    return bool(settings.BATCH_PROCESSOR_ENABLED)


def key_prefix() -> str:
    return settings.BATCH_PROCESSOR_KEY_PREFIX


def redis_url() -> str:
    return settings.BATCH_PROCESSOR_REDIS_URL or settings.REDIS_URL


def threshold_for(kind: BufferKind) -> int:
    if kind.threshold is not None:
        return kind.threshold
    return int(settings.BATCH_PROCESSOR_THRESHOLD)


def stale_after() -> float:
    return float(settings.REDIS_WRITE_BUFFER_TTL)


# --- the client --------------------------------------------------------------------------------
_client_lock = threading.Lock()
_client: redis.Redis | None = None
_client_id: tuple | None = None
_down_until = 0.0


def get_client() -> redis.Redis:
    """The buffer's Redis client (one pool per process and URL; rebuilt after fork)."""
    global _client, _client_id
    ident = (redis_url(), os.getpid())
    client = _client
    if client is None or _client_id != ident:
        with _client_lock:
            if _client is None or _client_id != ident:
                pool = redis.BlockingConnectionPool.from_url(
                    ident[0],
                    max_connections=int(settings.REDIS_POOL_SIZE),
                    timeout=REDIS_TIMEOUT,
                    socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
                    socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
                    health_check_interval=30,
                    # One quick retry after a dropped connection: every buffer command is safe
                    # to repeat (put compares timestamps, the flush scripts check state and lock
                    # tokens). Not after a timeout: a Redis that hangs would double the wait.
                    retry=Retry(
                        NoBackoff(), 1, supported_errors=(redis.exceptions.ConnectionError,)
                    ),
                )
                _client, _client_id = redis.Redis(connection_pool=pool), ident
            client = _client
    return client


def reset_client() -> None:
    """Drop the client and the Redis-down back-off (tests, or after changing the URL)."""
    global _client, _client_id, _down_until
    with _client_lock:
        if _client is not None:
            _client.connection_pool.disconnect()
        _client = _client_id = None
        _down_until = 0.0
        _policy_checked.clear()


# --- the Redis holding the buffer must not evict it ------------------------------------------
POLICY_CHECK_INTERVAL = 60.0  # seconds a process trusts its last look at maxmemory-policy
_policy_checked: dict[tuple, tuple[float, str | None]] = {}


class BufferRedisUnsafe(RuntimeError):
    """The buffer's Redis may evict keys (an allkeys-* maxmemory-policy): buffered writes could
    vanish before a flush. The flusher refuses to run and puts go straight to Postgres."""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def maxmemory_policy(client: redis.Redis | None = None) -> str | None:
    """The buffer Redis's maxmemory-policy: CONFIG GET, or, where CONFIG is disabled or renamed
    (managed Redis services), the `maxmemory_policy` field of INFO memory; None if neither
    says."""
    client = client or get_client()
    try:
        reply = client.config_get("maxmemory-policy")
        for name, value in (reply or {}).items():
            if _text(name) == "maxmemory-policy" and value:
                return _text(value)
    except redis.exceptions.ResponseError:
        pass  # "unknown command" / "NOPERM": fall back to INFO
    value = client.info("memory").get("maxmemory_policy")
    return _text(value) if value else None


def eviction_problem(*, refresh: bool = False) -> str | None:
    """Why the buffer's Redis is unsafe for it, or None. Checked at most every
    POLICY_CHECK_INTERVAL seconds per process; Redis errors propagate."""
    ident = (redis_url(), os.getpid())
    checked = _policy_checked.get(ident)
    if checked and not refresh and time.monotonic() - checked[0] < POLICY_CHECK_INTERVAL:
        return checked[1]
    policy = maxmemory_policy()
    problem = None
    if policy and policy.startswith("allkeys-"):
        problem = (
            f"the write buffer's Redis has maxmemory-policy {policy}, so it may evict buffered "
            "records before they are flushed; set noeviction (or a volatile-* policy) on "
            "BATCH_PROCESSOR_REDIS_URL's Redis"
        )
    _policy_checked[ident] = (time.monotonic(), problem)
    return problem


def _unsafe_for_put() -> str | None:
    try:
        return eviction_problem()
    except REDIS_ERRORS:
        return None  # the put itself meets the outage and writes through


def _redis_for_put() -> redis.Redis:
    if time.monotonic() < _down_until:
        raise redis.exceptions.ConnectionError("Redis marked down (recent failure)")
    return get_client()


def _mark_down(_exc: Exception) -> None:
    global _down_until
    _down_until = time.monotonic() + REDIS_DOWN_BACKOFF


# --- keys --------------------------------------------------------------------------------------
class ShardKeys:
    """The Redis key names of one shard of one kind."""

    __slots__ = (
        "kind",
        "shard",
        "base",
        "p",
        "t",
        "a",
        "gs",
        "fp",
        "ft",
        "fa",
        "fgs",
        "lock",
        "dead",
    )

    def __init__(self, prefix: str, kind: str, shard: int):
        self.kind, self.shard = kind, shard
        self.base = base = f"{prefix}:{{{kind}:{shard:03d}}}"
        self.p, self.t, self.a, self.gs = f"{base}:p", f"{base}:t", f"{base}:a", f"{base}:gs"
        self.fp, self.ft, self.fa, self.fgs = (
            f"{base}:fp",
            f"{base}:ft",
            f"{base}:fa",
            f"{base}:fgs",
        )
        self.lock, self.dead = f"{base}:lock", f"{base}:dead"

    def group(self, group_id: str) -> str:
        return f"{self.base}:g:{group_id}"

    def flushing_group(self, group_id: str) -> str:
        return f"{self.base}:fg:{group_id}"


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


# --- encoding ----------------------------------------------------------------------------------
def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "pk"):  # a model instance given where an id was meant
        return value.pk
    raise TypeError(f"Cannot store {type(value).__name__} in the write buffer")


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_json_default)


def encode_fields(record: Mapping[str, Any], fields: Iterable[str]) -> str:
    """The stable string of `record`'s values for `fields` (a key or a group id)."""
    try:
        return dumps([record[f] for f in fields]).decode()
    except KeyError as exc:
        raise ValueError(f"Buffered record lacks the field {exc.args[0]!r}") from None


def shard_of(kind: BufferKind, record: Mapping[str, Any]) -> int:
    return zlib.crc32(encode_fields(record, kind.shard_on).encode()) % kind.shards


def encode_record(record: Record, codec: Codec | None = None) -> bytes:
    return (codec or default_codec()).encode(dumps(record))


def decode_record(raw: bytes) -> Record:
    return orjson.loads(Codec.decode(raw))


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


# --- scripts -----------------------------------------------------------------------------------
# KEYS: p, t, a. ARGV: base, now_ms, then one frame per record: key TAB ts TAB group-id LF value
# (keys and group ids are orjson text, which never holds a raw TAB or LF; the value is the codec's
# bytes). One argument per record keeps client-side packing cheap; bulk commands (HMGET, HSET,
# SADD over many fields) rather than calls per record keep the script cheap. A key given twice
# keeps its newest record.
PUT_LUA = r"""
local base, now = ARGV[1], ARGV[2]
local n = #ARGV - 2
local keys, stamps_in, group_in, values_in = {}, {}, {}, {}
for i = 1, n do
  local frame = ARGV[i + 2]
  local t1 = string.find(frame, '\t', 1, true)
  local t2 = string.find(frame, '\t', t1 + 1, true)
  local nl = string.find(frame, '\n', t2 + 1, true)
  keys[i] = string.sub(frame, 1, t1 - 1)
  stamps_in[i] = string.sub(frame, t1 + 1, t2 - 1)
  group_in[i] = string.sub(frame, t2 + 1, nl - 1)
  values_in[i] = string.sub(frame, nl + 1)
end
local held = redis.call('HMGET', KEYS[2], unpack(keys))
local newest, winner, order = {}, {}, {}
for i = 1, n do
  local k, ts = keys[i], tonumber(stamps_in[i])
  local best = newest[k]
  if best == nil then
    best = held[i] and tonumber(held[i]) or -1
  end
  if ts > best then
    if winner[k] == nil then order[#order + 1] = k end
    newest[k], winner[k] = ts, i
  else
    newest[k] = best
  end
end
if #order == 0 then return {0, redis.call('HLEN', KEYS[1])} end
local values, stamps, groups, group_ids = {}, {}, {}, {}
for _, k in ipairs(order) do
  local i = winner[k]
  values[#values + 1] = k
  values[#values + 1] = values_in[i]
  stamps[#stamps + 1] = k
  stamps[#stamps + 1] = stamps_in[i]
  local g = group_in[i]
  if g ~= '' then
    if groups[g] == nil then
      groups[g] = {}
      group_ids[#group_ids + 1] = g
    end
    table.insert(groups[g], k)
  end
end
redis.call('HSET', KEYS[1], unpack(values))
redis.call('HSET', KEYS[2], unpack(stamps))
redis.call('SET', KEYS[3], now, 'NX')
for _, g in ipairs(group_ids) do
  redis.call('SADD', base .. ':g:' .. g, unpack(groups[g]))
end
if #group_ids > 0 then redis.call('SADD', base .. ':gs', unpack(group_ids)) end
return {#order, redis.call('HLEN', KEYS[1])}
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

# KEYS: lock, p. ARGV: token, base. Hands the pending set to a flush, unless a snapshot is left.
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

# KEYS: lock, fp. ARGV: token, base. Drops the snapshot, only for the lock's owner.
FINISH_LUA = """
local b = ARGV[2]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
for _, g in ipairs(redis.call('SMEMBERS', b .. ':fgs')) do
  redis.call('UNLINK', b .. ':fg:' .. g)
end
redis.call('UNLINK', b .. ':fp', b .. ':ft', b .. ':fa', b .. ':fgs')
return 1
"""

EXTEND_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS: fp. ARGV: cursor, count. One HSCAN step, its fields and values framed into one string
# (4-byte big-endian length + bytes, key then value): one reply element per batch instead of two
# per record, which is what the pure-Python RESP parser spends most of a flush's time on.
SCAN_LUA = """
local reply = redis.call('HSCAN', KEYS[1], ARGV[1], 'COUNT', ARGV[2])
local items, parts = reply[2], {}
for i = 1, #items do
  parts[2 * i - 1] = struct.pack('>I4', #items[i])
  parts[2 * i] = items[i]
end
return {reply[1], table.concat(parts)}
"""


def unframe(blob: bytes) -> list[tuple[bytes, bytes]]:
    """The (key, value) pairs of a SCAN_LUA reply."""
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


_scripts: dict[tuple[int, str], Any] = {}


def script(name: str, client: redis.Redis | None = None):
    """A registered script (EVALSHA, loaded on NOSCRIPT) bound to the buffer's client."""
    client = client or get_client()
    found = _scripts.get((id(client), name))
    if found is None:
        source = {
            "put": PUT_LUA,
            "read": READ_LUA,
            "begin": BEGIN_LUA,
            "finish": FINISH_LUA,
            "extend": EXTEND_LUA,
            "release": RELEASE_LUA,
            "scan": SCAN_LUA,
        }[name]
        found = _scripts[(id(client), name)] = client.register_script(source)
    return found


# --- put -------------------------------------------------------------------------------------
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


def put_many(kind: str | BufferKind, records: Iterable[Mapping[str, Any]]) -> list[Record]:
    """Buffer many records in one round trip per shard chunk (see `put`)."""
    k = get_kind(kind)
    stored = [prepare(k, r) for r in records]
    if not stored:
        return stored
    if not enabled():
        write_through(k, stored)
        return stored
    problem = _unsafe_for_put()
    if problem:
        logger.warning(
            "Write buffer: %s; wrote %d %s record(s) straight to Postgres",
            problem,
            len(stored),
            k.name,
        )
        write_through(k, stored)
        return stored
    try:
        biggest = _put_redis(k, stored)
    except REDIS_ERRORS as exc:
        _mark_down(exc)
        logger.warning(
            "Write buffer: Redis unreachable (%s: %s); wrote %d %s record(s) straight to Postgres",
            exc.__class__.__name__,
            exc,
            len(stored),
            k.name,
        )
        write_through(k, stored)
        return stored
    maybe_trigger(k, biggest)
    return stored


def write_through(kind: BufferKind, records: list[Record]) -> int:
    with transaction.atomic(using=kind.using):
        return kind.apply(records)


def _put_redis(kind: BufferKind, records: list[Record]) -> int:
    client = _redis_for_put()
    encode = default_codec().encode
    by_shard: dict[int, list[bytes]] = {}
    ts_field, shards, by_group = kind.ts_field, kind.shards, kind.shard_by == "group"
    for record in records:
        key = encode_fields(record, kind.key_fields).encode()
        group = encode_fields(record, kind.group_fields).encode() if kind.group_fields else b""
        shard = zlib.crc32(group if by_group else key) % shards
        frame = b"%s\t%d\t%s\n%s" % (key, record[ts_field], group, encode(dumps(record)))
        by_shard.setdefault(shard, []).append(frame)
    now_ms = int(time.time() * 1000)
    put_script = script("put", client)
    pipe = client.pipeline(transaction=False)
    for shard, frames in by_shard.items():
        sk = shard_keys(kind, shard)
        for start in range(0, len(frames), PUT_CHUNK):
            put_script(
                keys=[sk.p, sk.t, sk.a],
                args=[sk.base, now_ms, *frames[start : start + PUT_CHUNK]],
                client=pipe,
            )
    return max(int(hlen) for _accepted, hlen in pipe.execute())


# --- the size threshold ----------------------------------------------------------------------
def pending_count(kind: BufferKind, client: redis.Redis | None = None) -> int:
    client = client or get_client()
    pipe = client.pipeline(transaction=False)
    for sk in all_shard_keys(kind):
        pipe.hlen(sk.p)
    return sum(pipe.execute())


COUNT_INTERVAL = 0.5  # seconds between exact counts per kind and process
_last_count: dict[str, float] = {}


def maybe_trigger(kind: BufferKind, biggest_shard: int) -> bool:
    """Enqueue one flush when the kind's pending count passes its threshold.

    Cheap in the common case: the put script returns its shard's size, and only when that
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


# --- reads -----------------------------------------------------------------------------------
def _normalise(value: Any) -> Any:
    return orjson.loads(dumps(value))


def _raw_values(kind: BufferKind, flt: Mapping[str, Any]) -> list[bytes]:
    client = get_client()
    read = script("read", client)
    if all(f in flt for f in kind.key_fields):
        key = encode_fields(flt, kind.key_fields)
        sk = shard_keys(kind, shard_of(kind, flt))
        return read(keys=[sk.p, sk.fp], args=[sk.base, "k", key], client=client)
    if kind.group_fields and all(f in flt for f in kind.group_fields):
        group = encode_fields(flt, kind.group_fields)
        if kind.shard_by == "group":
            sk = shard_keys(kind, shard_of(kind, flt))
            return read(keys=[sk.p, sk.fp], args=[sk.base, "g", group], client=client)
        pipe = client.pipeline(transaction=False)
        for sk in all_shard_keys(kind):
            read(keys=[sk.p, sk.fp], args=[sk.base, "g", group], client=pipe)
        return [v for values in pipe.execute() for v in values]
    # No index covers the filter: scan everything, each shard's pending hash before its
    # snapshot (a record renamed meanwhile is then still met in the snapshot).
    values: list[bytes] = []
    for sk in all_shard_keys(kind):
        for name in (sk.p, sk.fp):
            for _key, raw in client.hscan_iter(name, count=1000):
                values.append(raw)
    return values


def pending(kind: str | BufferKind, *, strict: bool = False, **flt: Any) -> list[Record]:
    """Pending records of `kind` matching `flt` (field=value), newest per key, from both the
    pending set and any snapshot being flushed. Uses the key (all key fields given) or the
    group index (all group fields given); any other filter scans the kind's whole buffer.

    Read Redis before Postgres (as `overlay` does): a record a flush deletes from Redis after
    this read was committed before the deletion, so the later database read sees it.
    If Redis is unreachable this logs a warning and returns [] (writes then go to Postgres);
    with `strict`, any Redis error raises `BufferReadError` instead, for callers that must not
    act on what they could not read (grading a quiz attempt).
    """
    k = get_kind(kind)
    wanted = {name: _normalise(value) for name, value in flt.items()}
    try:
        values = _raw_values(k, wanted)
    except redis.exceptions.RedisError as exc:
        if strict:
            raise BufferReadError(k.name, exc) from exc
        if not isinstance(exc, REDIS_ERRORS):
            raise
        logger.warning(
            "Write buffer: Redis unreachable reading %s pending records: %s", k.name, exc
        )
        return []
    newest: dict[str, Record] = {}
    ts_field = k.ts_field
    for raw in values:
        try:
            record = decode_record(raw)
        except Exception:  # noqa: BLE001 - one bad value must not break a read
            logger.exception("Write buffer: undecodable %s record skipped", k.name)
            continue
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
    """
    k = get_kind(kind)
    records = pending(k, strict=strict, **flt)
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


# --- stats -----------------------------------------------------------------------------------
def stats(kind: str | BufferKind | None = None) -> dict[str, dict[str, Any]]:
    """Per kind: ``pending``, ``flushing`` (records in a snapshot being flushed or left by a
    crashed flush), ``oldest_age_seconds`` (first write of the oldest unflushed record, None if
    none), ``stale`` and ``dead`` (records set aside; see `requeue_dead`). One pipelined round trip
    of O(1)/O(log n) commands per shard, cheap enough for /readyz and /metrics.

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
            pipe.hlen(sk.p)
            pipe.hlen(sk.fp)
            pipe.get(sk.a)
            pipe.get(sk.fa)
            pipe.hlen(sk.dead)
    replies = iter(pipe.execute())
    now_ms = time.time() * 1000
    limit = stale_after()
    out: dict[str, dict[str, Any]] = {}
    for k in kinds:
        waiting = flushing = dead = 0
        oldest: float | None = None
        for _shard in range(k.shards):
            waiting += next(replies)
            flushing += next(replies)
            for first in (next(replies), next(replies)):
                if first is not None:
                    oldest = float(first) if oldest is None else min(oldest, float(first))
            dead += next(replies)
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


# --- records set aside -----------------------------------------------------------------------
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
