"""Buffer kinds: what a buffered record is, how it is keyed, and how a batch reaches Postgres.

A kind is declared once, in code, by the app that owns the table (attendance, quiz answers)::

    # apps/attendance/buffer_kinds.py  (imported automatically, like admin.py)
    from apps.core.buffer import BufferKind, Upsert, register_kind

    register_kind(
        BufferKind(
            name="attendance",
            key_fields=("school_id", "student_id", "date", "period"),
            group_fields=("school_id", "section_id", "date"),
            apply=Upsert.for_model(AttendanceMark, ("school", "student", "date", "period")),
        )
    )

Every installed app's `buffer_kinds` module is imported the first time a kind is looked up, so
the Celery worker and `manage.py flush_write_buffer` know every kind without anyone importing it.
Tests (and the subprocesses they start) may name extra modules in the environment variable
`SCHOOLS24_BUFFER_TEST_KINDS` (comma-separated dotted paths); nothing in production sets it.
"""

from __future__ import annotations

import importlib
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_SHARDS = 16
# Buckets per shard value (see `BufferKind.buckets`): a key-sharded kind spreads over this many
# hashes per shard; a kind sharded by part of its group spreads each such part over this many.
KEY_BUCKETS = 256
PART_BUCKETS = 64
MAX_KEY_FIELDS = 15  # a packed key is a msgpack fixarray
TEST_KINDS_ENV = "SCHOOLS24_BUFFER_TEST_KINDS"
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

Record = dict


@dataclass(frozen=True)
class BufferKind:
    """One kind of buffered record.

    name          short identifier, part of every Redis key (``[a-z][a-z0-9_]*``).
    key_fields    the natural key; the last write per key wins (newest `ts`).
    apply         ``apply(records) -> int``: upsert a batch into Postgres, newer `ts` wins, a
                  replay of the same record is a no-op. `Upsert` builds one. Runs inside a
                  transaction the buffer opens; it must not commit.
    group_fields  fields a reader selects a subset by (attendance: school, section, date); put
                  keeps a per-group index so `pending(kind, **group)` reads only that group.
    ts_field      the record field holding the write time (UTC epoch microseconds).
    shards        how many shards hold the pending set: each has its own keys, lock and
                  snapshot, and shards flush in parallel (fixed for the kind's lifetime:
                  changing it strands records in shards no longer flushed).
    shard_by      "group" (shard by the key fields the group shares: a group lives in one shard,
                  so a group read touches one shard) or "key". Default: "group" when some
                  group field is a key field, else "key". The shard must be a function of the
                  key, so only the group fields that are key fields count.
    fields        the record's other fields, in a fixed order: stored by position instead of
                  by name (anything else a record carries is stored with its name).
    derived       ``(field, derive(record) -> value)`` pairs: fields not stored when they equal
                  what `derive` makes of the rest of the record (applied in order on reading,
                  so a later one may use an earlier one), e.g. a primary key made from the key.
    buckets       hashes per shard value (fixed for the kind's lifetime, like `shards`). Default:
                  1 when the group is exactly the shard fields (a group is one hash), 64 when
                  the shard fields are part of the group (attendance: a school's day spread over
                  64 hashes, about 30 marks each for 2,000 students, 250 with 8 periods, so they
                  stay compact), 256 per shard for key-sharded kinds.
    prepare       optional ``prepare(record) -> record`` run by put before keying (normalise
                  types, e.g. model instances to ids) so equal keys encode equally.
    load          optional ``load(record) -> record`` run on records read back from Redis
                  (pending/overlay), e.g. to turn ISO date strings into dates.
    threshold     pending count that triggers a flush (default BATCH_PROCESSOR_THRESHOLD).
    using         the database alias apply() writes to.
    """

    name: str
    key_fields: tuple[str, ...]
    apply: Callable[[list[Record]], int]
    group_fields: tuple[str, ...] = ()
    ts_field: str = "ts"
    shards: int = DEFAULT_SHARDS
    shard_by: str | None = None
    prepare: Callable[[Record], Record] | None = None
    load: Callable[[Record], Record] | None = None
    threshold: int | None = None
    using: str = "default"
    fields: tuple[str, ...] = ()
    derived: tuple[tuple[str, Callable[[Record], object]], ...] = ()
    buckets: int | None = None
    shard_on: tuple[str, ...] = field(init=False, repr=False)
    indexed: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not _NAME.match(self.name or ""):
            raise ValueError(f"Buffer kind name {self.name!r} must match {_NAME.pattern}")
        object.__setattr__(self, "key_fields", tuple(self.key_fields))
        object.__setattr__(self, "group_fields", tuple(self.group_fields))
        if not self.key_fields:
            raise ValueError(f"Buffer kind {self.name!r} needs key_fields")
        if self.ts_field in self.key_fields:
            raise ValueError(f"Buffer kind {self.name!r}: ts_field cannot be a key field")
        if not 1 <= self.shards <= 1024:
            raise ValueError(f"Buffer kind {self.name!r}: shards must be within 1..1024")
        if len(self.key_fields) > MAX_KEY_FIELDS:
            raise ValueError(f"Buffer kind {self.name!r}: at most {MAX_KEY_FIELDS} key fields")
        object.__setattr__(self, "fields", tuple(self.fields))
        object.__setattr__(self, "derived", tuple(tuple(pair) for pair in self.derived))
        # The key fields the group shares, in key order: what a "group" kind shards by.
        shared = tuple(f for f in self.key_fields if f in self.group_fields)
        shard_by = self.shard_by or ("group" if shared else "key")
        if shard_by not in ("group", "key"):
            raise ValueError(f"Buffer kind {self.name!r}: shard_by must be 'group' or 'key'")
        if shard_by == "group" and not shared:
            raise ValueError(
                f"Buffer kind {self.name!r}: shard_by='group' needs a group field that is a key "
                "field (a key must always land in the same shard)"
            )
        object.__setattr__(self, "shard_by", shard_by)
        object.__setattr__(self, "shard_on", shared if shard_by == "group" else self.key_fields)
        # A group read finds its records through an index unless the group is exactly the
        # shard fields (then a group's records are its own hashes).
        indexed = bool(self.group_fields) and (
            shard_by == "key" or set(shared) != set(self.group_fields)
        )
        object.__setattr__(self, "indexed", indexed)
        if self.buckets is None:
            default = KEY_BUCKETS if shard_by == "key" else PART_BUCKETS if indexed else 1
            object.__setattr__(self, "buckets", default)
        if not 1 <= self.buckets <= 4096:
            raise ValueError(f"Buffer kind {self.name!r}: buckets must be within 1..4096")
        clash = {name for name, _ in self.derived} & {*self.key_fields, self.ts_field}
        if clash:
            raise ValueError(f"Buffer kind {self.name!r}: key fields cannot be derived: {clash}")


_KINDS: dict[str, BufferKind] = {}
_lock = threading.RLock()
_discovered = False


def register_kind(kind: BufferKind, *, replace: bool = False) -> BufferKind:
    """Register `kind`; registering another kind under a taken name raises unless `replace`."""
    with _lock:
        existing = _KINDS.get(kind.name)
        if existing is not None and existing is not kind and not replace:
            raise ValueError(f"A buffer kind named {kind.name!r} is already registered")
        _KINDS[kind.name] = kind
    return kind


def unregister_kind(name: str) -> None:
    with _lock:
        _KINDS.pop(name, None)


def autodiscover() -> None:
    """Import every installed app's `buffer_kinds` module and the test hook's modules, once."""
    global _discovered
    if _discovered:
        return
    with _lock:
        if _discovered:
            return
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("buffer_kinds")
        for module in filter(
            None, (m.strip() for m in os.environ.get(TEST_KINDS_ENV, "").split(","))
        ):
            importlib.import_module(module)
        _discovered = True


def get_kind(kind: str | BufferKind) -> BufferKind:
    if isinstance(kind, BufferKind):
        return kind
    found = _KINDS.get(kind)
    if found is None:
        autodiscover()
        found = _KINDS.get(kind)
    if found is None:
        known = ", ".join(sorted(_KINDS)) or "none"
        raise LookupError(f"No buffer kind named {kind!r} (registered: {known})")
    return found


def registered_kinds() -> list[BufferKind]:
    autodiscover()
    with _lock:
        return [_KINDS[name] for name in sorted(_KINDS)]
