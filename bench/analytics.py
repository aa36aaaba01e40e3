"""Analytics: a year of the demo school's attendance as a report read from the rollups, against
the same figure computed from the raw marks, and the nightly rollup of one day.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ REDIS_URL=redis://127.0.0.1:6379/7 \
        .venv/bin/python bench/analytics.py [--students 1440] [--rounds 5] [--fresh]

Everything happens in a scratch database on DATABASE_URL's server (`--db`, default
schools24_bench_analytics; created and migrated when missing, recreated with `--fresh`; the name
must contain "bench"). The demo school's people and academic structure are seeded (`--students`,
default 1440 in 36 sections; the other domains are left out), then a daily mark for every
student on every weekday of the current year up to yesterday is inserted directly (about 90 %
present), and the whole year is rolled up once (`rollup_range`, timed).

Then, each a median of `--rounds`:
1. report from rollups: `selectors.attendance_trend` for the year (the attendance percentage
   per day over the whole school), as the API computes it;
2. the same figure from the raw marks: one GROUP BY date over attendance_attendancerecord for
   the year (the best a report without rollups could do);
3. the nightly rollup of one day (`rollup_day`: the sections' counts, the month's student
   codes, fees, deliveries, assessments), as the beat job runs it per school.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
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
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db", default="schools24_bench_analytics")
    parser.add_argument("--fresh", action="store_true")
    return parser.parse_args()


def seed(students: int):
    from apps.accounts.models import School
    from apps.demo import seed as demo_seed

    names = ("attendance", "quizzes", "calendar", "fees", "homework", "transport", "inventory",
             "exams", "notifications", "analytics")  # fmt: skip
    for name in names:
        module = __import__(f"apps.{name}.demo", fromlist=["x"])
        for attr in dir(module):
            if attr.startswith("seed_"):
                setattr(module, attr, lambda **kwargs: None)
    t0 = time.perf_counter()
    demo_seed.seed_demo(students=students)
    say(f"seeded {students} students in {time.perf_counter() - t0:.1f} s")
    return School.objects.get(code="demo")


def year_of_marks(school) -> tuple[dt.date, dt.date, int]:
    """A daily mark per student and weekday of the current year up to yesterday."""
    from apps.academics.models import AcademicYear, Enrollment
    from apps.analytics.services.rollup import school_yesterday
    from apps.attendance.models import AttendanceRecord, mark_id

    year = AcademicYear.objects.get(school=school, is_current=True)
    end = min(school_yesterday(school), year.end_date)
    start = max(year.start_date, end - dt.timedelta(days=364))
    if AttendanceRecord.objects.filter(school=school, date=start).exists():
        return start, end, AttendanceRecord.objects.filter(school=school).count()
    pairs = list(Enrollment.objects.filter(section__year=year)
                 .values_list("student_id", "section_id"))  # fmt: skip
    rng = random.Random(24)
    statuses = ["present"] * 90 + ["absent"] * 7 + ["late"] * 3
    batch, total = [], 0
    t0 = time.perf_counter()
    day = start
    while day <= end:
        if day.weekday() < 5:
            for student_id, section_id in pairs:
                status = rng.choice(statuses)
                batch.append(AttendanceRecord(
                    id=mark_id(school.pk, student_id, day, None), school_id=school.pk,
                    student_id=student_id, section_id=section_id, date=day, status=status,
                    late_minutes=10 if status == "late" else 0, ts=1))  # fmt: skip
        if len(batch) >= 20000:
            AttendanceRecord.objects.bulk_create(batch, batch_size=5000)
            total += len(batch)
            batch = []
        day += dt.timedelta(days=1)
    AttendanceRecord.objects.bulk_create(batch, batch_size=5000)
    total += len(batch)
    say(f"inserted {total:,} daily marks ({start} .. {end}) in {time.perf_counter() - t0:.1f} s")
    return start, end, total


def from_raw(school, start, end) -> list:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT date, COUNT(*) FILTER (WHERE status = 'present'),
                      COUNT(*) FILTER (WHERE status = 'absent'),
                      COUNT(*) FILTER (WHERE status = 'late'),
                      COUNT(*) FILTER (WHERE status = 'excused'), COUNT(DISTINCT section_id)
               FROM attendance_attendancerecord
               WHERE school_id = %s AND date BETWEEN %s AND %s AND period_id IS NULL
               GROUP BY date ORDER BY date""",
            [school.pk, start, end],
        )
        return cursor.fetchall()


def median_time(fn, rounds: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(rounds):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    args = parse_args()
    django_on_scratch(args.db, args.fresh)
    from apps.analytics import selectors
    from apps.analytics.models import AttendanceDaily
    from apps.analytics.services import rollup_day, rollup_range

    say(machine())
    school = seed(args.students)
    start, end, marks = year_of_marks(school)
    t0 = time.perf_counter()
    rollup_range(school, start, end)
    say(f"backfill of the year ({(end - start).days + 1} days): "
        f"{time.perf_counter() - t0:.1f} s, {AttendanceDaily.objects.count():,} rollup rows")  # fmt: skip
    f = selectors.Filters(school=school, start=start, end=end, today=end + dt.timedelta(days=1))
    rollup_s, table = median_time(lambda: selectors.attendance_trend(f), args.rounds)
    raw_s, raw = median_time(lambda: from_raw(school, start, end), args.rounds)
    assert [(r["date"], r["present"], r["absent"]) for r in table.rows] == [
        (r[0], r[1], r[2]) for r in raw
    ], "the rollups and the raw marks disagree"
    nightly_s, _ = median_time(lambda: rollup_day(school, end), args.rounds)
    say(f"attendance trend over {len(table.rows)} school days, {marks:,} raw marks")
    say(f"  from rollups : {rollup_s * 1000:8.1f} ms")
    say(f"  from raw rows: {raw_s * 1000:8.1f} ms")
    say(f"  raw / rollups: {raw_s / rollup_s:8.1f}x")
    say(f"nightly rollup of one day (rollup_day): {nightly_s * 1000:.1f} ms (median of "
        f"{args.rounds})")  # fmt: skip


if __name__ == "__main__":
    main()
