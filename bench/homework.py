"""Homework: a section's homework list as a parent and as a student, and bulk grading of a
40-student section in one request, through the API in-process (APIClient, no server).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ REDIS_URL=redis://127.0.0.1:6379/7 \
        .venv/bin/python bench/homework.py [--students 1440] [--rounds 20] [--fresh]

Everything happens in a scratch database on DATABASE_URL's server (`--db`, default
schools24_bench_homework; created and migrated when missing, recreated with `--fresh`; the name
must contain "bench"). The demo school's people and classes are seeded with the demo homework
(apps/homework/demo.py: four weeks for 5-A in every subject, about 900 submissions and grades)
and nothing else of the demo. Each round times:
1. `GET /api/v1/homework/` as the demo parent (two children) and as the demo student;
2. `PUT /api/v1/homework/{id}/grades/` of every student of 5-A (40 by default) as the teacher
   who set the homework.
Prints the median and p95 of each with its SQL query count (which the tests hold constant).
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
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--db", default="schools24_bench_homework")
    parser.add_argument("--fresh", action="store_true")
    return parser.parse_args()


def seed(students: int) -> None:
    from apps.attendance import demo as attendance_demo
    from apps.calendar import demo as calendar_demo
    from apps.demo import seed as demo_seed
    from apps.fees import demo as fees_demo
    from apps.quizzes import demo as quizzes_demo

    for module, name in ((attendance_demo, "seed_attendance"), (quizzes_demo, "seed_quizzes"),
                         (calendar_demo, "seed_calendar"), (fees_demo, "seed_fees")):  # fmt: skip
        setattr(module, name, lambda **kwargs: None)
    t0 = time.perf_counter()
    demo_seed.seed_demo(students=students)
    say(f"seeded {students} students and the demo homework in {time.perf_counter() - t0:.1f} s")


def client(email: str):
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    from apps.accounts.models import User

    api = APIClient()
    token = RefreshToken.for_user(User.objects.get(email=email))
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token.access_token}")
    api.get("/api/v1/homework/")  # the first request of a sign-in records the device
    return api


def timed(call) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        t0 = time.perf_counter()
        response = call()
        elapsed = time.perf_counter() - t0
    assert response.status_code == 200, response.content[:300]
    return elapsed, len(ctx.captured_queries)


def report(name: str, runs: list[tuple[float, int]]) -> None:
    times = sorted(t for t, _ in runs)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    queries = {q for _, q in runs}
    say(f"{name:34s} median {statistics.median(times) * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms"
        f"  queries {sorted(queries)}")  # fmt: skip


def main() -> None:
    args = parse_args()
    django_on_scratch(args.db, args.fresh, ALLOWED_HOSTS=["testserver"])
    from apps.homework.models import Assignment

    if not Assignment.objects.exists():
        seed(args.students)
    parent = client("parent@demo.schools24.test")
    student = client("student@demo.schools24.test")
    homework = Assignment.objects.select_related("created_by").order_by("due_at").first()
    teacher = client(homework.created_by.email)
    sheet = teacher.get(f"/api/v1/homework/{homework.pk}/grades/").json()
    body = {"grades": [{"student": row["student"], "marks": "7", "comment": "ok"}
                       for row in sheet]}  # fmt: skip
    runs = {
        "list as parent": [],
        "list as student": [],
        f"bulk grading ({len(sheet)} students)": [],
    }
    for _ in range(args.rounds):
        runs["list as parent"].append(timed(lambda: parent.get("/api/v1/homework/")))
        runs["list as student"].append(timed(lambda: student.get("/api/v1/homework/")))
        runs[f"bulk grading ({len(sheet)} students)"].append(timed(
            lambda: teacher.put(f"/api/v1/homework/{homework.pk}/grades/", body, format="json")
        ))  # fmt: skip
    say()
    say(machine())
    say(f"homework {Assignment.objects.count()}, rounds {args.rounds}")
    for name, data in runs.items():
        report(name, data)


if __name__ == "__main__":
    main()
