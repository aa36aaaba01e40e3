#!/usr/bin/env python3
"""`make backup-restore-check`: the runbook's PostgreSQL backup and restore, proven on the
embedded stack.

1. Start (or reuse) the embedded PostgreSQL of .data/ and migrate its `schools24` database.
2. Back it up exactly as deploy/README.md "Backups" says:
   pg_dump --format=custom --no-owner --no-privileges  -> .data/backups/schools24-<time>.dump
3. Restore it into a new database the same way the runbook restores:
   pg_restore --no-owner --no-privileges --exit-on-error --jobs 2
4. Compare the exact row count of every table of the two databases; drop the copy.

Uses the embedded server's own pg_dump/pg_restore (same major version as the server). Exit 0
when every table matches.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import services  # noqa: E402

RESTORED = "schools24_restore_check"


def _counts(connect, dbname: str) -> dict[str, int]:
    from psycopg2 import sql

    conn = connect(dbname)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT schemaname, tablename FROM pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
            )
            tables = cur.fetchall()
            counts = {}
            for schema, table in tables:
                cur.execute(
                    sql.SQL("SELECT count(*) FROM {}.{}").format(
                        sql.Identifier(schema), sql.Identifier(table)
                    )
                )
                counts[f"{schema}.{table}"] = cur.fetchone()[0]
            return counts
    finally:
        conn.close()


def main() -> int:
    started = time.monotonic()
    os.chdir(services.ROOT)
    # Only the embedded PostgreSQL: the other services' URLs are given (and never used).
    env = {"REDIS_URL": "unused", "MONGODB_URI": "unused"}
    urls = services.ensure(env, lease=True)
    try:
        return _check(urls["DATABASE_URL"], started)
    finally:
        services.release()


def _check(url: str, started: float) -> int:
    import psycopg2

    socket_dir = url.split("host=", 1)[1]
    pg_bin = services._pg_bin()

    def connect(dbname: str):
        conn = psycopg2.connect(host=socket_dir, user="postgres", dbname=dbname)
        conn.autocommit = True
        return conn

    migrate_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "schools24.settings.test",
        "DATABASE_URL": url,
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "MONGODB_URI": "mongodb://127.0.0.1:1",
    }
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        env=migrate_env,
        check=True,
    )

    backups = services.DATA / "backups"
    backups.mkdir(parents=True, exist_ok=True)
    dump = backups / f"schools24-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.dump"
    libpq = ["--host", socket_dir, "--username", "postgres"]
    subprocess.run(  # noqa: S603
        [str(pg_bin / "pg_dump"), *libpq, "--format=custom", "--no-owner", "--no-privileges",
         "--file", str(dump), services.DB_NAME],
        check=True,
    )  # fmt: skip
    print(f"[backup] {dump.relative_to(services.ROOT)}: {dump.stat().st_size} bytes")

    admin = connect("postgres")
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{RESTORED}"')
        cur.execute(f'CREATE DATABASE "{RESTORED}"')
    try:
        subprocess.run(  # noqa: S603
            [str(pg_bin / "pg_restore"), *libpq, "--no-owner", "--no-privileges",
             "--exit-on-error", "--jobs", "2", "--dbname", RESTORED, str(dump)],
            check=True,
        )  # fmt: skip
        source, copy = _counts(connect, services.DB_NAME), _counts(connect, RESTORED)
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{RESTORED}"')
        admin.close()
        dump.unlink(missing_ok=True)

    differ = {t: (source.get(t), copy.get(t)) for t in source.keys() | copy.keys()
              if source.get(t) != copy.get(t)}  # fmt: skip
    rows = sum(source.values())
    elapsed = time.monotonic() - started
    if differ:
        for table, (a, b) in sorted(differ.items()):
            print(f"[backup] MISMATCH {table}: source {a}, restored {b}", file=sys.stderr)
        return 1
    print(
        f"[backup] restore check passed: {len(source)} tables, {rows} rows match ({elapsed:.0f}s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
