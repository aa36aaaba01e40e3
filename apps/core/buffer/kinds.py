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
    shards        how many Redis hashes hold the pending set (fixed for the kind's lifetime:
                  changing it strands records in shards no longer flushed).
    shard_by      "group" (a group lives in one shard, so a group read touches one shard) or
                  "key". Default: "group" when group_fields are all key fields, else "key".
                  Sharding by group needs the group to be a function of the key.
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
    shard_on: tuple[str, ...] = field(init=False, repr=False)

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
        groups_in_key = bool(self.group_fields) and set(self.group_fields) <= set(self.key_fields)
        shard_by = self.shard_by or ("group" if groups_in_key else "key")
        if shard_by not in ("group", "key"):
            raise ValueError(f"Buffer kind {self.name!r}: shard_by must be 'group' or 'key'")
        if shard_by == "group" and not groups_in_key:
            raise ValueError(
                f"Buffer kind {self.name!r}: shard_by='group' needs group_fields that are all key "
                "fields (a key must always land in the same shard)"
            )
        object.__setattr__(self, "shard_by", shard_by)
        object.__setattr__(
            self, "shard_on", self.group_fields if shard_by == "group" else self.key_fields
        )


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
