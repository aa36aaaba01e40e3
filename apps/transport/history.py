"""The ping history: `transport_ping`, a table partitioned by day (UTC) on the fix time.

Partitions are made ahead by a beat job (and on demand by the flush, so a late job loses
nothing) and purged by DROP TABLE once older than TRANSPORT_PING_RETENTION_DAYS: dropping a
day costs the same however many pings it holds, and nothing of a child's route outlives it.
Pings reach the table only through the write-behind buffer (`flush`), in batches, with ON
CONFLICT DO NOTHING on (vehicle, fix time): a flush repeated after a crash writes nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from psycopg2.extras import execute_values

from . import live

logger = logging.getLogger("schools24.transport")

TABLE = "transport_ping"
PARTITION = re.compile(r"^transport_ping_p(\d{8})$")
BATCH = 1000


def partition_name(day: dt.date) -> str:
    return f"{TABLE}_p{day:%Y%m%d}"


def ensure_partitions(days: set[dt.date] | None = None, *, ahead: int | None = None) -> list[str]:
    """Create the partitions of `days` (default: today and the next `ahead` days, UTC)."""
    if days is None:
        today = timezone.now().astimezone(dt.UTC).date()
        ahead = settings.TRANSPORT_PING_PARTITIONS_AHEAD if ahead is None else ahead
        days = {today + dt.timedelta(days=n) for n in range(ahead + 1)}
    existing = set(partitions())
    made = []
    with connection.cursor() as cursor:
        for day in sorted(days):
            name = partition_name(day)
            if name in existing:
                continue
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {TABLE} "  # noqa: S608 - names built here
                "FOR VALUES FROM (%s) TO (%s)",
                [
                    f"{day.isoformat()} 00:00+00",
                    f"{(day + dt.timedelta(days=1)).isoformat()} 00:00+00",
                ],
            )
            made.append(name)
    return made


def partitions() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s ORDER BY c.relname",
            [TABLE],
        )
        return [row[0] for row in cursor.fetchall()]


def purge(*, retention_days: int | None = None) -> list[str]:
    """Drop the partitions whose whole day is older than the retention."""
    keep = settings.TRANSPORT_PING_RETENTION_DAYS if retention_days is None else retention_days
    cutoff = timezone.now().astimezone(dt.UTC).date() - dt.timedelta(days=keep)
    dropped = []
    with connection.cursor() as cursor:
        for name in partitions():
            match = PARTITION.match(name)
            if match and dt.datetime.strptime(match.group(1), "%Y%m%d").date() < cutoff:
                cursor.execute(f"DROP TABLE IF EXISTS {name}")
                dropped.append(name)
    if dropped:
        logger.info("Dropped ping partitions %s", ", ".join(dropped))
    return dropped


def _row(rec: dict) -> tuple:
    fix = dt.datetime.fromtimestamp(rec["fix"], tz=dt.UTC)
    at = dt.datetime.fromtimestamp(rec["at"], tz=dt.UTC)
    return (rec["school"], rec["vehicle"], rec["run"], fix, rec["lat"], rec["lon"],
            rec.get("speed"), rec.get("heading"), rec.get("acc"), at)  # fmt: skip


def flush() -> int:
    """Write the buffered pings to the history; returns how many records were handed over.

    One flusher at a time (a Redis lock). The buffer is renamed into a snapshot, written in
    batches in one transaction, and the snapshot deleted only after the commit; a snapshot left
    by a crash is written by the next flush (duplicates are ignored by the primary key)."""
    if not live.flush_lock():
        return 0
    try:
        records = live.snapshot()
        if not records:
            live.snapshot_done()
            return 0
        rows = [_row(rec) for rec in records]
        ensure_partitions({row[3].date() for row in rows})
        with transaction.atomic(), connection.cursor() as cursor:
            for start in range(0, len(rows), BATCH):
                execute_values(
                    cursor.cursor,
                    f"INSERT INTO {TABLE} (school_id, vehicle_id, run_id, fix_time, lat, lon, "  # noqa: S608
                    "speed_kmh, heading, accuracy_m, received_at) VALUES %s "
                    "ON CONFLICT (vehicle_id, fix_time) DO NOTHING",
                    rows[start : start + BATCH],
                )
        live.snapshot_done()
        return len(records)
    finally:
        live.flush_unlock()


def track(run_id) -> list[dict]:
    """A run's stored fixes in time order."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT fix_time, lat, lon, speed_kmh FROM {TABLE} WHERE run_id = %s "  # noqa: S608
            "ORDER BY fix_time",
            [str(run_id)],
        )
        return [
            {"fix_time": f, "lat": lat, "lon": lon, "speed_kmh": s}
            for f, lat, lon, s in cursor.fetchall()
        ]
