"""Bus pings: fixes per second through the API for 200 buses reporting every 5 s, beside a raw
Redis pipeline of the same writes, and the parent's position read (no SQL, asserted).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ REDIS_URL=redis://127.0.0.1:6379/5 \
        .venv/bin/python bench/transport_pings.py [--buses 200] [--rounds 5] [--fresh]

In-process: Django's test client calls the real URL, middleware, device-token authentication,
validation and `pings_record` (no gunicorn, no network), in a scratch database on
DATABASE_URL's server (`--db`, default schools24_bench_transport; created and migrated when
missing). 200 buses each post `--rounds` fixes (one per request, as a device every 5 s would);
then the same writes (position hash, geo set, history list) are made with one raw Redis pipeline
per fix. Needed: 200 buses / 5 s = 40 fixes/s. Then a parent's position read is repeated with
Django's query counter on: it must run no SQL once the scope is cached. The buffered pings are
flushed to the partitioned history and timed too. Redis keys of the run are removed at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ensure_database, machine, say, scratch_url  # noqa: E402

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/"
DEFAULT_REDIS = "redis://127.0.0.1:6379/5"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="schools24_bench_transport")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--buses", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reads", type=int, default=1000)
    args = parser.parse_args()
    if "bench" not in args.db or not re.fullmatch(r"[a-z0-9_]+", args.db):
        parser.error("--db must be a lower-case name containing 'bench' (it may be dropped)")
    return args


def setup_django(db_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS)
    os.environ.setdefault("MONGODB_URI", "mongodb://127.0.0.1:1")
    os.environ["DJANGO_SETTINGS_MODULE"] = "schools24.settings.test"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fleet(buses: int):
    """A bench school with `buses` running trips, a device token each, and a parent whose
    child rides the first."""
    from django.utils import timezone

    from apps.academics.models import AcademicYear
    from apps.accounts.models import Guardian, Role, School, StudentProfile, User
    from apps.transport import live, services
    from apps.transport.models import Assignment, CrewMember, Route, Stop, Trip, TripStop, Vehicle
    from apps.transport.services.trips import run_state

    school, _ = School.objects.get_or_create(code="bench-transport",
                                             defaults={"name": "Bench Transport School"})  # fmt: skip
    Trip.objects.filter(school=school).update(is_active=True)
    today = timezone.localdate()
    far = today + dt.timedelta(days=365)
    year, _ = AcademicYear.objects.get_or_create(
        school=school, name="Bench",
        defaults={"start_date": today - dt.timedelta(days=30), "end_date": far},
    )  # fmt: skip
    parent, _ = User.objects.get_or_create(email="parent@bench-transport.test", defaults={
        "school": school, "role": Role.PARENT, "full_name": "Bench Parent"})  # fmt: skip
    child_user, _ = User.objects.get_or_create(email="child@bench-transport.test", defaults={
        "school": school, "role": Role.STUDENT, "full_name": "Bench Child"})  # fmt: skip
    child, _ = StudentProfile.objects.get_or_create(user=child_user, defaults={
        "school": school, "admission_number": "B-1"})  # fmt: skip
    Guardian.objects.get_or_create(school=school, parent=parent, student=child)
    route, _ = Route.objects.get_or_create(school=school, code="B1", defaults={"name": "Bench"})
    stop, _ = Stop.objects.get_or_create(school=school, route=route, sequence=1, defaults={
        "name": "Bench stop", "latitude": "26.95", "longitude": "75.80"})  # fmt: skip
    tokens, trips = [], []
    from apps.transport.models import RunStatus, TripRun

    TripRun.objects.filter(school=school, status=RunStatus.RUNNING).update(status="ended")
    for n in range(buses):
        vehicle, _ = Vehicle.objects.get_or_create(school=school, registration_number=f"BN {n:04d}",
            defaults={"seats": 40, "fitness_expiry": far, "insurance_expiry": far,
                      "permit_expiry": far, "pollution_expiry": far})  # fmt: skip
        driver, _ = CrewMember.objects.get_or_create(school=school, name=f"Driver {n}", defaults={
            "role": "driver", "licence_number": f"L{n}", "licence_expiry": far})  # fmt: skip
        attendant, _ = CrewMember.objects.get_or_create(school=school, name=f"Att {n}",
                                                        defaults={"role": "attendant"})  # fmt: skip
        trip, made = Trip.objects.get_or_create(school=school, name=f"Bench {n}", defaults={
            "route": route, "shift": "pickup", "vehicle": vehicle, "driver": driver,
            "attendant": attendant})  # fmt: skip
        if made:
            TripStop.objects.create(school=school, trip=trip, stop=stop, sequence=1,
                                    scheduled_time=dt.time(7, 0))  # fmt: skip
        run = services.run_start(trip=trip, actor=None)
        live.run_put(run_state(run))
        _device, token = services.device_create(school=school, actor=None, vehicle=vehicle,
                                                name=f"bench {time.time()}")  # fmt: skip
        tokens.append(token)
        trips.append(trip)
    Assignment.objects.filter(student=child).delete()
    Assignment.objects.create(school=school, student=child, year=year, trip=trips[0],
                              shift="pickup", stop=stop, valid_from=today - dt.timedelta(days=1),
                              valid_to=far)  # fmt: skip
    return parent, tokens, trips


def main() -> None:
    args = parse_args()
    server = os.environ.get("DATABASE_URL", DEFAULT_SERVER)
    state = ensure_database(server, args.db, args.fresh)
    say(f"database {args.db}: {state}")
    setup_django(scratch_url(server, args.db))

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import resolve
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import RefreshToken

    from apps.transport import history, live

    parent, tokens, trips = fleet(args.buses)
    clients = [Client(HTTP_AUTHORIZATION=f"Device {t}") for t in tokens]
    say(f"{args.buses} buses running; {args.rounds} fixes each, one request per fix")

    # The URLconf is imported by the first request of a process (about 2 s: every app's API
    # modules); a web worker pays that once at boot, so the timed loop does not.
    resolve("/api/v1/transport/pings/")
    base = timezone.now() - dt.timedelta(seconds=args.rounds + 5)
    statuses: dict[int, int] = {}
    profiler = None
    if os.environ.get("BENCH_PROFILE"):
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    t0 = time.perf_counter()
    for r in range(args.rounds):
        for n, client in enumerate(clients):
            body = {"lat": 26.9 + n * 1e-4, "lon": 75.8 + r * 1e-4, "speed_kmh": 30,
                    "heading": 90, "accuracy_m": 8,
                    "fix_time": (base + dt.timedelta(seconds=r + n * 1e-4)).isoformat()}  # fmt: skip
            response = client.post("/api/v1/transport/pings/", json.dumps(body),
                                   content_type="application/json")  # fmt: skip
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    api_seconds = time.perf_counter() - t0
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    total = args.buses * args.rounds
    say(f"API: {total} fixes in {api_seconds:.2f} s = {total / api_seconds:.0f} fixes/s "
        f"(needed {args.buses / 5:.0f}/s); statuses {statuses}")  # fmt: skip

    r = live.redis()
    t0 = time.perf_counter()
    for n in range(total):
        pipe = r.pipeline(transaction=False)
        name = live.key(f"bench:pos:{n % args.buses}")
        pipe.hset(name, mapping={"lat": 26.9, "lon": 75.8, "speed": 30, "fix": time.time()})
        pipe.geoadd(live.key("bench:geo"), (75.8, 26.9, str(n % args.buses)))
        pipe.rpush(live.key("bench:pings"), json.dumps({"n": n, "lat": 26.9, "lon": 75.8}))
        pipe.execute()
    raw_seconds = time.perf_counter() - t0
    say(f"raw Redis pipeline (HSET + GEOADD + RPUSH per fix): {total / raw_seconds:.0f} fixes/s")
    for n in range(args.buses):
        r.delete(live.key(f"bench:pos:{n}"))
    r.delete(live.key("bench:geo"), live.key("bench:pings"))

    t0 = time.perf_counter()
    written = history.flush()
    say(f"history flush: {written} pings in {time.perf_counter() - t0:.2f} s (batched INSERT)")

    token = RefreshToken.for_user(parent).access_token
    reader = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    url = f"/api/v1/transport/trips/{trips[0].pk}/position/"
    assert reader.get(url).status_code == 200  # warms the principal and the scope cache
    with CaptureQueriesContext(connection) as queries:
        t0 = time.perf_counter()
        for _ in range(args.reads):
            response = reader.get(url)
        read_seconds = time.perf_counter() - t0
    assert response.status_code == 200 and response.json()["position"] is not None
    assert len(queries) == 0, f"the position read ran SQL: {[q['sql'] for q in queries][:3]}"
    say(f"parent's position read: {args.reads / read_seconds:.0f} reads/s, 0 SQL queries")

    from apps.transport.models import TripRun

    for run in TripRun.objects.filter(trip__in=trips, status="running"):
        live.run_forget(run_id=run.pk, trip_id=run.trip_id, vehicle_id=run.vehicle_id,
                        school_id=run.school_id)  # fmt: skip
    TripRun.objects.filter(trip__in=trips, status="running").update(status="ended")
    say(machine())


if __name__ == "__main__":
    main()
