"""Attendance marks through the write-behind buffer under stress: a real flushing process
(`manage.py flush_write_buffer --kind attendance`) killed with SIGKILL mid-flush, and marks that
keep arriving while a flush runs. Every row is compared with the marks the API returned."""

from __future__ import annotations

import datetime as dt
import io
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command

from apps.academics.tests.factories import EnrollmentFactory
from apps.accounts.tests.factories import StudentFactory
from apps.attendance.buffer_kinds import KIND
from apps.attendance.models import AttendanceRecord, mark_id
from apps.core import buffer
from apps.core.buffer import layout
from apps.core.testing import database_url, redis_memory

from .factories import LIST, as_db, db_marks, entry, flush_here, mark

ROOT = Path(__file__).resolve().parents[3]
STATUSES = [
    {"status": "present"},
    {"status": "late", "late_minutes": 12},
    {"status": "excused", "reason": "Fever"},
    {"status": "present", "remarks": "front row"},
    {"status": "absent"},
]


def _weekdays_before(day: dt.date, n: int, first: dt.date) -> list[dt.date]:
    days = []
    while len(days) < n:
        day -= dt.timedelta(days=1)
        if day.weekday() < 5 and day >= first:
            days.append(day)
    return days


def _start_flusher(settings, prefix: str, failpoint: str):
    log = Path(tempfile.mkstemp(prefix="attendance-flusher-", suffix=".log")[1])
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "schools24.settings.test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "SCHOOLS24_BUFFER_TEST_KINDS": "apps.attendance.tests.flush_failpoint",
        "ATTENDANCE_TEST_PREFIX": prefix,
        "BUFFER_PROBE_FAILPOINT": failpoint,
        "BATCH_PROCESSOR_BATCH_SIZE": "20",
        "BATCH_PROCESSOR_LOCK_TTL": "1",
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "flush_write_buffer", "--kind", KIND, "--workers", "4"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            stdin=subprocess.DEVNULL,
        )
    lines: queue.Queue = queue.Queue()

    def read():
        for line in process.stdout:
            lines.put(line.decode().strip())
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return process, lines, log


@pytest.mark.parametrize(
    "failpoint",
    [
        "renamed",  # the pending set handed off to a snapshot, nothing written
        "in_transaction:3",  # a batch upserted inside its transaction, not committed
        "committed:4",  # four batches committed, their snapshots still in Redis
        "before_delete:2",  # shards fully committed, snapshots not yet deleted
    ],
)
@pytest.mark.django_db(transaction=True)
def test_sigkill_mid_flush_loses_and_duplicates_no_mark(
    failpoint, cast, school_year, att, api, ns, settings
):
    students = [cast.student, cast.other_student]
    for i in range(40):
        student = StudentFactory(school=cast.school)
        EnrollmentFactory(section=school_year.sec_a, student=student, roll_number=10 + i)
        students.append(student)
    days = _weekdays_before(att.today, 25, school_year.year.start_date)
    expected: dict = {}
    for d, day in enumerate(days):
        entries = [entry(s, **STATUSES[(i + d) % len(STATUSES)]) for i, s in enumerate(students)]
        r = mark(api, cast.admin, school_year.sec_a, day, entries)
        assert r.status_code == 200, r.content
        expected |= as_db(r.json()["marks"])
    assert len(expected) == 42 * 25 == buffer.stats(KIND)[KIND]["pending"]

    process, lines, log = _start_flusher(settings, ns, failpoint)
    try:
        line = lines.get(timeout=90)
        assert line and line.startswith("FAILPOINT"), (
            f"flusher said {line!r}:\n{log.read_text()[-3000:]}"
        )
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.unlink(missing_ok=True)

    # What the killed flusher committed is exact; nothing half-written, nothing doubled.
    partial = db_marks()
    assert partial == {key: expected[key] for key in partial}
    if failpoint == "renamed":
        assert not partial
    if failpoint in ("committed:4", "before_delete:2"):
        assert partial
    assert buffer.stats(KIND)[KIND]["flushing"] > 0  # the snapshot the next flush finishes

    # Marks keep arriving before the next flush: changes (last write wins) for five days.
    for d, day in enumerate(days[:5]):
        entries = [
            entry(s, **STATUSES[(i + d + 1) % len(STATUSES)]) for i, s in enumerate(students)
        ]
        r = mark(api, cast.admin, school_year.sec_a, day, entries)
        assert r.status_code == 200, r.content
        expected |= as_db(r.json()["marks"])
    listed = api(cast.admin).get(
        LIST, {"section": school_year.sec_a.pk, "date": days[0], "page_size": 100}
    )
    assert as_db(listed.json()["results"]) == {k: v for k, v in expected.items() if k[1] == days[0]}

    out = io.StringIO()
    call_command("flush_write_buffer", "--kind", KIND, "--wait", "5", stdout=out)
    assert "busy" not in out.getvalue()
    assert AttendanceRecord.objects.count() == len(expected) == 1050
    assert db_marks() == expected
    assert buffer.stats(KIND)[KIND] == {
        "pending": 0,
        "flushing": 0,
        "oldest_age_seconds": None,
        "stale": False,
        "dead": 0,
    }


def test_marks_arriving_during_a_flush_are_kept(cast, school_year, att, api, monkeypatch):
    r = mark(
        api,
        cast.admin,
        school_year.sec_a,
        att.day,
        [entry(cast.student), entry(cast.other_student, "late", late_minutes=2)],
    )
    expected = as_db(r.json()["marks"])
    r = mark(api, cast.admin, school_year.sec_b, att.day, [entry(cast.sibling)])
    expected |= as_db(r.json()["marks"])
    seen: dict = {}
    k = buffer.get_kind(KIND)
    sam_key = {
        "school_id": str(cast.school.pk),
        "student_id": str(cast.student.pk),
        "date": att.day.isoformat(),
        "slot": "day",
    }
    target = layout.shard_of(k, sam_key)

    def arrive(point, kind, shard, **context):
        """While the snapshot holding Sam's mark is being flushed: a newer mark for that key,
        marks for new keys, and a read that must show the newest of everything."""
        if kind != KIND or shard != target or point in seen:
            return
        seen[point] = shard
        if point == "renamed":
            r = mark(
                api,
                cast.admin,
                school_year.sec_a,
                att.day,
                [entry(cast.student, "excused", reason="Ill")],
            )
            expected.update(as_db(r.json()["marks"]))
            r = mark(
                api,
                cast.admin,
                school_year.sec_a,
                att.old_day,
                [entry(cast.other_student, "absent")],
            )
            expected.update(as_db(r.json()["marks"]))
        else:  # committed: the batch is in Postgres, the snapshot not yet deleted
            r = mark(
                api,
                cast.admin,
                school_year.sec_b,
                att.day,
                [entry(cast.sibling, "late", late_minutes=9)],
            )
            expected.update(as_db(r.json()["marks"]))
        listed = (
            api(cast.admin).get(LIST, {"section": school_year.sec_a.pk, "date": att.day}).json()
        )
        seen[f"{point}-read"] = [m["status"] for m in listed["results"]]

    monkeypatch.setitem(buffer.HOOKS, "renamed", arrive)
    monkeypatch.setitem(buffer.HOOKS, "committed", arrive)
    flush_here()
    assert seen["renamed-read"] == ["excused", "late"] == seen["committed-read"]
    # Nothing written during the flush was lost with the snapshot: Postgres and what is still
    # pending together hold the newest mark of every key.
    after_first = {}
    for section, day in (
        (school_year.sec_a, att.day),
        (school_year.sec_a, att.old_day),
        (school_year.sec_b, att.day),
    ):
        listed = api(cast.admin).get(LIST, {"section": section.pk, "date": day}).json()
        after_first |= as_db(listed["results"])
    assert after_first == expected
    # Sam's newer mark arrived after the hand-off: Postgres has the older one, Redis the newer.
    sam = (str(cast.student.pk), att.day, None)
    assert db_marks()[sam][0] == "present" and expected[sam][0] == "excused"
    assert buffer.stats(KIND)[KIND]["pending"] >= 1
    monkeypatch.delitem(buffer.HOOKS, "renamed")
    monkeypatch.delitem(buffer.HOOKS, "committed")
    flush_here()
    assert buffer.stats(KIND)[KIND]["pending"] == 0
    assert db_marks() == expected
    assert AttendanceRecord.objects.get(student=cast.student, date=att.day).status == "excused"


def test_a_school_term_of_pending_marks_stays_small_in_redis(ns):
    """The buffer's memory budget for attendance (apps.core.buffer.layout): 1,200 students x 5
    days of daily marks (90% present, 6% absent, 3% late, 1% excused with a reason, 2% with a
    remark) and a day of 8 periods for one section, pending at once, live in hashes
    Redis keeps listpack-encoded (OBJECT ENCODING), under 200 bytes a mark (MEMORY USAGE), and
    come back exactly as they went in. Only the hash of long values (remarks, reasons) may be a
    hashtable."""
    school, teacher = str(uuid.uuid4()), str(uuid.uuid4())
    students = [str(uuid.uuid4()) for _ in range(1200)]
    sections = [str(uuid.uuid4()) for _ in range(30)]
    periods = [str(uuid.uuid4()) for _ in range(8)]
    marks = []
    for d in range(5):
        day = (dt.date(2026, 1, 5) + dt.timedelta(days=d)).isoformat()
        slots = [(p, s) for s in range(1200) for p in ([None] + (periods if s < 40 else []))]
        for i, (period, s) in enumerate(slots):
            r = (i * 2654435761 + d) % 100  # 90% present, 6% absent, 3% late, 1% excused
            status = (
                "present" if r < 90 else "absent" if r < 96 else "late" if r < 99 else "excused"
            )
            marks.append(
                {
                    "id": str(mark_id(school, students[s], day, period)),
                    "school_id": school,
                    "student_id": students[s],
                    "section_id": sections[s // 40],
                    "date": day,
                    "period_id": period,
                    "slot": period or "day",
                    "status": status,
                    "late_minutes": 7 if status == "late" else 0,
                    "reason": "Medical appointment" if status == "excused" else "",
                    "remarks": "Came with a guardian after the bus broke down"
                    if i % 50 == 7
                    else "",
                    "marked_by_id": teacher,
                }
            )
    stored = buffer.put_many(KIND, marks)
    usage, _keys, encodings = redis_memory(
        buffer.get_client(),
        f"{ns}:*",
        role=lambda key: "long values" if key.endswith(b":x") else "buckets and indexes",
    )
    assert {role for role, encoding in encodings if encoding != "listpack"} <= {"long values"}
    assert encodings[("buckets and indexes", "listpack")] > 200, encodings
    assert usage / len(marks) < 200, (usage / len(marks), encodings)

    day = stored[-1]["date"]
    held = buffer.pending(KIND, school_id=school, section_id=sections[0], date=day)
    assert len(held) == 40 * 9
    want = {r["id"]: r for r in stored if r["section_id"] == sections[0] and r["date"] == day}
    assert {r["id"]: {**r, "date": r["date"].isoformat()} for r in held} == {
        i: {**r, "pending": True} for i, r in want.items()
    }
