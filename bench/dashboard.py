"""Dashboards: each role's `GET /api/v1/dashboard/` cold (computed, `?fresh=1`) and warm (from
the cache) for the demo school, through the API in-process (APIClient, no server), and the size
of each cached payload compressed (as stored in Redis) and raw (pickled).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ REDIS_URL=redis://127.0.0.1:6379/7 \
        .venv/bin/python bench/dashboard.py [--students 1440] [--rounds 10] [--fresh]

Everything happens in a scratch database on DATABASE_URL's server (`--db`, default
schools24_bench_dashboard; created, migrated and seeded with the whole demo when missing,
recreated with `--fresh`; the name must contain "bench"). Prints, per role, the median cold and
warm time, their ratio (warm must be at least 10x faster) and the SQL queries of each.
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from common import django_on_scratch, machine, say  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schools24.settings.test")
PERSONAS = {
    "school admin": "admin@demo.schools24.test",
    "teacher": "teacher@demo.schools24.test",
    "parent": "parent@demo.schools24.test",
    "student": "student@demo.schools24.test",
    "accountant": "accountant@demo.schools24.test",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=1440)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--db", default="schools24_bench_dashboard")
    parser.add_argument("--fresh", action="store_true")
    return parser.parse_args()


def client(email: str):
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    from apps.accounts.models import User

    api = APIClient()
    token = RefreshToken.for_user(User.objects.get(email=email))
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token.access_token}")
    api.get("/api/v1/me/")  # the first request of a sign-in records the device
    return api


def timed(call) -> tuple[float, int, dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        t0 = time.perf_counter()
        response = call()
        elapsed = time.perf_counter() - t0
    assert response.status_code == 200, response.content[:300]
    return elapsed, len(ctx.captured_queries), response


def stored_sizes(user) -> tuple[int, int]:
    """(bytes in Redis, bytes pickled) of `user`'s cached dashboard."""
    from django.core.cache import cache
    from django.utils import translation
    from django_redis import get_redis_connection

    from apps.dashboard import cache as dashboard_cache

    key = dashboard_cache.payload_key(
        user.school_id, dashboard_cache.generation(user.school_id), user.role, user.pk,
        translation.get_language() or "",
    )  # fmt: skip
    raw = get_redis_connection("default").get(cache.make_key(key))
    return len(raw or b""), len(pickle.dumps(cache.get(key), pickle.HIGHEST_PROTOCOL))


def main() -> None:
    args = parse_args()
    django_on_scratch(args.db, args.fresh, ALLOWED_HOSTS=["testserver"])
    from apps.accounts.models import User
    from apps.demo import seed as demo_seed

    if not User.objects.filter(email=PERSONAS["school admin"]).exists():
        t0 = time.perf_counter()
        demo_seed.seed_demo(students=args.students)
        say(f"seeded the demo ({args.students} students) in {time.perf_counter() - t0:.1f} s")
    say(machine())
    say(f"{'role':<14}{'cold ms':>9}{'q':>4}{'warm ms':>9}{'q':>3}{'ratio':>8}"
        f"{'stored B':>10}{'raw B':>9}")  # fmt: skip
    for role, email in PERSONAS.items():
        api = client(email)
        user = User.objects.select_related("school").get(email=email)
        cold, warm = [], []
        for _ in range(args.rounds):
            elapsed, cold_q, _ = timed(
                lambda api=api: api.get("/api/v1/dashboard/", {"fresh": "1"})
            )
            cold.append(elapsed)
            elapsed, warm_q, _ = timed(lambda api=api: api.get("/api/v1/dashboard/"))
            warm.append(elapsed)
        c, w = statistics.median(cold) * 1000, statistics.median(warm) * 1000
        stored, raw = stored_sizes(user)
        say(f"{role:<14}{c:>9.1f}{cold_q:>4}{w:>9.2f}{warm_q:>3}{c / w:>7.1f}x"
            f"{stored:>10,}{raw:>9,}")  # fmt: skip


if __name__ == "__main__":
    main()
