"""Exams: marks entry for a 40-student paper (its query count asserted constant in the number
of students), computing Term 1 results for the demo school, and generating report cards (cards
per second, beside rendering the same pages from ready data without any data access).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ .venv/bin/python bench/exams.py \
        [--students 1440] [--cards 1440] [--fresh] [--rounds 3]

Everything happens in a scratch database on DATABASE_URL's server (`--db`, default
schools24_bench_exams; created and migrated when missing, recreated with `--fresh`; the name
must contain "bench"). The demo school is seeded without quizzes and fees (apps/exams/demo.py seeds the
plans, Term 1 marks, results and 5-A's cards).

1. marks entry: the demo teacher posts 5-A Mathematics of the Term 2 annual exam through the API
   (JWT, the real view and service) for 20 and then 40 students; the SQL query counts must be
   equal (the run stops otherwise); median time of `--rounds` posts of 40;
2. results: `compute_run` for every class's Term 1 (as the background job runs it), timed, with
   its query count;
3. report cards: `cards_generate` for sections until `--cards` cards are made (every card
   rendered and stored, plus each section's combined PDF), cards/s; then the same cards'
   pages rendered from the already built data (`documents.render_cards`, no database, no
   storage), cards/s.
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
    parser.add_argument("--cards", type=int, default=1440)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", default="schools24_bench_exams")
    parser.add_argument("--fresh", action="store_true")
    return parser.parse_args()


def seed(students: int) -> None:
    from apps.demo import seed as demo_seed
    from apps.fees import demo as fees_demo
    from apps.quizzes import demo as quizzes_demo

    # Exams need people, academics and attendance; quizzes and fees only cost seeding time.
    quizzes_demo.seed_quizzes = lambda **kwargs: None
    fees_demo.seed_fees = lambda **kwargs: None
    t0 = time.perf_counter()
    demo_seed.seed_demo(students=students)
    say(f"seeded {students} students in {time.perf_counter() - t0:.1f} s")


def marks_entry(rounds: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    from apps.academics.models import Enrollment, Section, Subject
    from apps.accounts.models import User
    from apps.exams.models import Exam

    section = Section.objects.get(school__code="demo", school_class__name="Class 5", name="A",
                                  year__is_current=True)  # fmt: skip
    maths = Subject.objects.get(school__code="demo", code="MATH")
    exam = Exam.objects.get(plan_term__plan__school_class=section.school_class,
                            plan_term__plan__year=section.year, plan_term__order=1,
                            name="Annual exam")  # fmt: skip
    teacher = User.objects.get(email="teacher@demo.schools24.test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(teacher).access_token}")
    students = list(Enrollment.objects.filter(section=section).values_list("student_id", flat=True))

    def post(ids, value):
        return client.post("/api/v1/exams/marks/", {
            "exam": str(exam.pk), "section": str(section.pk), "subject": str(maths.pk),
            "entries": [{"student": str(s), "marks": value} for s in ids]}, format="json")  # fmt: skip

    post(students[:1], "10")  # warm: the signed-in principal is cached
    counts = {}
    for n in (len(students) // 2, len(students)):
        with CaptureQueriesContext(connection) as ctx:
            response = post(students[:n], f"{n % 50}.5")
        assert response.status_code == 200, response.content[:300]
        counts[n] = len(ctx.captured_queries)
    if len(set(counts.values())) != 1:
        raise SystemExit(f"marks entry queries grow with the students: {counts}")
    times = []
    for r in range(rounds):
        t0 = time.perf_counter()
        post(students, f"{40 + r}")
        times.append(time.perf_counter() - t0)
    say(f"marks entry, {len(students)} students: {statistics.median(times) * 1000:.0f} ms "
        f"(median of {rounds}), {counts[len(students)]} queries for {len(students)} and for "
        f"{len(students) // 2} students")  # fmt: skip


def results() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.exams import services
    from apps.exams.models import ResultRun, StudentResult

    runs = list(ResultRun.objects.filter(school__code="demo", plan_term__order=0).select_related(
        "plan_term__plan__scale", "plan_term__term", "plan_term__plan__year", "school"))  # fmt: skip
    ResultRun.objects.filter(pk__in=[r.pk for r in runs]).update(status="computed")
    with CaptureQueriesContext(connection) as ctx:
        t0 = time.perf_counter()
        for run in runs:
            run.status = "computed"
            services.compute_run(run)
        elapsed = time.perf_counter() - t0
    count = StudentResult.objects.filter(run__in=runs).count()
    ResultRun.objects.filter(pk__in=[r.pk for r in runs]).update(status="published")
    say(f"results: {len(runs)} classes, {count} students in {elapsed:.1f} s "
        f"({count / elapsed:.0f} students/s), {len(ctx.captured_queries)} queries")  # fmt: skip


def cards(limit: int) -> None:
    from apps.academics.models import Section
    from apps.exams import documents, services
    from apps.exams.models import ResultRun, StudentResult
    from apps.exams.services.cards import build_cards

    sections = Section.objects.filter(school__code="demo", year__is_current=True).order_by(
        "school_class__order", "name")  # fmt: skip
    made, built = 0, []
    t0 = time.perf_counter()
    for section in sections:
        if made >= limit:
            break
        run = ResultRun.objects.select_related("plan_term__term", "plan_term__plan__year",
                                               "school").get(
            plan_term__order=0, school_class_id=section.school_class_id)  # fmt: skip
        made += services.cards_generate(run=run, section=section)
        results = list(StudentResult.objects.filter(run=run, section=section).select_related(
            "student__user", "section__school_class"))  # fmt: skip
        built += build_cards(run, results)
    elapsed = time.perf_counter() - t0
    say(f"report cards: {made} generated and stored (with each section's combined PDF) in "
        f"{elapsed:.1f} s: {made / elapsed:.1f} cards/s")  # fmt: skip
    t0 = time.perf_counter()
    for card in built:
        documents.render_cards([card], "bilingual")
    bare = time.perf_counter() - t0
    say(f"rendering the same {len(built)} pages from ready data: {bare:.1f} s: "
        f"{len(built) / bare:.1f} cards/s ({elapsed / bare:.2f}x for data, storage and the "
        f"combined PDFs)")  # fmt: skip


def main() -> None:
    args = parse_args()
    django_on_scratch(
        args.db, args.fresh, ALLOWED_HOSTS=["*"], MEDIA_ROOT=str(ROOT / ".data" / "bench-media")
    )
    say(machine())
    seed(args.students)
    marks_entry(args.rounds)
    results()
    cards(args.cards)


if __name__ == "__main__":
    main()
