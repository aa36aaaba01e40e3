"""A school day under load: Locust against the demo school served by gunicorn.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ REDIS_URL=redis://127.0.0.1:6379/12 \
        .venv/bin/python bench/schoolday.py [--scale 1.0] [--minutes 3] [--web-workers 2]

Needs Locust (`pip install -r bench/requirements.txt`). Uses the scratch database of
bench/hotpaths.py (`schools24_bench_hot`: migrated and seeded with `seed_demo --force` when
missing) and starts gunicorn the same way (production settings, deploy/gunicorn.conf.py, no
access log). Before the run, one quiz of the demo bank's questions is published for classes 5-12
(24 sections, 960 students) and opened now.

The crowd (bench/schoolday_locust.py), all at once at 9 am, times `--scale`:
- 36 class teachers marking their sections (a few absent, late-comers re-marked), reading the
  day and the not-taken list;
- 960 students in the quiz: sign in, start, autosave every 4-12 s, submit after 12 saves;
- 100 parents reading a child's attendance, summary, quizzes and inbox every 10-30 s;
- 4 staff browsing the admin (students, attendance, quizzes).
Prints p50/p95/p99, requests/s and failures per endpoint (from Locust's CSV) as a table.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    GunicornServer,
    ensure_database,
    free_port,
    machine,
    say,
    scratch_url,
    start_mongo,
    stop_process,
)
from hotpaths import DEFAULT_REDIS, DEFAULT_SERVER, manage, product_env  # noqa: E402

FIXTURE_SCRIPT = """
import datetime as dt, json, random
from django.utils import timezone
from apps.academics.models import Enrollment, Section
from apps.accounts.models import Guardian, User
from apps.attendance import selectors, services
from apps.calendar.selectors import is_holiday
from apps.quizzes.models import Quiz, QuizStatus
from apps.quizzes.services import quiz_create, quiz_publish

admin = User.objects.get(email="admin@demo.schools24.test")
school = admin.school
sections = list(Section.objects.filter(school=school, year__is_current=True)
                .select_related("school_class", "class_teacher__user", "year")
                .order_by("school_class__name", "name"))
roster = {}
for student_id, section_id in Enrollment.objects.filter(
        section__in=sections, year__is_current=True).values_list("student_id", "section_id"):
    roster.setdefault(str(section_id), []).append(str(student_id))
today = selectors.school_today(school)
date = None
for back in [0, *range(1, services.edit_window_days() + 1)]:
    day = today - dt.timedelta(days=back)
    if day.weekday() < 6 and not is_holiday(school=school, date=day):
        date = day
        break
teachers = [{"email": s.class_teacher.user.email, "section": str(s.pk), "students": roster[str(s.pk)]}
            for s in sections if s.class_teacher_id and roster.get(str(s.pk))]
quiz_sections = [s for s in sections if s.school_class.name in
                 {f"Class {n}" for n in range(5, 13)}]
demo = Quiz.objects.filter(school=school, status=QuizStatus.PUBLISHED).order_by("-opens_at").first()
# 20 fresh bank questions of every type (the bank may be a new in-memory one)
from apps.academics.models import SchoolClass
from apps.quizzes import question_bank
from apps.quizzes.demo import bank_items
nine = SchoolClass.objects.get(school=school, name="Class 9")
items = list(bank_items({"MATH": demo.subject}, {9: nine}, random.Random(9)))
chosen = items[8 * 15 : 9 * 15] + items[9 * 15 : 9 * 15 + 5]
for item in chosen:
    item["class_id"] = str(nine.pk)
ids = [q["id"] for q in question_bank.create_many(school.pk, chosen, author_id=admin.pk)]
now = timezone.now()
quiz = quiz_create(actor=admin, school=school, sections=quiz_sections,
                   title=f"School-day quiz {now:%Y-%m-%d %H:%M:%S}", subject=demo.subject,
                   opens_at=now - dt.timedelta(minutes=1), closes_at=now + dt.timedelta(hours=3),
                   duration_minutes=120, questions=[{"question": q, "marks": "1"} for q in ids])
quiz_publish(actor=admin, quiz=quiz)
quiz_students = {sid for s in quiz_sections for sid in roster.get(str(s.pk), [])}
students = list(User.objects.filter(student_profile__in=quiz_students)
                .order_by("email").values_list("email", flat=True))
parents = [{"email": e, "child": str(c)} for e, c in Guardian.objects.filter(
    school=school, parent__is_active=True).order_by("parent__email")
    .values_list("parent__email", "student_id")[:100]]
staff = ["admin@demo.schools24.test", "accountant@demo.schools24.test"]
print(json.dumps({"date": date.isoformat(), "quiz": str(quiz.pk), "teachers": teachers,
                  "students": students, "parents": parents, "staff": staff}))
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="schools24_bench_hot")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of every crowd")
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--spawn-rate", type=float, default=50.0, help="users started per second")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--keep-log", action="store_true")
    return parser.parse_args()


def scaled(items: list, scale: float, minimum: int = 1) -> list:
    return items[: max(minimum, math.ceil(len(items) * scale))]


def main() -> None:
    args = parse_args()
    server_url = os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS
    state = ensure_database(server_url, args.db, fresh=False)
    mongo, mongo_uri, mongo_kind = start_mongo()
    server = None
    try:
        port = free_port()
        env = product_env(
            scratch_url(server_url, args.db), redis_url, mongo_uri, port, args.web_workers
        )
        env["THROTTLE_LOGIN"] = "100000000/min"
        env["LOGIN_CLIENT_FAILURE_LIMIT"] = "100000"
        say(f"machine : {machine()}")
        say(f"mongo   : {mongo_kind}; database {args.db} ({state})")
        manage(env, "migrate", "--noinput")
        manage(env, "ensure_mongo")
        manage(env, "seed_demo", "--force")
        fixture = json.loads(manage(env, "shell", "-c", FIXTURE_SCRIPT).strip().splitlines()[-1])
        for crowd in ("teachers", "students", "parents"):
            fixture[crowd] = scaled(fixture[crowd], args.scale)
        fixture["staff"] = scaled(fixture["staff"], args.scale)
        users = sum(len(fixture[c]) for c in ("teachers", "students", "parents", "staff"))
        say(
            f"crowd   : {len(fixture['teachers'])} class teachers, {len(fixture['students'])} "
            f"quiz students, {len(fixture['parents'])} parents, {len(fixture['staff'])} staff "
            f"({users} users, {args.spawn_rate:g}/s), {args.minutes:g} min, date {fixture['date']}"
        )
        with tempfile.TemporaryDirectory(prefix="bench-schoolday-") as tmp:
            fixture_path = Path(tmp) / "fixture.json"
            fixture_path.write_text(json.dumps(fixture))
            server = GunicornServer(env, port, keep_log=args.keep_log, wsgi="bench.hello_wsgi")
            server.wait_ready()
            started = time.perf_counter()
            locust = subprocess.run(  # noqa: S603 - our own locustfile, fixed arguments
                [
                    str(Path(sys.executable).with_name("locust")),
                    "-f",
                    str(ROOT / "bench" / "schoolday_locust.py"),
                    "--headless",
                    "--only-summary",
                    "--host",
                    f"http://127.0.0.1:{port}",
                    "-u",
                    str(users),
                    "-r",
                    f"{args.spawn_rate:g}",
                    "-t",
                    f"{int(args.minutes * 60)}s",
                    "--csv",
                    str(Path(tmp) / "run"),
                    "--stop-timeout",
                    "10",
                ],
                cwd=ROOT,
                env={**os.environ, "SCHOOLDAY_FIXTURE": str(fixture_path)},
                capture_output=True,
                text=True,
                check=False,
            )
            elapsed = time.perf_counter() - started
            stats = list(csv.DictReader((Path(tmp) / "run_stats.csv").open()))
            failures = list(csv.DictReader((Path(tmp) / "run_failures.csv").open()))
        if locust.returncode not in (0, 1):  # 1: some requests failed, still a result
            say(locust.stdout[-3000:] + locust.stderr[-3000:])
            raise SystemExit(f"locust exited {locust.returncode}")
        say(f"\nran {elapsed:.0f} s; gunicorn {args.web_workers} sync workers\n")
        say("| endpoint | requests | failures | req/s | p50 ms | p95 ms | p99 ms |")
        say("|---|---|---|---|---|---|---|")
        for row in stats:
            say(
                f"| {row['Type']} {row['Name']} | {row['Request Count']} | "
                f"{row['Failure Count']} | {float(row['Requests/s']):.1f} | {row['50%']} | "
                f"{row['95%']} | {row['99%']} |"
            )
        if failures:
            say("\nfailures:")
            for row in failures[:20]:
                say(f"  {row['Occurrences']} x {row['Method']} {row['Name']}: {row['Error'][:160]}")
        say(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        if server:
            server.stop()
        stop_process(mongo)


if __name__ == "__main__":
    main()
