"""The buffer's Lua scripts: every multi-key change is one script, so it is atomic.

Scripts build a shard's key names from its base (``B`` in `layout`); every key they touch
shares the base's hash tag, so they stay legal on Redis Cluster.
"""

from __future__ import annotations

from typing import Any

import redis

from .connection import get_client

# Lua helpers shared by the scripts: is `v` a stub (its value is in B:x / B:fx)?
_RESOLVE = """
local function resolve(side, k, v)
  if #v == 9 and string.byte(v, 9) == 193 then
    return redis.call('HGET', base .. ':' .. side .. 'x', k)
  end
  return v
end
"""

# KEYS: n, o, and optionally a group's closed marker (B:c:<group>). ARGV: base, now_ms, then
# five per record: bucket, key, value, group, suffix (group and suffix empty for kinds without a
# group index). A record not newer than the one pending for its key is ignored; a key given
# twice keeps its newest record. A long value (9th byte 0xC1) goes to B:x and its bucket keeps
# the 9-byte stub. Returns {accepted, pending}, or {-1, 0} with nothing written when the marker
# exists (the group was closed: `write.close_group`).
PUT_LUA = r"""
if KEYS[3] and redis.call('EXISTS', KEYS[3]) == 1 then return {-1, 0} end
local base, now = ARGV[1], ARGV[2]
local added, accepted = 0, 0
local buckets, groups = {}, {}
for i = 3, #ARGV, 5 do
  local b, k, v, g = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local bucket = base .. ':v:' .. b
  local held = redis.call('HGET', bucket, k)
  if (not held) or struct.unpack('>i8', v) > struct.unpack('>i8', held) then
    accepted = accepted + 1
    if not held then added = added + 1 end
    if #v > 9 and string.byte(v, 9) == 193 then
      redis.call('HSET', base .. ':x', k, v)
      redis.call('HSET', bucket, k, string.sub(v, 1, 9))
    else
      redis.call('HSET', bucket, k, v)
      if held and #held == 9 then redis.call('HDEL', base .. ':x', k) end
    end
    if not buckets[b] then
      buckets[b] = true
      redis.call('SADD', base .. ':b', b)
    end
    if g ~= '' then
      redis.call('HSET', base .. ':i:' .. g, ARGV[i + 4], tonumber(string.match(b, '%.(%d+)$')))
      if not groups[g] then
        groups[g] = true
        redis.call('SADD', base .. ':is', g)
      end
    end
  end
end
if accepted > 0 then
  redis.call('SET', KEYS[2], now, 'NX')
  if added > 0 then return {accepted, redis.call('INCRBY', KEYS[1], added)} end
end
return {accepted, tonumber(redis.call('GET', KEYS[1]) or '0')}
"""

# KEYS: b, fb. ARGV: base, mode, ... Returns {key, value, key, value, ...}: pending records
# first, then the snapshot's (a record renamed by a flush meanwhile is met in the snapshot).
#   'k', bucket, key                one key
#   'i', group, key prefix, h       an indexed group: its index, then each key's bucket
#   'b', key prefix, bucket...      the keys starting with the prefix in these buckets
#   'a'                             everything
READ_LUA = (
    "local base = ARGV[1]\n"
    + _RESOLVE
    + r"""
local out = {}
local function emit(side, k, v)
  if v then
    v = resolve(side, k, v)
    if v then
      out[#out + 1] = k
      out[#out + 1] = v
    end
  end
end
local function whole(side, b, prefix)
  local items = redis.call('HGETALL', base .. ':' .. side .. 'v:' .. b)
  for j = 1, #items, 2 do
    local k = items[j]
    if prefix == nil or string.sub(k, 1, #prefix) == prefix then emit(side, k, items[j + 1]) end
  end
end
local mode = ARGV[2]
for _, side in ipairs({'', 'f'}) do
  if mode == 'k' then
    emit(side, ARGV[4], redis.call('HGET', base .. ':' .. side .. 'v:' .. ARGV[3], ARGV[4]))
  elseif mode == 'i' then
    local index = redis.call('HGETALL', base .. ':' .. side .. 'i:' .. ARGV[3])
    local prefix, h = ARGV[4], ARGV[5]
    for j = 1, #index, 2 do
      local k = prefix .. index[j]
      emit(side, k, redis.call('HGET', base .. ':' .. side .. 'v:' .. h .. '.' .. index[j + 1], k))
    end
  elseif mode == 'b' then
    for j = 4, #ARGV do whole(side, ARGV[j], ARGV[3]) end
  else
    for _, b in ipairs(redis.call('SMEMBERS', base .. ':' .. side .. 'b')) do whole(side, b) end
  end
end
return out
"""
)

# KEYS: lock. ARGV: token, base. Hands the pending set to a flush, unless a snapshot is left.
BEGIN_LUA = """
local b = ARGV[2]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 'lost' end
if redis.call('EXISTS', b .. ':fb', b .. ':fn', b .. ':fo', b .. ':fis', b .. ':fx') > 0 then
  return 'resume'
end
if redis.call('EXISTS', b .. ':b', b .. ':n', b .. ':o', b .. ':is') == 0 then return 'empty' end
for _, v in ipairs(redis.call('SMEMBERS', b .. ':b')) do
  if redis.call('EXISTS', b .. ':v:' .. v) == 1 then
    redis.call('RENAME', b .. ':v:' .. v, b .. ':fv:' .. v)
  end
end
for _, g in ipairs(redis.call('SMEMBERS', b .. ':is')) do
  if redis.call('EXISTS', b .. ':i:' .. g) == 1 then
    redis.call('RENAME', b .. ':i:' .. g, b .. ':fi:' .. g)
  end
end
for _, s in ipairs({'b', 'n', 'o', 'is', 'x'}) do
  if redis.call('EXISTS', b .. ':' .. s) == 1 then
    redis.call('RENAME', b .. ':' .. s, b .. ':f' .. s)
  end
end
return 'fresh'
"""

# KEYS: lock. ARGV: token, base. Drops the snapshot, only for the lock's owner.
FINISH_LUA = """
local b = ARGV[2]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
for _, v in ipairs(redis.call('SMEMBERS', b .. ':fb')) do redis.call('UNLINK', b .. ':fv:' .. v) end
for _, g in ipairs(redis.call('SMEMBERS', b .. ':fis')) do redis.call('UNLINK', b .. ':fi:' .. g) end
redis.call('UNLINK', b .. ':fb', b .. ':fn', b .. ':fo', b .. ':fis', b .. ':fx')
return 1
"""

# KEYS: fb. ARGV: base, then snapshot bucket ids. Their records, long values resolved, framed
# into one string (see `layout.unframe`).
DUMP_LUA = (
    "local base = ARGV[1]\n"
    + _RESOLVE
    + """
local parts = {}
for i = 2, #ARGV do
  local items = redis.call('HGETALL', base .. ':fv:' .. ARGV[i])
  for j = 1, #items, 2 do
    local k, v = items[j], resolve('f', items[j], items[j + 1])
    if v then
      parts[#parts + 1] = struct.pack('>I4', #k)
      parts[#parts + 1] = k
      parts[#parts + 1] = struct.pack('>I4', #v)
      parts[#parts + 1] = v
    end
  end
end
return table.concat(parts)
"""
)

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

SOURCES: dict[str, str] = {
    "put": PUT_LUA,
    "read": READ_LUA,
    "begin": BEGIN_LUA,
    "finish": FINISH_LUA,
    "dump": DUMP_LUA,
    "extend": EXTEND_LUA,
    "release": RELEASE_LUA,
}

_scripts: dict[tuple[int, str], Any] = {}


def script(name: str, client: redis.Redis | None = None):
    """A registered script (EVALSHA, loaded on NOSCRIPT) bound to the buffer's client."""
    client = client or get_client()
    found = _scripts.get((id(client), name))
    if found is None:
        found = _scripts[(id(client), name)] = client.register_script(SOURCES[name])
    return found


def pipelined(client: redis.Redis, calls: list[tuple[str, list, list]]) -> list:
    """Run ``(script name, keys, args)`` calls in one round trip: EVALSHA in a pipeline, without
    the SCRIPT EXISTS round trip redis-py's pipelined scripts make first. After a NOSCRIPT (a
    restarted or flushed Redis) the scripts are loaded and every call is run again, which is
    safe: put ignores a record not newer than the one held, and reads change nothing."""
    for attempt in (0, 1):
        pipe = client.pipeline(transaction=False)
        for name, keys, args in calls:
            pipe.evalsha(script(name, client).sha, len(keys), *keys, *args)
        try:
            return pipe.execute()
        except redis.exceptions.NoScriptError:
            if attempt:
                raise
            for name in {name for name, _keys, _args in calls}:
                client.script_load(SOURCES[name])
    raise AssertionError("unreachable")


def register(name: str, source: str) -> None:
    """Add a script (the legacy layout's) under `name`."""
    SOURCES.setdefault(name, source)
