"""Notifications: one school announcement fanned out to every family of the demo school on
every channel, with the development providers, beside a raw bulk INSERT of the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ .venv/bin/python bench/notify_fanout.py \
        [--students 1440] [--fresh] [--rounds 3] [--send]

Everything happens in a scratch database on DATABASE_URL's server (`--db`, default
schools24_bench_notify; created and migrated when missing, recreated with `--fresh`; the name
must contain "bench"). The demo school's people are seeded (`--students`, default 1440: one
parent per student, plus the demo parent of two), each parent gets a phone number and a push
device, and the school an approved SMS template for announcements.

Each round:
1. fan-out: `notify(recipients=<every parent>, kind="school.announcement", channels=in-app,
   e-mail, SMS, push)` in one transaction: one notification and four deliveries per parent;
   timed, with its SQL query count; the same call for a tenth of the parents is counted too,
   to show the query count does not grow with the recipients;
2. raw INSERT: the notification and delivery rows it wrote are read back, the tables emptied,
   and the same rows inserted again with one multi-row INSERT per table (execute_values).
With `--send`, the last round's e-mail, SMS and push deliveries are then sent one by one
through the delivery service with the locmem/console providers (what the workers do),
timed. Prints both times (median), rows/s and fan-out / INSERT.

With `--circular`, one circular is then composed and fanned out through the circulars path
(`circular_send`: audience resolution, chunks of NOTIFICATIONS_CIRCULAR_CHUNK recipients, one
transaction each), first to one section's parents, then to the whole school (every parent,
teacher, staff member and admin), on every channel: time, deliveries/s and SQL queries of each.
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
CHANNELS = ("in_app", "email", "sms", "push")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=1440)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", default="schools24_bench_notify")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--send", action="store_true")
    parser.add_argument("--circular", action="store_true")
    return parser.parse_args()


def seed(students: int):
    from django.utils import timezone

    from apps.accounts.models import Role, School, User
    from apps.attendance import demo as attendance_demo
    from apps.calendar import demo as calendar_demo
    from apps.demo import seed as demo_seed
    from apps.fees import demo as fees_demo
    from apps.notifications.models import Device, SmsTemplate
    from apps.quizzes import demo as quizzes_demo

    attendance_demo.seed_attendance = lambda **kwargs: None
    quizzes_demo.seed_quizzes = lambda **kwargs: None
    calendar_demo.seed_calendar = lambda **kwargs: None
    fees_demo.seed_fees = lambda **kwargs: None
    t0 = time.perf_counter()
    demo_seed.seed_demo(students=students)
    school = School.objects.get(code="demo")
    parents = list(User.objects.filter(school=school, role=Role.PARENT).order_by("email"))
    for index, parent in enumerate(parents):
        parent.phone = f"+9198{index:08d}"
    User.objects.bulk_update(parents, ["phone"])
    now = timezone.now()
    Device.objects.bulk_create(
        [Device(school=school, user=p, platform="android", token=f"bench-{p.pk}",
                last_seen_at=now) for p in parents],
        ignore_conflicts=True,
    )  # fmt: skip
    SmsTemplate.objects.get_or_create(
        school=school, kind="school.announcement", language="en",
        defaults={"text": "Circular from your school: {#var#}. Details in the app.",
                  "variables": ["title"], "dlt_template_id": "1107170000000000999",
                  "sender_header": "SCHLTF", "category": "transactional"},
    )  # fmt: skip
    say(f"seeded {students} students, {len(parents)} parents in {time.perf_counter() - t0:.1f} s")
    return school, parents


def reset() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE notifications_delivery, notifications_notification CASCADE")


def fan_out(parents, tag: str) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.notifications.services import notify

    with CaptureQueriesContext(connection) as ctx:
        t0 = time.perf_counter()
        notify(
            recipients=parents, kind="school.announcement", title="Annual day on Saturday",
            body="The annual day is on Saturday at 10:00; parents are welcome.",
            context={"title": "Annual day on Saturday"}, channels=CHANNELS,
            dedupe_key=f"bench-{tag}",
        )  # fmt: skip
        elapsed = time.perf_counter() - t0
    return elapsed, len(ctx.captured_queries)


def raw_insert() -> tuple[float, int]:
    from django.db import connection, transaction
    from psycopg2.extras import execute_values

    tables = ("notifications_notification", "notifications_delivery")
    with connection.cursor() as cursor:
        saved = {}
        for table in tables:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed names
            saved[table] = ([c.name for c in cursor.description], cursor.fetchall())
    reset()
    from psycopg2.extras import Json

    rows = sum(len(data) for _, data in saved.values())
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        prepared = {
            table: [tuple(Json(v) if isinstance(v, (dict, list)) else v for v in row)
                    for row in data]
            for table, (_columns, data) in saved.items()
        }  # fmt: skip
        t0 = time.perf_counter()
        for table in tables:
            columns = saved[table][0]
            execute_values(
                raw,
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES %s",  # noqa: S608
                prepared[table],
                page_size=len(prepared[table]),
            )
        elapsed = time.perf_counter() - t0
    return elapsed, rows


def send_all() -> tuple[float, int]:
    from apps.notifications.models import Delivery
    from apps.notifications.services import delivery_send

    ids = list(Delivery.objects.filter(status="queued").values_list("pk", flat=True))
    t0 = time.perf_counter()
    for delivery_id in ids:
        delivery_send(delivery_id=delivery_id)
    return time.perf_counter() - t0, len(ids)


def circular_fan_out(school, audience: str, target=None) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.accounts.models import Role, User
    from apps.notifications.models import Circular, CircularStatus
    from apps.notifications.services.circulars import circular_create, circular_send

    admin = User.objects.filter(school=school, role=Role.ADMIN).first()
    circular = circular_create(
        actor=admin,
        data={"title": "Annual day on Saturday", "body": "The annual day is on Saturday at 10.",
              "audience": audience, "target_id": target, "channels": ["email", "sms", "push"]},
    )  # fmt: skip
    Circular.objects.filter(pk=circular.pk).update(status=CircularStatus.SENDING)
    with CaptureQueriesContext(connection) as ctx:
        t0 = time.perf_counter()
        deliveries = circular_send(circular_id=circular.pk)
        elapsed = time.perf_counter() - t0
    circular.refresh_from_db()
    return {"recipients": circular.recipient_count, "deliveries": deliveries,
            "seconds": elapsed, "queries": len(ctx.captured_queries)}  # fmt: skip


def circulars(school) -> None:
    import math

    from django.conf import settings

    from apps.academics.models import Section

    settings.NOTIFICATIONS_HOURLY_CAP = 0  # one message each: measure the fan-out alone
    chunk = settings.NOTIFICATIONS_CIRCULAR_CHUNK
    section = Section.objects.filter(school=school, year__is_current=True).first()
    reset()
    for label, audience, target in (("one section", "section", section.pk),
                                    ("whole school", "school", None)):  # fmt: skip
        got = circular_fan_out(school, audience, target)
        chunks = max(1, math.ceil(got["recipients"] / chunk))
        say(f"circular to {label}: {got['recipients']} recipients in {chunks} chunk(s) of "
            f"{chunk}, {got['deliveries']} deliveries in {got['seconds']:.3f} s = "
            f"{got['deliveries'] / got['seconds']:,.0f} deliveries/s, {got['queries']} SQL "
            f"queries ({got['queries'] / chunks:.1f} per chunk)")  # fmt: skip


def main() -> None:
    args = parse_args()
    django_on_scratch(args.db, args.fresh)
    from django.conf import settings

    from apps.notifications.services import creation

    # Creation is measured alone: the queued tasks are not published (no broker needed).
    creation._enqueue_emails = creation._enqueue_deliveries = lambda _ids: None
    settings.NOTIFICATIONS_SMS_BACKEND = settings.NOTIFICATIONS_PUSH_BACKEND = "locmem"
    school, parents = seed(args.students)
    tenth = parents[: max(len(parents) // 10, 1)]
    fan_times, raw_times = [], []
    for round_ in range(args.rounds):
        reset()
        _small, small_queries = fan_out(tenth, f"small-{round_}")
        reset()
        elapsed, queries = fan_out(parents, f"all-{round_}")
        from apps.notifications.models import Delivery, Notification

        notes, deliveries = Notification.objects.count(), Delivery.objects.count()
        last_round = round_ == args.rounds - 1
        inserted = ""
        if not (last_round and args.send):  # the last round's rows are sent below
            raw, rows = raw_insert()
            raw_times.append(raw)
            inserted = f"; raw INSERT {raw:.3f} s ({rows} rows)"
        fan_times.append(elapsed)
        say(f"round {round_ + 1}: fan-out {elapsed:.3f} s ({notes} notifications, {deliveries} "
            f"deliveries, {queries} queries; {len(tenth)} recipients: {small_queries} queries)"
            + inserted)  # fmt: skip
    fan, raw = statistics.median(fan_times), statistics.median(raw_times or [float("nan")])
    rows = notes + deliveries
    say()
    say(machine())
    say(f"families {len(parents)}, rows (notifications + deliveries) {rows}")
    say(f"fan-out (median of {args.rounds}): {fan:.3f} s = {deliveries / fan:,.0f} deliveries/s "
        f"({rows / fan:,.0f} rows/s), {queries} SQL queries for {len(parents)} recipients, "
        f"{small_queries} for {len(tenth)}")  # fmt: skip
    say(f"raw bulk INSERT (median):   {raw:.3f} s = {rows / raw:,.0f} rows/s")
    say(f"fan-out / raw INSERT: {fan / raw:.1f}x")
    if args.send:
        took, sent = send_all()
        say(f"sending {sent} e-mail/SMS/push deliveries one by one (locmem providers): "
            f"{took:.1f} s = {sent / took:,.0f}/s")  # fmt: skip
    if args.circular:
        circulars(school)


if __name__ == "__main__":
    main()
