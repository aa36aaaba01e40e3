"""Attendance: the buffer's flush of attendance marks against a raw COPY, and the attendance API
under concurrent load.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ REDIS_URL=redis://127.0.0.1:6379/14 \
        .venv/bin/python bench/attendance.py [--quick] [--fresh] [--marks N] [--concurrency C] \
        [--duration S] [--students N] [--skip-flush] [--skip-api]

Everything happens in a scratch database on DATABASE_URL's server (`--db`, default
schools24_bench_attendance; created and migrated when missing, dropped and recreated with
`--fresh`; the name must contain "bench"). Figures printed:

1. Flush vs COPY. `--marks` daily marks (period NULL; default 1,000,000 = 2,000 students x 500
   school days, in sections of 40) of a bulk-made school are `buffer.put_many("attendance", ...)`
   in chunks of 5,000 (timed), then `buffer.flush("attendance")` (timed), then the same rows
   (same columns, built from the same dicts) are COPYed into `bench_attendance_copy` (LIKE
   attendance_attendancerecord INCLUDING ALL: same indexes and checks, but no foreign keys), and
   once more into attendance_attendancerecord itself (emptied first: foreign keys checked, as the
   flush's are). Prints rows/s and flush / COPY (target >= 30%). Buffer keys use a private prefix
   and BATCH_PROCESSOR_THRESHOLD=0, so nothing flushes early. The marks stay in the table for
   part 2 (a realistically big table); part 1 empties it first on every run.
2. The API under load. `seed_demo --force` (`--students`, default 1440: 36 sections x 40) runs
   in the scratch database; a side measurement counts SQL queries and Redis round trips of one
   mark request of 5-A's 40 students and one read (in-process test client, rolled back); then
   gunicorn (deploy/gunicorn.conf.py, production settings, 127.0.0.1 on a free port) serves it,
   the demo teacher signs in (JWT), and `--concurrency` client threads (http.client, keep-alive
   per thread) POST /api/v1/attendance/mark/ for 5-A for `--duration` seconds, cycling all
   present / all absent / mixed registers (so most marks change on every request: audit rows,
   absence notifications), then GET /api/v1/attendance/?section=&date=&page_size=50 the same
   way. Before both, one client takes first registers: each POST a school day of 5-A before
   that date (up to 60, their marks and absence alerts deleted first), 3 of 40 absent, so every
   request is a day's first mark with its guardians alerted. The date is the latest past school day within the teachers' edit window (a weekday with
   5-A's timetable, inside the current year, not a holiday). Prints requests/s, p50/p90/p99
   latency (ms) and errors for each. E-mails are only enqueued (broker = the same Redis; no
   worker runs); THROTTLE_USER is raised so the user throttle (600/min) does not answer 429.
   gunicorn buffers under the default prefix `s24:wb` (the bench sets no
   BATCH_PROCESSOR_KEY_PREFIX), so the run refuses to start when REDIS_URL's database already holds
   such keys. At the end gunicorn is stopped (also on Ctrl-C / SIGTERM), the marks it buffered
   are flushed, and the Redis keys the run made are deleted.

`--quick`: 100,000 marks, 5 s per load phase. The client threads run on the same machine as
gunicorn, Postgres and Redis: on a small VM they compete for the same CPUs.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from common import (  # noqa: E402
    GunicornServer,
    ensure_database,
    free_port,
    machine,
    say,
    scratch_url,
    terminated,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schools24.settings.test")

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
PUT_CHUNK = 5000
FIRST_MARKS = 60  # school days of 5-A made unmarked for the first-register phase
TS0 = 1_750_000_000_000_000  # epoch µs of the generated marks (mark i has TS0 + i)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 marks, 5 s load phases")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the scratch db")
    parser.add_argument("--db", default="schools24_bench_attendance", help="scratch db name")
    parser.add_argument("--marks", type=int, default=None, help="marks to flush (1,000,000)")
    parser.add_argument("--bulk-students", type=int, default=2000, help="students of part 1")
    parser.add_argument("--section-size", type=int, default=40, help="students per section")
    parser.add_argument("--workers", type=int, default=None, help="flush threads")
    parser.add_argument("--students", type=int, default=1440, help="seed_demo --students")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads")
    parser.add_argument("--duration", type=float, default=None, help="seconds per phase (20)")
    parser.add_argument("--warmup", type=float, default=None, help="seconds of warm-up (3)")
    parser.add_argument("--web-workers", type=int, default=None, help="WEB_CONCURRENCY")
    parser.add_argument("--skip-flush", action="store_true", help="no part 1")
    parser.add_argument("--skip-api", action="store_true", help="no part 2")
    parser.add_argument("--keep-log", action="store_true", help="keep gunicorn's log file")
    args = parser.parse_args()
    if args.marks is None:
        args.marks = 100_000 if args.quick else 1_000_000
    if args.duration is None:
        args.duration = 5.0 if args.quick else 20.0
    if args.warmup is None:
        args.warmup = 1.0 if args.quick else 3.0
    args.duration = min(max(args.duration, 1.0), 600.0)
    args.concurrency = min(max(args.concurrency, 1), 256)
    if "bench" not in args.db or not re.fullmatch(r"[a-z0-9_]+", args.db):
        parser.error("--db must be a lower-case name containing 'bench' (it may be dropped)")
    return args


# --- the scratch database (before Django starts) ------------------------------------------------


ARGS = parse_args()
SERVER_URL = os.environ.get("DATABASE_URL") or DEFAULT_SERVER
DB_URL = scratch_url(SERVER_URL, ARGS.db)
REDIS_URL = os.environ.get("REDIS_URL") or DEFAULT_REDIS
DB_STATE = ensure_database(SERVER_URL, ARGS.db, ARGS.fresh)
os.environ["DATABASE_URL"] = DB_URL
os.environ["REDIS_URL"] = REDIS_URL

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from apps.core import buffer  # noqa: E402
from apps.core.buffer import flusher  # noqa: E402
from apps.core.buffer.upsert import copy_text  # noqa: E402
from apps.core.testing import redis_memory, redis_round_trips  # noqa: E402

PREFIX = f"bench:att:{os.getpid()}"
WEB_PREFIX = "s24:wb"  # gunicorn's (BATCH_PROCESSOR_KEY_PREFIX's default)
settings.BATCH_PROCESSOR_KEY_PREFIX = PREFIX
settings.BATCH_PROCESSOR_THRESHOLD = 0  # no threshold flush during the put phase


def versions() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0].split()[0]
    redis_version = buffer.get_client().info("server")["redis_version"]
    return f"Python {platform.python_version()}, Postgres {pg}, Redis {redis_version}"


def codec() -> str:
    if not getattr(settings, "REDIS_COMPRESSION_ENABLED", True):
        return "none (compression off)"
    return settings.REDIS_COMPRESSION_ALGORITHM


def delete_keys(client, pattern: str) -> int:
    gone = 0
    batch = []
    for key in client.scan_iter(pattern, count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            gone += client.unlink(*batch)
            batch = []
    if batch:
        gone += client.unlink(*batch)
    return gone


# === part 1: flush vs COPY ======================================================================
COPY_TABLE = "bench_attendance_copy"
COPY_COLUMNS = (
    "id",
    "school_id",
    "student_id",
    "section_id",
    "date",
    "period_id",
    "status",
    "late_minutes",
    "reason",
    "remarks",
    "marked_by_id",
    "ts",
)


class Fixture:
    """The bulk school of part 1: students in sections of `section_size`, one teacher."""

    def __init__(self, students: int, section_size: int):
        import datetime as dt

        from apps.academics.models import AcademicYear, SchoolClass, Section
        from apps.accounts.models import Role, School, StudentProfile, User

        school, _ = School.objects.get_or_create(
            code="bench-attendance",
            defaults={"name": "Bench Attendance School", "timezone": "Asia/Kolkata"},
        )
        year, _ = AcademicYear.objects.get_or_create(
            school=school,
            name="bench",
            defaults={"start_date": dt.date(2024, 4, 1), "end_date": dt.date(2026, 3, 31)},
        )
        school_class, _ = SchoolClass.objects.get_or_create(
            school=school, name="Bench class", defaults={"order": 1}
        )
        teacher, _ = User.objects.get_or_create(
            email="teacher@attendance.bench.test",
            defaults={
                "school": school,
                "role": Role.TEACHER,
                "full_name": "Bench Teacher",
                "password": "!",
            },
        )
        have = set(
            StudentProfile.objects.filter(school=school).values_list("admission_number", flat=True)
        )
        users, profiles = [], []
        for i in range(students):
            number = f"B{i:06d}"
            if number in have:
                continue
            user = User(
                email=f"s{i:06d}@attendance.bench.test",
                school=school,
                role=Role.STUDENT,
                full_name=f"Bench Student {i}",
                password="!",
            )
            users.append(user)
            profiles.append(StudentProfile(school=school, user=user, admission_number=number))
        User.objects.bulk_create(users, batch_size=2000)
        StudentProfile.objects.bulk_create(profiles, batch_size=2000)
        self.created = len(profiles)
        self.students = [
            str(pk)
            for pk in StudentProfile.objects.filter(school=school)
            .order_by("admission_number")
            .values_list("pk", flat=True)[:students]
        ]
        sections = []
        for index in range(-(-students // section_size)):
            section, _ = Section.objects.get_or_create(
                school=school,
                year=year,
                school_class=school_class,
                name=f"S{index:03d}",
                defaults={"capacity": section_size},
            )
            sections.append(str(section.pk))
        self.section_of = [sections[i // section_size] for i in range(students)]
        self.sections = len(sections)
        self.school_id = str(school.pk)
        self.teacher_id = str(teacher.pk)

    def school_days(self, count: int) -> list[str]:
        import datetime as dt

        day = dt.date(2024, 4, 1)  # a Monday; Monday to Saturday, as the demo timetable
        out = []
        while len(out) < count:
            if day.weekday() < 6:
                out.append(day.isoformat())
            day += dt.timedelta(days=1)
        return out


def make_records(fx: Fixture, days: list, start: int, stop: int) -> list[dict]:
    """Marks start..stop-1: mark i is student i % students on school day i // students;
    90% present, 6% absent, 3% late, 1% excused (deterministic)."""
    from apps.attendance.models import mark_id

    n = len(fx.students)
    out = []
    for i in range(start, stop):
        day_index, s = divmod(i, n)
        date = days[day_index]
        student = fx.students[s]
        r = (i * 2654435761) % 100
        late, reason = 0, ""
        if r < 90:
            status = "present"
        elif r < 96:
            status = "absent"
        elif r < 99:
            status, late = "late", 5 + r % 20
        else:
            status, reason = "excused", "Medical appointment"
        out.append(
            {
                "id": str(mark_id(fx.school_id, student, date, None)),
                "school_id": fx.school_id,
                "student_id": student,
                "section_id": fx.section_of[s],
                "date": date,
                "period_id": None,
                "slot": "day",
                "status": status,
                "late_minutes": late,
                "reason": reason,
                "remarks": "Came with a guardian" if i % 50 == 7 else "",
                "marked_by_id": fx.teacher_id,
                "ts": TS0 + i,
            }
        )
    return out


def chunks(total: int, size: int):
    for start in range(0, total, size):
        yield start, min(start + size, total)


def part_flush(args) -> None:
    from apps.attendance.buffer_kinds import ATTENDANCE
    from apps.attendance.buffer_kinds import apply as attendance_apply

    n = args.marks
    say(f"\n== 1. flush vs COPY: {n:,} daily marks ==")
    started = time.perf_counter()
    fx = Fixture(args.bulk_students, args.section_size)
    days = fx.school_days(-(-n // len(fx.students)))
    say(
        f"fixture: {len(fx.students):,} students ({fx.created:,} made now) in {fx.sections} "
        f"sections of {args.section_size}, {len(days)} school days "
        f"({days[0]} .. {days[-1]}); {time.perf_counter() - started:.1f} s"
    )
    workers = args.workers or int(settings.BATCH_PROCESSOR_PARALLEL_WORKERS)
    say(
        f"buffer: kind {ATTENDANCE.name!r}, {ATTENDANCE.shards} shards by {ATTENDANCE.shard_by}, "
        f"batch {flusher.batch_size()}, {workers} flush workers, codec {codec()}, "
        f"COPY path from {attendance_apply.copy_min_rows} rows, prefix {PREFIX}"
    )
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE attendance_attendancerecord")
        cursor.execute(f"DROP TABLE IF EXISTS {COPY_TABLE}")
    client = buffer.get_client()
    memory_before = client.info("memory")["used_memory"]

    try:
        put_s = made_s = 0.0
        for start, stop in chunks(n, PUT_CHUNK):
            t0 = time.perf_counter()
            records = make_records(fx, days, start, stop)
            t1 = time.perf_counter()
            buffer.put_many("attendance", records)
            put_s += time.perf_counter() - t1
            made_s += t1 - t0
        memory = client.info("memory")["used_memory"] - memory_before
        pending = buffer.stats("attendance")["attendance"]["pending"]
        assert pending == n, (pending, n)
        say(
            f"put_many : {n / put_s:>10,.0f} marks/s ({put_s:.2f} s in chunks of {PUT_CHUNK}; "
            f"making the dicts {made_s:.2f} s, not counted)"
        )
        usage, keys, encodings = redis_memory(client, f"{PREFIX}:*")
        hashes = ", ".join(f"{count:,} {name}" for (_, name), count in sorted(encodings.items()))
        say(
            f"Redis    : {usage / n:>10,.0f} B/mark by MEMORY USAGE ({usage / 2**20:,.1f} MiB in "
            f"{keys:,} keys; hashes: {hashes}); INFO used_memory +{memory / 2**20:,.1f} MiB = "
            f"{memory / n:,.0f} B/mark"
        )

        result = buffer.flush("attendance", workers=workers)
        assert result.records == n and result.written == n and not result.dead, result
        flush_rate = n / result.seconds
        say(
            f"flush    : {flush_rate:>10,.0f} rows/s ({result.seconds:.2f} s, {result.shards} shards)"
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM attendance_attendancerecord")
            assert cursor.fetchone()[0] == n

        # The same rows as COPY text, built from the same dicts (dict making not counted).
        columns = (*COPY_COLUMNS, "created_at", "updated_at")
        stamp = "2026-01-01 00:00:00+00"
        build_s = 0.0
        with tempfile.TemporaryFile("w+", encoding="utf-8") as text:
            for start, stop in chunks(n, 50_000):
                records = make_records(fx, days, start, stop)
                t0 = time.perf_counter()
                rows = [tuple(r[c] for c in COPY_COLUMNS) + (stamp, stamp) for r in records]
                text.write(copy_text(rows))
                build_s += time.perf_counter() - t0
            copy_sql = f"COPY {{}} ({', '.join(columns)}) FROM STDIN"

            def copy_into(table: str) -> float:
                text.seek(0)
                t0 = time.perf_counter()
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.cursor.copy_expert(copy_sql.format(table), text, size=1 << 20)
                return time.perf_counter() - t0

            with connection.cursor() as cursor:
                cursor.execute(
                    f"CREATE TABLE {COPY_TABLE} (LIKE attendance_attendancerecord INCLUDING ALL)"
                )
            server_s = copy_into(COPY_TABLE)
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE attendance_attendancerecord")
            fk_s = copy_into("attendance_attendancerecord")
        copy_rate = n / (build_s + server_s)
        say(
            f"raw COPY : {copy_rate:>10,.0f} rows/s ({build_s + server_s:.2f} s = text from the "
            f"dicts {build_s:.2f} s + COPY {server_s:.2f} s; LIKE copy: indexes, no FKs)"
        )
        say(f"  server : {n / server_s:>10,.0f} rows/s (the COPY statement alone)")
        fk_rate = n / (build_s + fk_s)
        say(
            f"COPY+FKs : {fk_rate:>10,.0f} rows/s ({build_s + fk_s:.2f} s; into "
            f"attendance_attendancerecord itself, foreign keys checked)"
        )
        say(
            f"flush / COPY = {flush_rate / copy_rate:.0%} (target >= 30%); "
            f"flush / server-only COPY = {flush_rate * server_s / n:.0%}; "
            f"flush / COPY with FKs = {flush_rate / fk_rate:.0%}"
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {COPY_TABLE}")
        delete_keys(client, f"{PREFIX}:*")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE attendance_attendancerecord")


# === part 2: the API under load =================================================================
def web_env(port: int, args) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "schools24.settings.production",
            "SECRET_KEY": "bench-attendance-dummy-secret-key-0123456789abcdefghijklmnop",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": DB_URL,
            "REDIS_URL": REDIS_URL,
            "CELERY_BROKER_URL": REDIS_URL,  # e-mails are enqueued only: no worker runs
            "CELERY_RESULT_BACKEND": REDIS_URL,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "CACHE_KEY_PREFIX": f"bench-att-{os.getpid()}",
            "THROTTLE_USER": "10000000/min",  # 600/min would answer 429 after 10 req/s
            "BIND": f"127.0.0.1:{port}",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if args.web_workers:
        env["WEB_CONCURRENCY"] = str(args.web_workers)
    return env


def seed(args) -> None:
    started = time.perf_counter()
    out = subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        [sys.executable, "manage.py", "seed_demo", "--force", "--students", str(args.students)],
        cwd=ROOT,
        env=web_env(0, args),  # production settings: the demo logins get a PBKDF2 hash
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if out.returncode:
        say(out.stdout[-2000:] + out.stderr[-4000:])
        raise SystemExit("seed_demo failed")
    ready = next((ln for ln in out.stdout.splitlines() if ln.startswith("Demo data")), "")
    say(f"seed_demo --students {args.students}: {ready} {time.perf_counter() - started:.1f} s")
    # Fresh planner statistics, as autovacuum would have them in steady state: with the bulk
    # school's marks analysed but the demo school's not, the planner reads a section's day
    # through the school_id index and filters the whole school's marks.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


class Demo:
    """5-A of the demo school, its class teacher, its students and the date to mark."""

    def __init__(self):
        import datetime as dt

        from apps.academics.models import Enrollment, Section, TimetableEntry
        from apps.accounts.models import User
        from apps.attendance import selectors, services
        from apps.calendar.selectors import is_holiday

        self.teacher = User.objects.get(email="teacher@demo.schools24.test")
        self.section = Section.objects.select_related("year", "school").get(
            school__code="demo", year__is_current=True, school_class__name="Class 5", name="A"
        )
        self.students = [
            str(pk)
            for pk in Enrollment.objects.filter(section=self.section, year=self.section.year)
            .order_by("roll_number")
            .values_list("student_id", flat=True)
        ]
        today = selectors.school_today(self.section.school)
        weekdays = set(
            TimetableEntry.objects.filter(section=self.section).values_list("weekday", flat=True)
        )
        year = self.section.year
        self.date = None
        # A past day within the teachers' edit window (they re-mark it on every request).
        for back in [*range(1, services.edit_window_days() + 1), 0]:
            day = today - dt.timedelta(days=back)
            if (
                day.weekday() in weekdays
                and year.start_date <= day <= year.end_date
                and not is_holiday(school=self.section.school, date=day, section=self.section)
            ):
                self.date = day
                break
        if self.date is None:
            raise SystemExit(f"no school day for {self.section} within the edit window of {today}")

    def body(self, statuses, date=None) -> bytes:
        entries = []
        for student, status in zip(self.students, statuses, strict=True):
            entry = {"student": student, "status": status}
            if status == "late":
                entry["late_minutes"] = 10
            if status == "excused":
                entry["reason"] = "Fever"
            entries.append(entry)
        date = date or self.date
        return json.dumps(
            {"section": str(self.section.pk), "date": date.isoformat(), "entries": entries}
        ).encode()

    def typical(self) -> list[str]:
        return ["absent" if i % 13 == 3 else "present" for i in range(len(self.students))]

    def bodies(self) -> list[tuple[str, bytes]]:
        """The registers the clients cycle through: each differs from the next in most marks."""
        n = len(self.students)
        mixed = ["absent" if i % 5 == 0 else "present" for i in range(n)]
        if n > 3:
            mixed[1], mixed[2] = "late", "excused"
        return [
            ("all present", self.body(["present"] * n)),
            ("all absent", self.body(["absent"] * n)),
            ("mixed (20% absent, 1 late, 1 excused)", self.body(mixed)),
            ("typical (3 absent)", self.body(self.typical())),
        ]

    def unmarked_days(self, count: int) -> list:
        """Up to `count` school days of 5-A before the re-marked one, newest first, made
        unmarked: their marks and absence alerts are deleted (a class teacher may take any past
        day's first register; the edit window only guards changes)."""
        import datetime as dt

        from apps.academics.models import TimetableEntry
        from apps.attendance.models import AttendanceRecord
        from apps.calendar.selectors import is_holiday
        from apps.notifications.models import Notification

        weekdays = set(
            TimetableEntry.objects.filter(section=self.section).values_list("weekday", flat=True)
        )
        days, day = [], self.date
        while len(days) < count:
            day -= dt.timedelta(days=1)
            if day < self.section.year.start_date:
                break
            if day.weekday() in weekdays and not is_holiday(
                school=self.section.school, date=day, section=self.section
            ):
                days.append(day)
        AttendanceRecord.objects.filter(section=self.section, date__in=days).delete()
        Notification.objects.filter(
            dedupe_key__in=[
                f"attendance.absent:{s}:{d.isoformat()}:day" for s in self.students for d in days
            ]
        ).delete()
        return days

    def list_path(self) -> str:
        return (
            f"/api/v1/attendance/?section={self.section.pk}&date={self.date.isoformat()}"
            "&page_size=50"
        )


def shape(sql: str) -> str:
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+\b", "?", sql)
    sql = re.sub(r"\(\?(?:, \?)+\)", "(?...)", sql)
    return sql[:150]


def side_queries(demo: Demo) -> None:
    """SQL queries and Redis round trips of single requests, in-process, rolled back."""
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import AccessToken

    from apps.attendance.models import AttendanceRecord
    from apps.notifications.models import Notification

    bodies = dict(demo.bodies())
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(demo.teacher)}")
    steps = [
        ("mark, first time (3 absent)", "post", bodies["typical (3 absent)"]),
        ("mark, same again (nothing changes)", "post", bodies["typical (3 absent)"]),
        ("mark, all 40 changed (all absent)", "post", bodies["all absent"]),
        ("mark, all 40 changed back (all present)", "post", bodies["all present"]),
        ("read ?section=&date=", "get", None),
    ]
    say(f"\nside measurement: one request each, in-process, {len(demo.students)} students:")
    say(f"  {'request':<42} {'status':>6} {'SQL':>5} {'Redis':>6} {'ms':>7}")
    details = []
    try:
        with transaction.atomic():  # rolled back: the marks, audit rows and notifications go
            # A register never marked, whose guardians were never alerted (earlier runs alerted
            # them; notify() would then stop at its dedupe query).
            AttendanceRecord.objects.filter(section=demo.section, date=demo.date).delete()
            Notification.objects.filter(
                dedupe_key__in=[
                    f"attendance.absent:{s}:{demo.date.isoformat()}:day" for s in demo.students
                ]
            ).delete()
            api.get(demo.list_path())  # warm-up: URLconf, translations, connections
            for label, method, body in steps:
                with CaptureQueriesContext(connection) as queries, redis_round_trips() as calls:
                    t0 = time.perf_counter()
                    if method == "post":
                        response = api.post(
                            "/api/v1/attendance/mark/", body, content_type="application/json"
                        )
                    else:
                        response = api.get(demo.list_path())
                    ms = (time.perf_counter() - t0) * 1000
                say(
                    f"  {label:<42} {response.status_code:>6} {len(queries):>5} {len(calls):>6} "
                    f"{ms:>7.1f}"
                )
                details.append((label, Counter(shape(q["sql"]) for q in queries.captured_queries)))
            transaction.set_rollback(True)
    finally:
        delete_keys(buffer.get_client(), f"{PREFIX}:*")
    for label, shapes in details:
        repeated = [(n, sql) for sql, n in shapes.most_common() if n > 1]
        if repeated:
            say(f"  repeated in '{label}':")
            for n, sql in repeated[:4]:
                say(f"    {n:>3} x {sql}")


CONNECTION_ERRORS = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
STOP = threading.Event()  # set on Ctrl-C / SIGTERM: client threads stop at once


class Worker(threading.Thread):
    def __init__(self, index, port, token, requests, stop_at, cap):
        super().__init__(daemon=True, name=f"client-{index}")
        self.index, self.port, self.requests = index, port, requests
        self.stop_at, self.cap = stop_at, cap
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self.latencies: list[float] = []
        self.errors: Counter = Counter()
        self.reconnects = 0
        self.conn = None

    def _once(self, method, path, body):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        self.conn.request(method, path, body=body, headers=self.headers)
        response = self.conn.getresponse()
        response.read()
        if response.will_close:
            self.conn.close()
            self.conn = None
        return response.status

    def run(self):
        i = self.index
        while (
            len(self.latencies) < self.cap
            and time.perf_counter() < self.stop_at
            and not STOP.is_set()
        ):
            method, path, body = self.requests[i % len(self.requests)]
            i += 1
            t0 = time.perf_counter()
            try:
                try:
                    status = self._once(method, path, body)
                except CONNECTION_ERRORS:  # keep-alive closed by the server (worker recycled)
                    self.conn = None
                    self.reconnects += 1
                    status = self._once(method, path, body)
            except Exception as exc:  # noqa: BLE001 - count it, go on
                self.errors[exc.__class__.__name__] += 1
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                status = None
            self.latencies.append(time.perf_counter() - t0)
            if status is not None and status != 200:
                self.errors[f"HTTP {status}"] += 1
        if self.conn is not None:
            self.conn.close()


def load(port, token, requests, concurrency, seconds, cap=1_000_000) -> dict:
    stop_at = time.perf_counter() + seconds
    workers = [Worker(i, port, token, requests, stop_at, cap=cap) for i in range(concurrency)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=seconds + 120)
    elapsed = time.perf_counter() - started
    latencies = sorted(x for w in workers for x in w.latencies)
    errors = sum((w.errors for w in workers), Counter())

    def pct(p):
        if not latencies:
            return float("nan")
        return (
            latencies[min(len(latencies) - 1, max(0, round(p / 100 * len(latencies)) - 1))] * 1000
        )

    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": pct(50),
        "p90": pct(90),
        "p99": pct(99),
        "max": latencies[-1] * 1000 if latencies else float("nan"),
        "errors": sum(errors.values()),
        "kinds": dict(errors),
        "reconnects": sum(w.reconnects for w in workers),
        "seconds": elapsed,
    }


def sign_in(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(
        "POST",
        "/api/v1/auth/token/",
        body=json.dumps({"email": "teacher@demo.schools24.test", "password": "schools24-demo"}),
        headers={"Content-Type": "application/json"},
    )
    response = conn.getresponse()
    data = response.read()
    conn.close()
    if response.status != 200:
        raise SystemExit(f"sign-in failed: {response.status} {data[:300]!r}")
    return json.loads(data)["access"]


def redis_celery_keys(client) -> set[bytes]:
    found = set()
    for pattern in ("_kombu.*", "unacked*", "notifications", "default", "buffer", "celery*"):
        found.update(client.scan_iter(pattern, count=1000))
    return found


def part_api(args) -> None:
    say(f"\n== 2. API under load: {args.concurrency} client threads, {args.duration:g} s each ==")
    # gunicorn buffers under the default prefix (the bench sets no BATCH_PROCESSOR_KEY_PREFIX),
    # which this run flushes and deletes at the end: it must be ours alone.
    found = next(buffer.get_client().scan_iter(f"{WEB_PREFIX}:*", count=1000), None)
    if found is not None:
        raise SystemExit(
            f"{REDIS_URL} already holds {found!r}: another process uses the default buffer "
            "prefix there; give this run a Redis database of its own (REDIS_URL)"
        )
    seed(args)
    demo = Demo()
    say(
        f"register: {demo.section.display_name} ({len(demo.students)} students), "
        f"date {demo.date} ({demo.date:%A}), teacher {demo.teacher.email}"
    )
    side_queries(demo)

    client = buffer.get_client()
    celery_before = redis_celery_keys(client)
    cache_prefix = f"bench-att-{os.getpid()}"
    port = free_port()
    server = GunicornServer(web_env(port, args), port, keep_log=args.keep_log)
    try:
        ready = server.wait_ready()
        say(f"\ngunicorn on 127.0.0.1:{server.port}: {ready.split('] ')[-1] if ready else 'ready'}")
        token = sign_in(server.port)
        posts = [("POST", "/api/v1/attendance/mark/", body) for _, body in demo.bodies()]
        gets = [("GET", demo.list_path(), None)]
        load(server.port, token, posts + gets, args.concurrency, args.warmup)
        say(f"warm-up {args.warmup:g} s done; load average {os.getloadavg()[0]:.2f}")
        say(
            f"  {'phase':<40} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} "
            f"{'p99 ms':>8} {'max ms':>8} {'errors':>6}"
        )
        # First registers of a day: one client, each request a day of 5-A never marked (3
        # absent: their guardians are alerted), so nothing is a re-mark.
        firsts = [
            ("POST", "/api/v1/attendance/mark/", demo.body(demo.typical(), day))
            for day in demo.unmarked_days(FIRST_MARKS)
        ]
        phases = (
            ("POST mark, first of the day (1 client)", firsts, 1, len(firsts)),
            ("POST mark (40 students)", posts, args.concurrency, 1_000_000),
            ("GET ?section=&date=", gets, args.concurrency, 1_000_000),
        )
        for label, requests, concurrency, cap in phases:
            r = load(server.port, token, requests, concurrency, args.duration, cap=cap)
            say(
                f"  {label:<40} {r['requests']:>8,} {r['rps']:>8,.1f} {r['p50']:>8.1f} "
                f"{r['p90']:>8.1f} {r['p99']:>8.1f} {r['max']:>8.1f} {r['errors']:>6}"
                + (f"  {r['kinds']}" if r["kinds"] else "")
                + (f"  ({r['reconnects']} keep-alive reconnects)" if r["reconnects"] else "")
            )
            say(f"    load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        errors_5xx = sum('"status":5' in ln for ln in server.tail(100_000))
        if errors_5xx:
            say(f"  gunicorn access log: {errors_5xx} responses with status 5xx")
    finally:
        STOP.set()
        server.stop()
        # The marks gunicorn buffered (default prefix) go to Postgres; then our keys go.
        settings.BATCH_PROCESSOR_KEY_PREFIX = WEB_PREFIX
        try:
            result = buffer.flush("attendance")
            say(
                f"flushed gunicorn's pending marks: {result.records} records, {result.written} written"
            )
        finally:
            settings.BATCH_PROCESSOR_KEY_PREFIX = PREFIX
        delete_keys(client, f"{cache_prefix}:*")
        new_celery = redis_celery_keys(client) - celery_before
        if new_celery:
            client.unlink(*new_celery)


def main() -> None:
    signal.signal(signal.SIGTERM, terminated)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with it ignored
    say(f"machine : {machine()}")
    say(f"versions: {versions()}")
    say(
        f"settings: {os.environ['DJANGO_SETTINGS_MODULE']} (gunicorn: production), codec "
        f"{codec()}, marks N={ARGS.marks:,}, {'quick' if ARGS.quick else 'full'} run"
    )
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    say(
        f"database: {ARGS.db} on {urllib.parse.urlsplit(DB_URL).hostname} ({DB_STATE}, migrated "
        f"in {time.perf_counter() - t0:.1f} s); Redis {REDIS_URL}"
    )
    if not ARGS.skip_flush:
        part_flush(ARGS)
    if not ARGS.skip_api:
        part_api(ARGS)
    say(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        say("\ninterrupted")
        sys.exit(130)
