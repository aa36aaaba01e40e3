"""Test support for the write-behind buffer: a probe kind over a table made with raw SQL.

Importing this module registers the kinds `probe` (sharded by group, the group being
(school_id, day)) and `probe_keyed` (sharded by key), both writing to `buffer_probe`:

    buffer_probe(school_id int, student_id int, day date, status text, note text, ts bigint,
                 writes int, PRIMARY KEY (school_id, student_id, day))

`writes` counts the upserts that changed a row, so a test can tell a replay that changed
nothing from one that applied a record twice. A status of 'BAD' violates a CHECK constraint
(to exercise records Postgres refuses).

A subprocess registers the kinds with SCHOOLS24_BUFFER_TEST_KINDS=apps.core.tests.buffer_probe,
or calls `main()` (see there) to flush under a failpoint and be killed.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from datetime import date, timedelta

from django.db import connections

from apps.core.buffer import BufferKind, Upsert, register_kind

TABLE = "buffer_probe"
COLUMNS = ("school_id", "student_id", "day", "status", "note", "ts")
KEY = ("school_id", "student_id", "day")
GROUP = ("school_id", "day")
START = date(2025, 1, 6)


def create_sql(table: str = TABLE) -> str:
    return f"""
        CREATE TABLE IF NOT EXISTS {table} (
            school_id integer NOT NULL,
            student_id integer NOT NULL,
            day date NOT NULL,
            status text NOT NULL CHECK (status <> 'BAD'),
            note text,
            ts bigint NOT NULL,
            writes integer NOT NULL DEFAULT 1,
            PRIMARY KEY (school_id, student_id, day)
        )
    """


def ensure_table(table: str = TABLE, using: str = "default") -> None:
    with connections[using].cursor() as cursor:
        cursor.execute(create_sql(table))


def _load(record: dict) -> dict:
    out = dict(record)
    out["day"] = date.fromisoformat(out["day"])
    return out


def make_apply(table: str = TABLE, **options) -> Upsert:
    return Upsert(table, COLUMNS, KEY, "ts", extra_updates={"writes": "t.writes + 1"}, **options)


def make_kind(name: str = "probe", table: str = TABLE, **options) -> BufferKind:
    apply = options.pop("apply", None) or make_apply(table)
    options.setdefault("fields", ("status", "note"))
    return BufferKind(
        name=name, key_fields=KEY, group_fields=GROUP, apply=apply, load=_load, **options
    )


KIND = register_kind(make_kind("probe"), replace=True)
KEYED = register_kind(make_kind("probe_keyed", shard_by="key"), replace=True)


def records(school_id: int, students: int, days: int, status: str = "P", **extra) -> list[dict]:
    return [
        {
            "school_id": school_id,
            "student_id": student,
            "day": (START + timedelta(days=day)).isoformat(),
            "status": status,
            "note": None,
            **extra,
        }
        for day in range(days)
        for student in range(students)
    ]


def key_of(record: dict) -> tuple:
    day = record["day"]
    return (
        record["school_id"],
        record["student_id"],
        day if isinstance(day, str) else day.isoformat(),
    )


def rows(school_id: int, table: str = TABLE, using: str = "default") -> dict[tuple, dict]:
    """The table's rows of one school: key -> {status, note, ts, writes}."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT school_id, student_id, day, status, note, ts, writes FROM {table} "  # noqa: S608
            "WHERE school_id = %s",
            [school_id],
        )
        return {
            (s, st, d.isoformat()): {"status": status, "note": note, "ts": ts, "writes": writes}
            for s, st, d, status, note, ts, writes in cursor.fetchall()
        }


# --- subprocess entry ------------------------------------------------------------------------
def _install_failpoint(spec: str) -> None:
    """BUFFER_PROBE_FAILPOINT="point[:n]": on the n-th time (default 1st) any thread reaches
    `point`, print "FAILPOINT point" on stdout and hang there (and every later arrival too),
    waiting for the test's SIGKILL."""
    from apps.core.buffer import HOOKS

    point, _, nth = spec.partition(":")
    nth_hit = int(nth or 1)
    hits = {"n": 0}
    lock = threading.Lock()

    def hang(**context):
        with lock:
            hits["n"] += 1
            if hits["n"] < nth_hit:
                return
            if hits["n"] == nth_hit:
                sys.stdout.write(f"FAILPOINT {point} {context}\n")
                sys.stdout.flush()
        while True:
            time.sleep(60)

    HOOKS[point] = hang


def main() -> None:
    """Flush the kind in BUFFER_PROBE_KIND under the settings the environment gives.

    Run as ``python -c "import django; django.setup(); from apps.core.tests import buffer_probe;
    buffer_probe.main()"`` with DJANGO_SETTINGS_MODULE, DATABASE_URL and REDIS_URL set, and
    BUFFER_PROBE_PREFIX (key namespace), BUFFER_PROBE_LOCK_TTL (seconds),
    BUFFER_PROBE_BATCH_SIZE, BUFFER_PROBE_WORKERS, BUFFER_PROBE_FAILPOINT (see above).
    """
    from django.conf import settings

    from apps.core import buffer

    env = os.environ
    if env.get("BUFFER_PROBE_PREFIX"):
        settings.BATCH_PROCESSOR_KEY_PREFIX = env["BUFFER_PROBE_PREFIX"]
    if env.get("BUFFER_PROBE_LOCK_TTL"):
        settings.BATCH_PROCESSOR_LOCK_TTL = float(env["BUFFER_PROBE_LOCK_TTL"])
    if env.get("BUFFER_PROBE_BATCH_SIZE"):
        settings.BATCH_PROCESSOR_BATCH_SIZE = int(env["BUFFER_PROBE_BATCH_SIZE"])
    if env.get("BUFFER_PROBE_FAILPOINT"):
        _install_failpoint(env["BUFFER_PROBE_FAILPOINT"])
    workers = int(env.get("BUFFER_PROBE_WORKERS", "4"))
    result = buffer.flush(env.get("BUFFER_PROBE_KIND", "probe"), workers=workers)
    sys.stdout.write(f"FLUSHED {result.records} {result.written}\n")
    sys.stdout.flush()
