"""Fees: generating a term's invoices for the demo school against a raw bulk INSERT of the same
rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ .venv/bin/python bench/fees.py \
        [--students 1440] [--fresh] [--rounds 3]

Everything happens in a scratch database on DATABASE_URL's server (`--db`, default
schools24_bench_fees; created and migrated when missing, recreated with `--fresh`; the name must
contain "bench"). The demo school's people and academic structure are seeded (`--students`,
default 1440: classes 1-12, sections A-C, 40 a section; attendance, quizzes and fees are not),
then the demo price list (a quarterly structure per class, apps/fees/demo.py).

Each round:
1. generation: the first quarter's invoices for the whole school, as the background job runs
   them (`invoices_generate_run`: one transaction per structure, numbers under the sequence's
   row lock, concessions, GST, bulk inserts of invoices and lines, advance credit, audit rows);
   timed, with its SQL query count;
2. raw INSERT: the rows it wrote to fees_invoice and fees_invoiceline are read back, the tables
   emptied, and the same rows inserted again with one multi-row INSERT per table
   (psycopg2 execute_values), timed.
Between rounds the invoices, lines, audit rows and sequences are removed. Prints both times
(median), rows/s and generation / INSERT.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from common import django_on_scratch, machine, say  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schools24.settings.test")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=1440)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", default="schools24_bench_fees")
    parser.add_argument("--fresh", action="store_true")
    return parser.parse_args()


def seed(students: int):
    from apps.accounts.demo import SeedReport
    from apps.attendance import demo as attendance_demo
    from apps.calendar import demo as calendar_demo
    from apps.demo import seed as demo_seed
    from apps.fees import demo as fees_demo
    from apps.quizzes import demo as quizzes_demo

    # Only people and the academic structure: the run measures fees alone.

    attendance_demo.seed_attendance = lambda **kwargs: None
    quizzes_demo.seed_quizzes = lambda **kwargs: None
    calendar_demo.seed_calendar = lambda **kwargs: None
    fees_demo.seed_fees = lambda **kwargs: None
    t0 = time.perf_counter()
    demo_seed.seed_demo(students=students)
    from apps.accounts.models import School

    school = School.objects.get(code="demo")
    structures = fees_demo.seed_structures(report=SeedReport(), school=school)
    say(f"seeded {students} students, {len(structures)} structures in "
        f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
    return school, structures


def reset(school) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE fees_invoiceline, fees_invoice CASCADE")
        cursor.execute("DELETE FROM fees_documentsequence WHERE school_id = %s", [school.pk])
        cursor.execute(
            "DELETE FROM core_auditlog WHERE school_id = %s AND action = 'invoice.issue'",
            [school.pk],
        )


def generate(school, structures) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.core import jobs
    from apps.fees import services
    from apps.fees.models import Invoice

    year = structures[0].year
    job = jobs.job_create(school=school, kind=services.GENERATE_KIND, params={
        "year": str(year.pk), "installment_number": 1, "school_class": None, "section": None,
        "issue_date": year.start_date.isoformat()})  # fmt: skip
    with CaptureQueriesContext(connection) as ctx:
        t0 = time.perf_counter()
        services.invoices_generate_run(job_id=job.pk)
        elapsed = time.perf_counter() - t0
    return elapsed, len(ctx.captured_queries), Invoice.objects.count()


def raw_insert() -> tuple[float, int]:
    from django.db import connection, transaction
    from psycopg2.extras import execute_values

    tables = ("fees_invoice", "fees_invoiceline")
    with connection.cursor() as cursor:
        saved = {}
        for table in tables:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed names
            saved[table] = ([c.name for c in cursor.description], cursor.fetchall())
        cursor.execute("TRUNCATE fees_invoiceline, fees_invoice CASCADE")
    rows = sum(len(data) for _, data in saved.values())
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        t0 = time.perf_counter()
        for table in tables:
            columns, data = saved[table]
            execute_values(
                raw,
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES %s",  # noqa: S608
                data,
                page_size=len(data),
            )
        elapsed = time.perf_counter() - t0
    return elapsed, rows


def main() -> None:
    args = parse_args()
    django_on_scratch(args.db, args.fresh)
    school, structures = seed(args.students)
    gen_times, raw_times = [], []
    for round_ in range(args.rounds):
        reset(school)
        elapsed, queries, invoices = generate(school, structures)
        from apps.fees.models import InvoiceLine

        lines = InvoiceLine.objects.count()
        raw, rows = raw_insert()
        gen_times.append(elapsed)
        raw_times.append(raw)
        say(f"round {round_ + 1}: generation {elapsed:.3f} s ({invoices} invoices, {lines} lines, "
            f"{queries} queries); raw INSERT {raw:.3f} s ({rows} rows)")  # fmt: skip
    gen, raw = statistics.median(gen_times), statistics.median(raw_times)
    say()
    say(machine())
    say(f"students {args.students}, invoices {invoices}, rows (invoices + lines) {rows}")
    say(f"generation (job, median of {args.rounds}): {gen:.3f} s = {rows / gen:,.0f} rows/s, "
        f"{queries} SQL queries")  # fmt: skip
    say(f"raw bulk INSERT (median):          {raw:.3f} s = {rows / raw:,.0f} rows/s")
    say(f"generation / raw INSERT: {gen / raw:.1f}x")


if __name__ == "__main__":
    main()
