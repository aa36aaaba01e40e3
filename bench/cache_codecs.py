#!/usr/bin/env python
"""Benchmark the cache codecs (none, snappy, lz4, zstd) on a realistic school dashboard.

    python bench/cache_codecs.py [--rounds 300] [--students 1000]

Uses DJANGO_SETTINGS_MODULE (schools24.settings.test if unset) and the Redis named by REDIS_URL
(REDIS_HOST/PORT/DB otherwise). For each codec it prints the stored size and compression ratio,
the median microseconds to encode and decode the pickled payload (codec only), and the median
microseconds of a Django cache set and get round-trip against the real Redis (pickle + codec +
network + Redis). Keys live under the prefix "bench" and are deleted at the end.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import pickle
import platform
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schools24.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django_redis.cache import RedisCache  # noqa: E402

from apps.core.codecs import Codec  # noqa: E402

CODECS = ["none", "snappy", "lz4", "zstd"]

FIRST = (
    "Aarav Vivaan Aditya Vihaan Arjun Sai Reyansh Krishna Ishaan Shaurya Ananya Diya Saanvi "
    "Aadhya Pari Anika Navya Myra Sara Ira Kavya Riya Meera Tara Zoya Kabir Rohan Aryan Dev Nikhil"
).split()
LAST = (
    "Sharma Verma Iyer Nair Reddy Rao Patel Shah Gupta Singh Kumar Das Menon Pillai Joshi "
    "Kulkarni Desai Mehta Chopra Bose Banerjee Mukherjee Naidu Hegde Shetty Kapoor Malhotra Khan"
).split()
SUBJECTS = ["English", "Hindi", "Mathematics", "Science", "Social Studies", "Computer Science"]
CLASSES = [f"{grade}{section}" for grade in range(1, 11) for section in "ABCD"]


def dashboard(students: int = 1000, seed: int = 24) -> dict:
    """The admin dashboard of one school, as the cache would hold it (~40 sections)."""
    rng = random.Random(seed)
    today = date(2025, 11, 14)

    def pct() -> float:
        return round(rng.uniform(78, 99), 1)

    rows = []
    for i in range(students):
        klass = CLASSES[i % len(CLASSES)]
        marks = {subject: rng.randint(35, 100) for subject in SUBJECTS}
        fee_due = rng.choice([0, 0, 0, 0, 4500, 9000, 13500])
        rows.append(
            {
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "admission_number": f"DPS/2025/{1000 + i:05d}",
                "roll_number": i // len(CLASSES) + 1,
                "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "class": klass[:-1],
                "section": klass[-1],
                "attendance_pct": pct(),
                "marks": marks,
                "average": round(sum(marks.values()) / len(marks), 1),
                "fee_status": "paid" if fee_due == 0 else rng.choice(["due", "overdue"]),
                "fee_due": fee_due,
                "transport_route": rng.choice([None, "R1", "R2", "R3", "R4", "R5"]),
                "guardian_phone": f"+91 9{rng.randint(100000000, 999999999)}",
            }
        )

    sections: dict = {
        "school": {
            "id": "3f6c1a2e-9b7d-4c11-8f0a-2d5e6b7c8d90",
            "name": "Delhi Public School, Bengaluru East",
            "code": "dps-blr-east",
            "academic_year": "2025-26",
            "generated_at": "2025-11-14T08:30:00+05:30",
        },
        "totals": {"students": students, "teachers": 64, "staff": 22, "classes": len(CLASSES)},
        "attendance_today": {"present": pct(), "absent": 3.1, "late": 1.4, "on_leave": 0.9},
        "attendance_by_class": {c: {"present_pct": pct(), "marked": True} for c in CLASSES},
        "attendance_trend_30d": [
            {"date": (today - timedelta(days=d)).isoformat(), "present_pct": pct()}
            for d in range(30)
        ],
        "teacher_attendance": {"present": 61, "absent": 2, "on_leave": 1},
        "fees": {
            "collected": 18_450_000,
            "outstanding": 2_315_500,
            "overdue_students": sum(r["fee_status"] == "overdue" for r in rows),
            "by_month": {f"2025-{m:02d}": rng.randint(900_000, 2_400_000) for m in range(4, 12)},
        },
        "fee_defaulters_top20": sorted(rows, key=lambda r: -r["fee_due"])[:20],
        "exam_summary": {
            s: {"average": round(rng.uniform(55, 82), 1), "pass_pct": pct()} for s in SUBJECTS
        },
        "class_performance": {
            c: {s: round(rng.uniform(50, 90), 1) for s in SUBJECTS} for c in CLASSES
        },
        "top_performers": sorted(rows, key=lambda r: -r["average"])[:10],
        "needs_attention": [r["id"] for r in rows if r["average"] < 55][:50],
        "homework": {"assigned_week": 148, "submitted_pct": pct(), "late_pct": 6.2},
        "quizzes": {"published": 37, "attempts_week": 2280, "average_score": 71.4},
        "transport": {
            f"R{n}": {"students": rng.randint(30, 60), "on_time_pct": pct()} for n in range(1, 6)
        },
        "library": {"issued": 412, "overdue": 37, "new_arrivals": 25},
        "inventory_alerts": [{"item": "A4 paper", "left": 12}, {"item": "Chalk", "left": 40}],
        "announcements": [
            {"title": f"Notice {n}", "body": "Parent-teacher meeting on Saturday, 10 am."}
            for n in range(8)
        ],
        "events": [
            {"date": (today + timedelta(days=d)).isoformat(), "title": "Inter-house sports"}
            for d in range(0, 28, 4)
        ],
        "birthdays_today": [r["name"] for r in rows[:6]],
        "students": rows,
    }
    # Pad to ~40 sections with the smaller widgets a dashboard shows.
    for n in range(40 - len(sections)):
        sections[f"widget_{n:02d}"] = {"value": rng.randint(0, 1000), "trend": pct()}
    return sections


def run(rounds: int, value: dict, warmup: int = 10) -> list[dict]:
    """Median microseconds per operation and codec.

    Rounds are interleaved (every codec once per round, in a shuffled order) so that load from
    elsewhere on the machine falls on all codecs alike instead of on whichever ran last.
    """
    pickled = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    setups = {}
    for name in CODECS:
        codec = Codec("snappy", enabled=False) if name == "none" else Codec(name, enabled=True)
        encoded = codec.encode(pickled)
        assert Codec.decode(encoded) == pickled
        cache, key = bench_cache(name), f"dashboard-{name}"
        cache.set(key, value)
        assert cache.get(key) == value
        setups[name] = {
            "codec": codec,
            "encoded": encoded,
            "ops": {
                "encode_us": lambda c=codec: c.encode(pickled),
                "decode_us": lambda e=encoded: Codec.decode(e),
                "set_us": lambda c=cache, k=key: c.set(k, value),
                "get_us": lambda c=cache, k=key: c.get(k),
            },
            "cleanup": lambda c=cache, k=key: c.delete(k),
        }
    samples: dict[tuple[str, str], list[int]] = {}
    order = list(CODECS)
    shuffle = random.Random(7).shuffle
    for round_number in range(warmup + rounds):
        shuffle(order)
        for name in order:
            for op, fn in setups[name]["ops"].items():
                started = time.perf_counter_ns()
                fn()
                elapsed = time.perf_counter_ns() - started
                if round_number >= warmup:
                    samples.setdefault((name, op), []).append(elapsed)
    results = []
    for name in CODECS:
        setups[name]["cleanup"]()
        stored = len(setups[name]["encoded"])
        row = {"codec": name, "stored": stored, "ratio": len(pickled) / stored}
        for op in setups[name]["ops"]:
            row[op] = statistics.median(samples[(name, op)]) / 1000
        results.append(row)
    return results


def median_us(fn: Callable[[], object], rounds: int, warmup: int = 10) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - started)
    return statistics.median(samples) / 1000


def bench_cache(algorithm: str) -> RedisCache:
    params = dict(settings.CACHES["default"])
    options = dict(params["OPTIONS"])
    options["COMPRESSOR"] = "apps.core.codecs.CacheCompressor"
    if algorithm == "none":
        options["COMPRESSION_ENABLED"] = False
    else:
        options.update(COMPRESSION_ENABLED=True, COMPRESSION_ALGORITHM=algorithm)
    params.update(OPTIONS=options, KEY_PREFIX="bench")
    return RedisCache(params["LOCATION"], params)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300, help="timed runs per figure (median)")
    parser.add_argument("--students", type=int, default=1000, help="student rows in the payload")
    args = parser.parse_args()

    location = settings.CACHES["default"]["LOCATION"]
    try:
        bench_cache("none").get("ping")
    except Exception as exc:  # noqa: BLE001
        print(f"Redis at {location} is not reachable: {exc}", file=sys.stderr)
        return 2

    value = dashboard(args.students)
    pickled = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    pickle_us = median_us(lambda: pickle.dumps(value, pickle.HIGHEST_PROTOCOL), args.rounds)
    unpickle_us = median_us(lambda: pickle.loads(pickled), args.rounds)
    results = run(args.rounds, value)

    print(f"Payload: school dashboard, {len(value)} sections, {args.students} student rows")
    print(
        f"Pickled: {len(pickled):,} bytes "
        f"(pickle {pickle_us:,.0f} us, unpickle {unpickle_us:,.0f} us)"
    )
    print(f"Redis:   {location.rsplit('@', 1)[-1]}   median of {args.rounds} runs")
    print(
        f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    print()
    header = (
        f"{'codec':<8}{'stored B':>11}{'ratio':>8}{'encode us':>11}{'decode us':>11}"
        f"{'cache set us':>14}{'cache get us':>14}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r['codec']:<8}{r['stored']:>11,}{r['ratio']:>7.2f}x{r['encode_us']:>11,.0f}"
            f"{r['decode_us']:>11,.0f}{r['set_us']:>14,.0f}{r['get_us']:>14,.0f}"
        )
    print()
    print("encode/decode: the codec alone on the pickled bytes.")
    print("cache set/get: django-redis round-trip (pickle + codec + network + Redis).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
