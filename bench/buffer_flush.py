"""Write-behind buffer flush throughput against a raw COPY of the same rows.

    DATABASE_URL=postgres://... REDIS_URL=redis://.../n .venv/bin/python bench/buffer_flush.py \
        [--rows 200000] [--workers N] [--batch-size N] [--compare]

Puts `--rows` probe records (apps/core/tests/buffer_probe.py's shape) into the buffer under a
private key prefix, flushes them into a fresh table, then COPYs the same rows into a fresh
scratch table, and prints rows/s for each and the ratio (target: flush >= 30% of COPY).
`--compare` also times the two upsert paths (execute_values pages vs COPY into a staging table
+ INSERT ... SELECT ... ON CONFLICT) by batch size, inserting and then updating, which is how
Upsert's DEFAULT_COPY_MIN_ROWS was chosen. Tables and Redis keys are dropped at the end.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schools24.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from apps.core import buffer  # noqa: E402
from apps.core.buffer import flusher  # noqa: E402
from apps.core.buffer.upsert import DEFAULT_COPY_MIN_ROWS, copy_text  # noqa: E402
from apps.core.tests import buffer_probe as probe  # noqa: E402

FLUSH_TABLE = "bench_buffer_flush"
COPY_TABLE = "bench_buffer_copy"
CMP_TABLE = "bench_buffer_cmp"


def recreate(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(probe.create_sql(table))


def drop(*tables: str) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")


def make_records(n: int, ts: int | None = None) -> list[dict]:
    students = 1000
    days = -(-n // students)
    out = probe.records(1, students, days)[:n]
    for i, record in enumerate(out):
        record["note"] = f"marked by teacher {i % 97}"
        record["ts"] = (ts or 1_700_000_000_000_000) + i
    return out


def raw_copy(records: list[dict]) -> tuple[float, float]:
    """COPY the records into COPY_TABLE; seconds including turning them into COPY text (as any
    loader from Python must), and seconds of the COPY statement alone."""
    recreate(COPY_TABLE)
    columns = probe.COLUMNS
    started = time.perf_counter()
    text = copy_text([tuple(r[c] for c in columns) for r in records])
    sent = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {COPY_TABLE} ({', '.join(columns)}) FROM STDIN", io.StringIO(text)
        )
    done = time.perf_counter()
    return done - started, done - sent


def compare_paths(sizes: list[int]) -> None:
    print("\nUpsert paths (rows/s; insert into an empty table, then update every row):")
    print(f"{'batch':>8} {'values ins':>12} {'copy ins':>12} {'values upd':>12} {'copy upd':>12}")
    for size in sizes:
        figures = []
        for phase in ("insert", "update"):
            for copy_min in (None, 1):
                if phase == "insert":
                    recreate(CMP_TABLE)
                else:  # the same keys, newer ts
                    recreate(CMP_TABLE)
                    probe.make_apply(CMP_TABLE, copy_min_rows=None)(make_records(size))
                apply = probe.make_apply(CMP_TABLE, copy_min_rows=copy_min)
                records = make_records(
                    size, ts=1_800_000_000_000_000 if phase == "update" else None
                )
                started = time.perf_counter()
                with transaction.atomic():
                    written = apply(records)
                figures.append(size / (time.perf_counter() - started))
                assert written == size, (phase, copy_min, written)
        print(f"{size:>8} " + " ".join(f"{f:>12,.0f}" for f in figures))
    drop(CMP_TABLE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=settings.BATCH_PROCESSOR_PARALLEL_WORKERS)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--compare", action="store_true")
    args = parser.parse_args()

    settings.BATCH_PROCESSOR_KEY_PREFIX = f"bench:{os.getpid()}"
    settings.BATCH_PROCESSOR_THRESHOLD = 0  # no threshold flushes during the put phase
    if args.batch_size:
        settings.BATCH_PROCESSOR_BATCH_SIZE = args.batch_size
    kind = buffer.register_kind(probe.make_kind("bench", FLUSH_TABLE), replace=True)
    records = make_records(args.rows)
    print(
        f"{args.rows:,} records, workers={args.workers}, batch={flusher.batch_size()}, "
        f"codec={settings.REDIS_COMPRESSION_ALGORITHM}, copy from {DEFAULT_COPY_MIN_ROWS} rows, "
        f"Postgres {connection.cursor().connection.server_version}, {os.cpu_count()} CPUs"
    )
    try:
        recreate(FLUSH_TABLE)
        started = time.perf_counter()
        for start in range(0, len(records), 5000):
            buffer.put_many(kind, records[start : start + 5000])
        put_s = time.perf_counter() - started
        memory = buffer.get_client().info("memory")["used_memory"]
        print(
            f"put_many : {args.rows / put_s:>12,.0f} records/s ({put_s:.2f} s; Redis used_memory {memory / 2**20:.0f} MiB)"
        )

        result = buffer.flush(kind, workers=args.workers)
        assert result.records == args.rows and result.written == args.rows, result
        flush_rate = args.rows / result.seconds
        print(
            f"flush    : {flush_rate:>12,.0f} rows/s ({result.seconds:.2f} s, {result.shards} shards)"
        )

        copy_s, server_s = raw_copy(records)
        copy_rate, server_rate = args.rows / copy_s, args.rows / server_s
        print(f"raw COPY : {copy_rate:>12,.0f} rows/s ({copy_s:.2f} s, text built from the dicts)")
        print(
            f"  server : {server_rate:>12,.0f} rows/s ({server_s:.2f} s, the COPY statement alone)"
        )
        print(
            f"flush / COPY = {flush_rate / copy_rate:.0%} (target >= 30%); "
            f"flush / server-only COPY = {flush_rate / server_rate:.0%}"
        )

        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*), sum(writes) FROM {FLUSH_TABLE}")
            count, writes = cursor.fetchone()
        assert count == args.rows and writes == args.rows, (count, writes)
        if args.compare:
            compare_paths([100, 500, 1000, 5000, 10_000, 20_000, 50_000])
    finally:
        drop(FLUSH_TABLE, COPY_TABLE, CMP_TABLE)
        client = buffer.get_client()
        for key in client.scan_iter(f"{settings.BATCH_PROCESSOR_KEY_PREFIX}:*", count=1000):
            client.unlink(key)


if __name__ == "__main__":
    main()
