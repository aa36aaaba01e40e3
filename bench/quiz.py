"""Quizzes: many students taking one published quiz at once (start, autosave, submit) against
gunicorn, and the MongoDB queries a paper and an autosave make once the quiz is published.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ REDIS_URL=redis://127.0.0.1:6379/13 \
        .venv/bin/python bench/quiz.py [--quick] [--fresh] [--students N] [--concurrency C] \
        [--saves S] [--abandon F] [--web-workers W]

Everything happens in a scratch database on DATABASE_URL's server (`--db`, default
schools24_bench_quiz; created and migrated when missing, dropped and recreated with `--fresh`;
the name must contain "bench"). MongoDB: MONGODB_URI if it answers, else an in-memory
SecantusDB (secantusd-py) on a free port, started and stopped by the run, the way the root
conftest does; the question bank goes in the database `schools24_bench_quiz`.

Setup: a school "benchquiz" with `--students` students (default 1,000; 100 with `--quick`) in
sections of 40 (made in bulk once; a later run adds only missing students), one Mathematics
teacher teaching every section, and on every run a new quiz of 20 bank questions (all six types,
created with `question_bank.create_many`) assigned to every section, published through
`quiz_publish` (shuffled questions and options, 60 minutes, results after closing).

Side measurement (in-process test client, one extra student): MongoDB commands (pymongo command
monitoring), SQL queries and Redis round trips of start, paper read, autosave and submit. The
positive control (a bank list) shows the counter counts.

Load: gunicorn (deploy/gunicorn.conf.py, production settings, 127.0.0.1 on a free port,
THROTTLE_USER raised) serves the scratch database. An access token per student is minted in
this process (simplejwt, the server's SECRET_KEY, 3 h lifetime) instead of 1,000 sign-ins.
`--concurrency` client threads (default 32; http.client, keep-alive per thread) take students
from a queue; for each: POST /api/v1/quizzes/{id}/attempts/, `--saves` (20) PUT
/api/v1/attempts/{id}/answers/ of 1-3 answers each (valid shapes, random values), then POST
/api/v1/attempts/{id}/submit/, except a fraction `--abandon` (default 0.1) who walk away
without submitting. Prints requests/s and p50/p90/p99 per kind, errors, and the wall time of the
whole session. Then the auto-submit path: the abandoned attempts' deadlines are moved into the
past and `attempts_submit_expired` (what the Celery beat task runs) grades them all, timed, with
their answers still pending in gunicorn's buffer; then the buffer's flush of the autosaved
answers, timed, and a check that every attempt is submitted and graded.

gunicorn buffers under the default prefix `s24:wb` (the bench sets no BATCH_PROCESSOR_KEY_PREFIX),
so the run refuses to start when REDIS_URL's database already holds such keys;
at the end the keys it made are deleted. The client threads run on the same machine as gunicorn,
Postgres, Redis and MongoDB: on a small VM they compete for the same CPUs.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import platform
import queue
import random
import re
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from common import (  # noqa: E402
    GunicornServer,
    ensure_database,
    free_port,
    machine,
    random_answer,
    say,
    scratch_url,
    start_mongo,
    stop_process,
    terminated,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schools24.settings.test")

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
SECRET = "bench-quiz-dummy-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
MONGO_DB = "schools24_bench_quiz"
SECTION_SIZE = 40


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 students")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the scratch db")
    parser.add_argument("--db", default="schools24_bench_quiz", help="scratch db name")
    parser.add_argument("--students", type=int, default=None, help="students (1,000)")
    parser.add_argument("--concurrency", type=int, default=32, help="client threads")
    parser.add_argument("--saves", type=int, default=20, help="autosaves per attempt")
    parser.add_argument("--abandon", type=float, default=0.1, help="fraction never submitting")
    parser.add_argument("--web-workers", type=int, default=None, help="WEB_CONCURRENCY")
    parser.add_argument("--keep-log", action="store_true", help="keep gunicorn's log file")
    args = parser.parse_args()
    if args.students is None:
        args.students = 100 if args.quick else 1000
    args.students = max(args.students, 2)
    args.concurrency = min(max(args.concurrency, 1), 256)
    args.abandon = min(max(args.abandon, 0.0), 1.0)
    if "bench" not in args.db or not re.fullmatch(r"[a-z0-9_]+", args.db):
        parser.error("--db must be a lower-case name containing 'bench' (it may be dropped)")
    return args


# --- before Django: the scratch database and a MongoDB -------------------------------------------


ARGS = parse_args()
SERVER_URL = os.environ.get("DATABASE_URL") or DEFAULT_SERVER
DB_URL = scratch_url(SERVER_URL, ARGS.db)
REDIS_URL = os.environ.get("REDIS_URL") or DEFAULT_REDIS
DB_STATE = ensure_database(SERVER_URL, ARGS.db, ARGS.fresh)
MONGO_PROCESS, MONGO_URI, MONGO_KIND = start_mongo()
os.environ.update(
    {
        "DATABASE_URL": DB_URL,
        "REDIS_URL": REDIS_URL,
        "MONGODB_URI": MONGO_URI,
        "MONGODB_DATABASE": MONGO_DB,
        "SECRET_KEY": SECRET,  # the tokens minted here must verify in gunicorn
    }
)
os.environ.pop("JWT_SECRET", None)


# pymongo command monitoring: registered before any client exists, so every client reports.
from pymongo import monitoring  # noqa: E402


class MongoCommands(monitoring.CommandListener):
    """Counts the commands MongoDB clients of this process send while `active`."""

    def __init__(self):
        self.count = 0
        self.active = False
        self.names: Counter = Counter()

    def started(self, event):
        if self.active:
            self.count += 1
            self.names[event.command_name] += 1

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


MONGO_COMMANDS = MongoCommands()
monitoring.register(MONGO_COMMANDS)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from apps.core import buffer  # noqa: E402
from apps.core.testing import redis_round_trips  # noqa: E402

PREFIX = f"bench:quiz:{os.getpid()}"
WEB_PREFIX = "s24:wb"  # gunicorn's (BATCH_PROCESSOR_KEY_PREFIX's default)
settings.BATCH_PROCESSOR_KEY_PREFIX = PREFIX
settings.BATCH_PROCESSOR_THRESHOLD = 0


def versions() -> str:
    from apps.core.mongo import get_client

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0].split()[0]
    redis_version = buffer.get_client().info("server")["redis_version"]
    mongo = get_client().server_info().get("version", "?")
    return (
        f"Python {platform.python_version()}, Postgres {pg}, Redis {redis_version}, Mongo {mongo}"
    )


def delete_keys(client, pattern: str) -> int:
    gone, batch = 0, []
    for key in client.scan_iter(pattern, count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            gone += client.unlink(*batch)
            batch = []
    if batch:
        gone += client.unlink(*batch)
    return gone


# === setup ====================================================================================
class Setup:
    """The bench school, its students, and this run's published quiz."""

    def __init__(self, students: int):
        from django.utils import timezone

        from apps.accounts.models import School

        started = time.perf_counter()
        self.school, _ = School.objects.get_or_create(
            code="benchquiz", defaults={"name": "Bench Quiz School", "timezone": "Asia/Kolkata"}
        )
        self._structure(students)
        made = self._students(students + 1)  # the last one is the side measurement's
        say(
            f"school: {len(self.sections)} sections, {students:,} students (+1 for the side "
            f"measurement; {made:,} made now) in {time.perf_counter() - started:.1f} s"
        )
        t0 = time.perf_counter()
        self.quiz = self._quiz(timezone.now())
        say(
            f"quiz: 20 bank questions ({', '.join(sorted(self.kinds))}), published in "
            f"{time.perf_counter() - t0:.2f} s: {self.quiz.title}"
        )

    def _structure(self, students: int) -> None:
        from datetime import date

        from django.utils import timezone

        from apps.academics.models import (
            AcademicYear,
            SchoolClass,
            Section,
            Subject,
            TeachingAssignment,
        )
        from apps.accounts.models import Role, TeacherProfile, User

        today = timezone.localdate()
        self.year, _ = AcademicYear.objects.get_or_create(
            school=self.school,
            name="Bench year",
            defaults={
                "start_date": date(today.year - 1, 1, 1),
                "end_date": date(today.year + 1, 12, 31),
                "is_current": True,
            },
        )
        self.subject, _ = Subject.objects.get_or_create(
            school=self.school, code="MATH", defaults={"name": "Mathematics"}
        )
        self.school_class, _ = SchoolClass.objects.get_or_create(
            school=self.school, name="Class 9", defaults={"order": 9}
        )
        user, _ = User.objects.get_or_create(
            email="teacher@benchquiz.test",
            defaults={"school": self.school, "role": Role.TEACHER, "full_name": "Bench Teacher"},
        )
        self.teacher = user
        profile, _ = TeacherProfile.objects.get_or_create(
            user=user, defaults={"school": self.school, "employee_code": "BT0001"}
        )
        wanted = (students + 1 + SECTION_SIZE - 1) // SECTION_SIZE
        self.sections = []
        for index in range(wanted):
            section, _ = Section.objects.get_or_create(
                school=self.school, year=self.year, school_class=self.school_class,
                name=f"S{index + 1:03d}", defaults={"capacity": SECTION_SIZE},
            )  # fmt: skip
            self.sections.append(section)
        TeachingAssignment.objects.bulk_create(
            [
                TeachingAssignment(
                    school=self.school,
                    year=self.year,
                    section=s,
                    subject=self.subject,
                    teacher=profile,
                )  # fmt: skip
                for s in self.sections
            ],
            ignore_conflicts=True,
        )

    def _students(self, count: int) -> int:
        from datetime import date

        from apps.academics.models import Enrollment
        from apps.accounts.models import Role, StudentProfile, User

        wanted = [f"BQ-{i:05d}" for i in range(1, count + 1)]
        present = set(
            StudentProfile.objects.filter(school=self.school).values_list(
                "admission_number", flat=True
            )
        )
        missing = [n for n in wanted if n not in present]
        if missing:
            User.objects.bulk_create(
                [
                    User(
                        school=self.school,
                        email=f"{n.lower()}@benchquiz.test",
                        role=Role.STUDENT,
                        full_name=f"Student {n}",
                        password="!",
                    )  # fmt: skip
                    for n in missing
                ],
                ignore_conflicts=True,
            )
            users = {
                u.email: u
                for u in User.objects.filter(
                    email__in=[f"{n.lower()}@benchquiz.test" for n in missing]
                )
            }
            StudentProfile.objects.bulk_create(
                [
                    StudentProfile(
                        school=self.school,
                        user=users[f"{n.lower()}@benchquiz.test"],
                        admission_number=n,
                        roll_number="",
                        date_of_birth=date(2010, 1, 1),
                        gender="female",
                    )  # fmt: skip
                    for n in missing
                ],
                ignore_conflicts=True,
            )
        enrolled = set(
            Enrollment.objects.filter(year=self.year).values_list("student_id", flat=True)
        )
        profiles = list(
            StudentProfile.objects.filter(school=self.school, admission_number__in=wanted)
            .order_by("admission_number")
            .select_related("user")
        )
        rows = []
        for index, profile in enumerate(profiles):
            if profile.pk not in enrolled:
                rows.append(
                    Enrollment(
                        school=self.school,
                        year=self.year,
                        student=profile,
                        section=self.sections[index // SECTION_SIZE],
                        roll_number=index % SECTION_SIZE + 1,
                    )  # fmt: skip
                )
        Enrollment.objects.bulk_create(rows, ignore_conflicts=True)
        self.students = [p.user for p in profiles[:-1]]
        self.side_student = profiles[-1].user
        return len(missing)

    def _quiz(self, now):
        from datetime import timedelta
        from decimal import Decimal

        from apps.quizzes import question_bank
        from apps.quizzes.demo import bank_items
        from apps.quizzes.models import ReleasePolicy
        from apps.quizzes.services import quiz_create, quiz_publish

        items = list(
            bank_items({"MATH": self.subject}, {9: self.school_class}, random.Random(time.time()))
        )
        # Class 9 and 10 blocks of the Mathematics generator: 15 + 5 questions, every type.
        chosen = items[8 * 15 : 9 * 15] + items[9 * 15 : 9 * 15 + 5]
        for item in chosen:
            item["class_id"] = str(self.school_class.pk)
        created = question_bank.create_many(self.school.pk, chosen, author_id=self.teacher.pk)
        self.kinds = Counter(q["type"] for q in created)
        quiz = quiz_create(
            actor=self.teacher,
            school=self.school,
            sections=self.sections,
            title=f"Bench quiz {time.strftime('%Y-%m-%d %H:%M:%S')}",
            subject=self.subject,
            opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(days=1),
            duration_minutes=60,
            shuffle_questions=True,
            shuffle_options=True,
            questions=[{"question": q["id"], "marks": "1"} for q in created],
            negative_marking=Decimal("0.25"),
            release_policy=ReleasePolicy.AFTER_CLOSE,
        )
        return quiz_publish(actor=self.teacher, quiz=quiz)


def answers_body(paper: list[dict], rng: random.Random) -> str:
    picked = rng.sample(paper, rng.randint(1, min(3, len(paper))))
    return json.dumps(
        {
            "answers": [
                {"question": q["question"], "answer": random_answer(q["content"], rng)}
                for q in picked
            ]
        }
    )


# === side measurement =========================================================================
def side_queries(setup: Setup) -> None:
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import AccessToken

    from apps.quizzes import question_bank

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(setup.side_student)}")
    rng = random.Random(7)
    state: dict = {}

    def start():
        response = api.post(f"/api/v1/quizzes/{setup.quiz.pk}/attempts/")
        state["attempt"] = response.json()
        return response

    def save():
        body = answers_body(state["attempt"]["paper"], rng)
        return api.put(
            f"/api/v1/attempts/{state['attempt']['id']}/answers/", body,
            content_type="application/json",
        )  # fmt: skip

    steps = [
        ("POST start attempt", start),
        ("GET attempt (paper + saved answers)", lambda: api.get(f"/api/v1/attempts/{state['attempt']['id']}/")),
        ("PUT answers (1-3)", save),
        ("PUT answers again", save),
        ("GET attempt again", lambda: api.get(f"/api/v1/attempts/{state['attempt']['id']}/")),
        ("POST submit (grades 20 questions)", lambda: api.post(f"/api/v1/attempts/{state['attempt']['id']}/submit/")),
    ]  # fmt: skip
    say("\nside measurement: one request each, in-process test client, after publishing:")
    say(f"  {'request':<40} {'status':>6} {'Mongo':>6} {'SQL':>5} {'Redis':>6} {'ms':>7}")
    try:
        api.get("/api/v1/quizzes/")  # warm-up: URLconf, translations, connections
        for label, call in steps:
            MONGO_COMMANDS.count, MONGO_COMMANDS.active = 0, True
            try:
                with CaptureQueriesContext(connection) as queries, redis_round_trips() as calls:
                    t0 = time.perf_counter()
                    response = call()
                    ms = (time.perf_counter() - t0) * 1000
            finally:
                MONGO_COMMANDS.active = False
            say(
                f"  {label:<40} {response.status_code:>6} {MONGO_COMMANDS.count:>6} "
                f"{len(queries):>5} {len(calls):>6} {ms:>7.1f}"
            )
        MONGO_COMMANDS.count, MONGO_COMMANDS.active = 0, True
        question_bank.list_questions(setup.school.pk, limit=5)
        MONGO_COMMANDS.active = False
        say(
            f"  control: question_bank.list_questions = {MONGO_COMMANDS.count} Mongo commands "
            f"({dict(MONGO_COMMANDS.names)}), so the counter counts"
        )
    finally:
        delete_keys(buffer.get_client(), f"{PREFIX}:*")


# === the load =================================================================================
def web_env(port: int, args) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "schools24.settings.production",
            "SECRET_KEY": SECRET,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": DB_URL,
            "REDIS_URL": REDIS_URL,
            "MONGODB_URI": MONGO_URI,
            "MONGODB_DATABASE": MONGO_DB,
            "CELERY_BROKER_URL": REDIS_URL,
            "CELERY_RESULT_BACKEND": REDIS_URL,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "CACHE_KEY_PREFIX": f"bench-quiz-{os.getpid()}",
            "THROTTLE_USER": "10000000/min",
            "BIND": f"127.0.0.1:{port}",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("JWT_SECRET", None)
    if args.web_workers:
        env["WEB_CONCURRENCY"] = str(args.web_workers)
    return env


CONNECTION_ERRORS = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
STOP = threading.Event()


class Client(threading.Thread):
    """Takes (student, token, submits?) from the queue and runs one attempt each."""

    def __init__(self, index, port, quiz_id, work: queue.Queue, saves: int):
        super().__init__(daemon=True, name=f"client-{index}")
        self.port, self.quiz_id, self.work, self.saves = port, quiz_id, work, saves
        self.rng = random.Random(index)
        self.latencies: dict[str, list[float]] = {"start": [], "save": [], "submit": []}
        self.errors: Counter = Counter()
        self.reconnects = 0
        self.conn = None
        self.attempts: list[str] = []

    def _once(self, method, path, body, token):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        if response.will_close:
            self.conn.close()
            self.conn = None
        return response.status, data

    def call(self, kind, method, path, body, token, ok=(200,)):
        t0 = time.perf_counter()
        try:
            try:
                status, data = self._once(method, path, body, token)
            except CONNECTION_ERRORS:  # keep-alive closed by the server (worker recycled)
                self.conn = None
                self.reconnects += 1
                status, data = self._once(method, path, body, token)
        except Exception as exc:  # noqa: BLE001 - count it, go on
            self.errors[f"{kind}: {exc.__class__.__name__}"] += 1
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return None
        self.latencies[kind].append(time.perf_counter() - t0)
        if status not in ok:
            self.errors[f"{kind}: HTTP {status}"] += 1
            return None
        return json.loads(data)

    def run(self):
        while not STOP.is_set():
            try:
                token, submits = self.work.get_nowait()
            except queue.Empty:
                break
            attempt = self.call(
                "start",
                "POST",
                f"/api/v1/quizzes/{self.quiz_id}/attempts/",
                None,
                token,
                (200, 201),
            )
            if attempt is None:
                continue
            self.attempts.append(attempt["id"])
            for _ in range(self.saves):
                body = answers_body(attempt["paper"], self.rng)
                self.call("save", "PUT", f"/api/v1/attempts/{attempt['id']}/answers/", body, token)
            if submits:
                self.call(
                    "submit", "POST", f"/api/v1/attempts/{attempt['id']}/submit/", None, token
                )
        if self.conn is not None:
            self.conn.close()


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, round(p / 100 * len(values)) - 1))] * 1000


def run_load(setup: Setup, port: int, args) -> tuple[list[str], float]:
    from datetime import timedelta

    from rest_framework_simplejwt.tokens import AccessToken

    t0 = time.perf_counter()
    tokens = []
    for user in setup.students:
        token = AccessToken.for_user(user)
        token.set_exp(lifetime=timedelta(hours=3))
        tokens.append(str(token))
    say(f"minted {len(tokens):,} access tokens in {time.perf_counter() - t0:.2f} s")
    rng = random.Random(1)
    abandon = set(rng.sample(range(len(tokens)), round(args.abandon * len(tokens))))
    work: queue.Queue = queue.Queue()
    for index, token in enumerate(tokens):
        work.put((token, index not in abandon))
    clients = [Client(i, port, setup.quiz.pk, work, args.saves) for i in range(args.concurrency)]
    started = time.perf_counter()
    for c in clients:
        c.start()
    for c in clients:
        c.join()
    elapsed = time.perf_counter() - started
    say(
        f"\n{len(tokens):,} students, {args.concurrency} client threads, {args.saves} autosaves "
        f"each, {len(abandon)} never submit: {elapsed:.1f} s wall"
    )
    say(
        f"  {'request':<26} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} "
        f"{'p99 ms':>8} {'max ms':>8}"
    )
    for kind, label in (("start", "POST start attempt"), ("save", "PUT answers (1-3)"),
                        ("submit", "POST submit (grade 20)")):  # fmt: skip
        values = sorted(x for c in clients for x in c.latencies[kind])
        say(
            f"  {label:<26} {len(values):>8,} {len(values) / elapsed:>8,.1f} {pct(values, 50):>8.1f} "
            f"{pct(values, 90):>8.1f} {pct(values, 99):>8.1f} "
            f"{(values[-1] * 1000 if values else float('nan')):>8.1f}"
        )
    total = sum(len(c.latencies[k]) for c in clients for k in c.latencies)
    say(f"  all requests: {total:,} in {elapsed:.1f} s = {total / elapsed:,.1f} req/s")
    errors = sum((c.errors for c in clients), Counter())
    reconnects = sum(c.reconnects for c in clients)
    say(f"  errors: {sum(errors.values())} {dict(errors) if errors else ''}"
        + (f" ({reconnects} keep-alive reconnects)" if reconnects else ""))  # fmt: skip
    return [a for c in clients for a in c.attempts], elapsed


def after_load(setup: Setup, attempt_ids: list[str]) -> None:
    from datetime import timedelta

    from django.db.models import Count, Q
    from django.utils import timezone

    from apps.quizzes.models import Attempt, AttemptAnswer, AttemptStatus
    from apps.quizzes.services import attempts_submit_expired

    pending = Attempt.objects.filter(quiz=setup.quiz, status=AttemptStatus.IN_PROGRESS)
    left = pending.count()
    pending.update(deadline=timezone.now() - timedelta(seconds=1))
    t0 = time.perf_counter()
    done = 0
    while True:
        batch = attempts_submit_expired(limit=500)
        done += batch
        if batch == 0:
            break
    elapsed = time.perf_counter() - t0
    say(
        f"\nauto-submit (attempts_submit_expired, answers still pending in the buffer): {done} of "
        f"{left} attempts graded in {elapsed:.2f} s"
        + (f" = {elapsed / done * 1000:.1f} ms each" if done else "")
    )
    t0 = time.perf_counter()
    result = buffer.flush("quiz_answer")
    say(
        f"buffer flush of the autosaved answers: {result.records:,} records, {result.written:,} "
        f"written in {time.perf_counter() - t0:.2f} s (answers graded at submit were already in "
        "Postgres with the same time: the flush changes nothing for them)"
    )
    summary = Attempt.objects.filter(quiz=setup.quiz).aggregate(
        attempts=Count("id"),
        submitted=Count("id", filter=Q(status=AttemptStatus.SUBMITTED)),
        graded=Count("id", filter=Q(score__isnull=False)),
        auto=Count("id", filter=Q(auto_submitted=True)),
    )
    answers = AttemptAnswer.objects.filter(attempt__quiz=setup.quiz)
    say(
        f"check: {summary['attempts']:,} attempts (in the load: {len(attempt_ids):,}), "
        f"{summary['submitted']:,} submitted, {summary['graded']:,} graded "
        f"({summary['auto']:,} automatically); {answers.count():,} answer rows, "
        f"{answers.filter(credit__isnull=True).count():,} ungraded"
    )


def celery_keys(client) -> set[bytes]:
    found = set()
    for pattern in ("_kombu.*", "unacked*", "notifications", "default", "buffer", "celery*"):
        found.update(client.scan_iter(pattern, count=1000))
    return found


def part_load(setup: Setup, args) -> None:
    client = buffer.get_client()
    found = next(client.scan_iter(f"{WEB_PREFIX}:*", count=1000), None)
    if found is not None:
        raise SystemExit(
            f"{REDIS_URL} already holds {found!r}: another process uses the default buffer "
            "prefix there; give this run a Redis database of its own (REDIS_URL)"
        )
    celery_before = celery_keys(client)
    port = free_port()
    server = GunicornServer(web_env(port, args), port, keep_log=args.keep_log)
    attempt_ids: list[str] = []
    try:
        server.wait_ready()
        say(f"\ngunicorn on 127.0.0.1:{server.port} (production settings)")
        attempt_ids, _ = run_load(setup, server.port, args)
        errors_5xx = sum('"status":5' in ln for ln in server.tail(1_000_000))
        if errors_5xx:
            say(f"  gunicorn access log: {errors_5xx} responses with status 5xx")
    finally:
        STOP.set()
        server.stop()
        settings.BATCH_PROCESSOR_KEY_PREFIX = WEB_PREFIX  # gunicorn's buffered answers
        try:
            after_load(setup, attempt_ids)
        finally:
            settings.BATCH_PROCESSOR_KEY_PREFIX = PREFIX
            delete_keys(client, f"{WEB_PREFIX}:*")
            delete_keys(client, f"bench-quiz-{os.getpid()}:*")
            new_celery = celery_keys(client) - celery_before  # flush tasks gunicorn enqueued
            if new_celery:
                client.unlink(*new_celery)


def main() -> None:
    signal.signal(signal.SIGTERM, terminated)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        say(f"machine : {machine()}")
        say(f"versions: {versions()}")
        say(f"mongo   : {MONGO_KIND}, database {MONGO_DB}")
        t0 = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("ensure_mongo", verbosity=0, stdout=io.StringIO())
        say(
            f"database: {ARGS.db} ({DB_STATE}, migrated in {time.perf_counter() - t0:.1f} s); "
            f"Redis {REDIS_URL}; {'quick' if ARGS.quick else 'full'} run"
        )
        setup = Setup(ARGS.students)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        side_queries(setup)
        part_load(setup, ARGS)
        say(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        stop_process(MONGO_PROCESS)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        say("\ninterrupted")
        sys.exit(130)
