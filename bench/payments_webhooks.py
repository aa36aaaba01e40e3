"""Payment webhooks: how fast the product acknowledges signed gateway deliveries under 16
concurrent senders, beside a raw bulk INSERT of the same event rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ REDIS_URL=redis://127.0.0.1:6379/5 \
        .venv/bin/python bench/payments_webhooks.py [--events 2000] [--concurrency 16] [--fresh]

Everything happens in a scratch database on DATABASE_URL's server (`--db`, default
schools24_bench_webhooks; created and migrated when missing, recreated with `--fresh`; the name
must contain "bench"). The events table is emptied first.

The server: gunicorn with deploy/gunicorn.conf.py, production settings, 2 sync workers (as
bench/hotpaths.py starts it), bench-only gateway secrets. The client: `--concurrency` threads
POST `--events` distinct Razorpay `payment.captured` deliveries to
/api/v1/payments/webhooks/razorpay/, each body made and signed by the adapter's own helpers
(`simulated_event_body`, `webhook_headers`), one connection per request (sync workers close it).
The deliveries name orders the database does not hold: the acknowledgement path is the same
(verify the signature, look the order up, store the event once, enqueue its processing after
commit; no Celery worker runs, the queued messages are removed at the end).
Then the rows stored are read back, the table emptied, and the same rows inserted again with one
multi-row INSERT (psycopg2 execute_values), timed. Prints p50/p95/p99 latency, requests/s, the
INSERT's rows/s and the machine's load average.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import statistics
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    GunicornServer,
    ensure_database,
    free_port,
    machine,
    say,
    scratch_url,
    terminated,
)
from hotpaths import manage, product_env  # noqa: E402

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/"
DEFAULT_REDIS = "redis://127.0.0.1:6379/5"
KEYS = {
    "RAZORPAY_KEY_ID": "rzp_test_bench",
    "RAZORPAY_KEY_SECRET": "bench-razorpay-key-secret",
    "RAZORPAY_WEBHOOK_SECRET": "bench-razorpay-webhook-secret",
    "STRIPE_SECRET_KEY": "sk_test_bench",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_bench",
    "STRIPE_WEBHOOK_SECRET": "whsec_bench",
}
PATH = "/api/v1/payments/webhooks/razorpay/"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="schools24_bench_webhooks")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--keep-log", action="store_true")
    args = parser.parse_args()
    if "bench" not in args.db or not re.fullmatch(r"[a-z0-9_]+", args.db):
        parser.error("--db must be a lower-case name containing 'bench' (it may be dropped)")
    return args


def deliveries(count: int) -> list[tuple[bytes, dict]]:
    from apps.payments.gateways import RazorpayGateway

    gateway = RazorpayGateway(key_id=KEYS["RAZORPAY_KEY_ID"],
                              key_secret=KEYS["RAZORPAY_KEY_SECRET"],
                              webhook_secrets=KEYS["RAZORPAY_WEBHOOK_SECRET"])  # fmt: skip
    run = f"{os.getpid()}-{int(time.time())}"
    out = []
    for n in range(count):
        event_id = f"evt_bench_{run}_{n}"
        body = gateway.simulated_event_body(
            "captured", order_id=f"order_bench_{run}_{n}", payment_id=f"pay_bench_{run}_{n}",
            amount=Decimal("1500.00"), event_id=event_id,
        )  # fmt: skip
        headers = {"Content-Type": "application/json",
                   **gateway.webhook_headers(body, event_id=event_id)}  # fmt: skip
        out.append((body, headers))
    return out


def send_all(port: int, items: list, concurrency: int) -> tuple[list[float], dict, float]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    cursor = iter(range(len(items)))

    def worker():
        while True:
            with lock:
                n = next(cursor, None)
            if n is None:
                return
            body, headers = items[n]
            t0 = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("POST", PATH, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except OSError:
                status = 0
            finally:
                conn.close()
            elapsed = time.perf_counter() - t0
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, statuses, time.perf_counter() - t0


def raw_insert() -> tuple[float, int]:
    from django.db import connection, transaction
    from psycopg2.extras import execute_values

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM payments_webhookevent")
        columns = [c.name for c in cursor.description]
        data = cursor.fetchall()
        cursor.execute("TRUNCATE payments_webhookevent")
    from psycopg2.extras import Json

    payload = columns.index("payload")
    data = [(*row[:payload], Json(row[payload]), *row[payload + 1 :]) for row in data]
    with transaction.atomic(), connection.cursor() as cursor:
        t0 = time.perf_counter()
        execute_values(
            cursor.cursor,
            f"INSERT INTO payments_webhookevent ({', '.join(columns)}) VALUES %s",  # noqa: S608
            data,
            page_size=max(len(data), 1),
        )
        elapsed = time.perf_counter() - t0
    return elapsed, len(data)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, terminated)
    server_url = os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS
    db_url = scratch_url(server_url, args.db)
    state = ensure_database(server_url, args.db, args.fresh)
    port = free_port()
    env = product_env(db_url, redis_url, "mongodb://127.0.0.1:1", port, args.web_workers)
    env.update(KEYS)
    server = None
    try:
        manage(env, "migrate", "--noinput")
        say(f"database: {args.db} ({state}), migrated")
        os.environ.update({"DJANGO_SETTINGS_MODULE": "schools24.settings.test",
                           "DATABASE_URL": db_url, "REDIS_URL": redis_url})  # fmt: skip
        import django

        django.setup()
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE payments_webhookevent")
        items = deliveries(args.events)
        server = GunicornServer(env, port, keep_log=args.keep_log)
        server.wait_ready()
        send_all(port, deliveries(32), min(args.concurrency, 8))  # warm-up
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE payments_webhookevent")
        latencies, statuses, wall = send_all(port, items, args.concurrency)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM payments_webhookevent")
            stored = cursor.fetchone()[0]
    finally:
        if server is not None:
            server.stop()
        try:
            import redis

            redis.Redis.from_url(redis_url).delete("celery")  # the queued, never-run tasks
        except Exception:  # noqa: BLE001, S110 - best effort
            pass
    raw, rows = raw_insert()
    ms = [x * 1000 for x in latencies]
    say()
    say(machine())
    say(f"webhook deliveries: {len(ms)} at concurrency {args.concurrency}, gunicorn "
        f"{args.web_workers} sync workers; answers {dict(sorted(statuses.items()))}; "
        f"events stored {stored}")  # fmt: skip
    say(f"acknowledgement: p50 {percentile(ms, .5):.1f} ms, p95 {percentile(ms, .95):.1f} ms, "
        f"p99 {percentile(ms, .99):.1f} ms, mean {statistics.mean(ms):.1f} ms; "
        f"{len(ms) / wall:,.0f} req/s ({wall:.2f} s)")  # fmt: skip
    say(f"raw bulk INSERT of the same {rows} rows: {raw * 1000:.1f} ms = {rows / raw:,.0f} rows/s")
    if raw:
        say(f"webhook path / raw INSERT per row: {(wall / len(ms)) / (raw / max(rows, 1)):.0f}x")


if __name__ == "__main__":
    main()
