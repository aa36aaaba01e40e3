"""The write-behind buffer against the real Redis and Postgres, through the probe kinds of
`buffer_probe` (a raw-SQL table; `probe` shards by group, `probe_keyed` by key).

Every test gets its own Redis key namespace (per xdist worker and test) and its own school id in
the probe table (created and emptied once per session, outside any test transaction). Flushes
run on their own threads and connections and commit; tests read the results with READ
COMMITTED. The SIGKILL tests, whose flusher runs in another process, and the lock-expiry test,
whose flushers share rows with the test's thread, run with transaction=True.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from unittest import mock

import orjson
import pytest
import redis
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, models
from django.test.utils import isolate_apps

from apps.core import buffer
from apps.core.buffer import layout, status, write
from apps.core.codecs import Codec
from apps.core.models import TimeStampedModel
from apps.core.testing import buffer_namespace, database_url, redis_memory, redis_round_trips
from apps.core.tests import buffer_probe as probe

ROOT = Path(__file__).resolve().parents[3]
KEY = probe.KEY

pytestmark = pytest.mark.django_db
TRANSACTIONAL = pytest.mark.django_db(transaction=True)
_schools = iter(range(1, 10**6))


@pytest.fixture(autouse=True)
def no_keys_command(monkeypatch):
    """KEYS blocks Redis: the buffer must never send it (SCAN or index sets only)."""

    def refuse(self, *args, **kwargs):
        raise AssertionError("the write buffer used KEYS")

    monkeypatch.setattr(redis.Redis, "keys", refuse)


@pytest.fixture(autouse=True)
def ns(settings):
    """A private key namespace (`apps.core.testing.buffer_namespace`), short flush locks."""
    settings.BATCH_PROCESSOR_LOCK_TTL = 10
    with buffer_namespace(settings, "wb") as prefix:
        yield prefix


@pytest.fixture(scope="session")
def probe_table(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        probe.ensure_table()
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {probe.TABLE}")
        connection.close()


@pytest.fixture
def school(probe_table) -> int:
    """A school id no other test of this session writes probe rows for."""
    return next(_schools)


def namespace_keys(prefix: str) -> list[str]:
    return sorted(k.decode() for k in buffer.get_client().scan_iter(f"{prefix}:*", count=1000))


def expected_of(stored: list[dict]) -> dict[tuple, tuple]:
    return {probe.key_of(r): (r["status"], r["note"], r["ts"]) for r in stored}


def table_state(school: int) -> dict[tuple, tuple]:
    return {k: (v["status"], v["note"], v["ts"]) for k, v in probe.rows(school).items()}


# --- 1. last write wins, compressed, read-your-writes, flush ---------------------------------
@pytest.mark.parametrize("kind", ["probe", "probe_keyed"])
def test_last_write_wins_compressed_read_your_writes_and_flush(
    kind, ns, settings, monkeypatch, school
):
    k = buffer.get_kind(kind)
    first = buffer.put_many(kind, probe.records(school, 30, 5, status="P"))
    assert first.buffered  # pending in Redis, not yet in Postgres
    # Rewrite a third of the keys, some with a note long enough to be compressed.
    later = [
        {**r, "status": "A", "note": ("late bus " * 80) if i % 2 else "late", "ts": None}
        for i, r in enumerate(first)
        if r["student_id"] % 3 == 0
    ]
    later = buffer.put_many(kind, later)
    # An explicitly older write for a rewritten key is ignored, as Postgres would ignore it.
    stale = {**later[0], "status": "X", "ts": later[0]["ts"] - 1_000_000}
    buffer.put(kind, stale)
    expected = expected_of(first) | expected_of(later)
    assert len(expected) == 150

    # Raw Redis values, last write per key: a short record packed in its bucket, a long one in
    # the shard's long-value hash behind a stub, compressed with the cache's codec.
    client = buffer.get_client()
    big = next(r for r in later if len(r["note"]) > 300)
    small = next(r for r in first if r["student_id"] % 3 == 1)
    packer = layout.layout_of(k)
    for record in (big, small):
        packed = packer.pack(record)
        sk = layout.shard_keys(k, packed.shard)
        raw = client.hget(sk.bucket(packed.bucket), packed.key)
        assert raw[:8] == record["ts"].to_bytes(8, "big")
        if record is big:
            assert raw[8:] == b"\xc1"  # the stub
            raw = client.hget(sk.x, packed.key)
            assert Codec.algorithm_of(raw[9:]) == settings.REDIS_COMPRESSION_ALGORITHM
            assert len(raw) < len(orjson.dumps(big))
        else:
            assert len(raw) <= layout.INLINE_MAX
        assert packer.unpack(packed.key, raw) == record
    assert buffer.stats(kind)[kind]["pending"] == 150
    assert client.ttl(sk.bucket(packed.bucket)) == client.ttl(sk.n) == -1  # never expires

    # Read-your-writes before any flush: one key, one group, an unindexed filter.
    one = buffer.pending(kind, **{f: big[f] for f in KEY})
    assert [(r["status"], r["note"], r["ts"]) for r in one] == [expected[probe.key_of(big)]]
    day = probe.START.isoformat()
    group = buffer.pending(kind, school_id=school, day=day)
    assert {probe.key_of(r): (r["status"], r["note"], r["ts"]) for r in group} == {
        key: value for key, value in expected.items() if key[2] == day
    }
    assert len(buffer.pending(kind, status="A")) == len(later)

    # overlay: pending records laid over the database rows (none yet, and an older one).
    db_rows = [{"school_id": school, "student_id": 0, "day": probe.START, "status": "old", "ts": 1}]
    merged = buffer.overlay(kind, lambda: db_rows, school_id=school, day=day)
    assert len(merged) == 30 and merged[0]["status"] == "A" and merged[0]["ts"] > 1
    newer = [{**db_rows[0], "ts": 2**62}]  # written straight to Postgres, newer: it stays
    assert buffer.overlay(kind, newer, school_id=school, day=day)[0]["status"] == "old"

    # While the records sit in a flushing snapshot, reads still see them.
    stored = list({probe.key_of(r): r for r in [*first, *later]}.values())
    seen = {}

    def look(point, kind, shard, state):
        if seen:
            return
        mine = [r for r in stored if layout.shard_of(k, r) == shard]
        some = mine[len(mine) // 2]
        seen["stats"] = buffer.stats(kind)[kind]
        seen["one"] = buffer.pending(kind, **{f: some[f] for f in KEY})
        seen["want"] = [expected[probe.key_of(some)]]
        seen["group"] = buffer.pending(kind, school_id=school, day=some["day"])

    monkeypatch.setitem(buffer.HOOKS, "renamed", look)
    result = buffer.flush(kind, workers=1)
    assert seen["stats"]["flushing"] > 0
    assert [(r["status"], r["note"], r["ts"]) for r in seen["one"]] == seen["want"]
    assert len(seen["group"]) == 30

    assert (result.records, result.written, result.dead) == (150, 150, 0)
    assert table_state(school) == expected
    assert {v["writes"] for v in probe.rows(school).values()} == {1}
    figures = buffer.stats(kind)[kind]
    assert figures == {
        "pending": 0,
        "flushing": 0,
        "oldest_age_seconds": None,
        "stale": False,
        "dead": 0,
    }
    assert namespace_keys(ns) == []  # snapshot, indexes, lock and trigger all gone
    # A second flush finds nothing and changes nothing.
    assert buffer.flush(kind).records == 0


def test_stale_age_is_reported_not_expired(settings, school):
    settings.REDIS_WRITE_BUFFER_TTL = 0
    buffer.put("probe", probe.records(school, 1, 1)[0])
    time.sleep(0.01)
    figures = buffer.stats("probe")["probe"]
    assert figures["pending"] == 1 and figures["stale"] and figures["oldest_age_seconds"] > 0
    assert buffer.readiness()["write_buffer"]["stale"] == ["probe"]
    settings.REDIS_WRITE_BUFFER_TTL = 7200
    assert buffer.readiness()["write_buffer"]["ok"] is True


# --- 2. SIGKILL at every step ----------------------------------------------------------------
FLUSHER = (
    "import django; django.setup(); from apps.core.tests import buffer_probe; buffer_probe.main()"
)


def _start_flusher(
    settings, prefix: str, failpoint: str
) -> tuple[subprocess.Popen, queue.Queue, Path]:
    log = Path(tempfile.mkstemp(prefix="buffer-flusher-", suffix=".log")[1])
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "schools24.settings.test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "SCHOOLS24_BUFFER_TEST_KINDS": "apps.core.tests.buffer_probe",
        "BUFFER_PROBE_KIND": "probe",
        "BUFFER_PROBE_PREFIX": prefix,
        "BUFFER_PROBE_LOCK_TTL": "1",
        "BUFFER_PROBE_BATCH_SIZE": "500",
        "BUFFER_PROBE_WORKERS": "4",
        "BUFFER_PROBE_FAILPOINT": failpoint,
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-c", FLUSHER],
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
        "locked",  # lock taken, nothing renamed yet
        "renamed",  # pending renamed to the snapshot, nothing applied
        "in_transaction:3",  # third batch applied inside its transaction, not committed
        "committed:4",  # four batches committed, snapshot still there
        "before_delete:2",  # a shard fully committed, its snapshot not yet deleted
    ],
)
@TRANSACTIONAL
def test_sigkill_at_any_step_loses_and_duplicates_nothing(failpoint, ns, settings, school):
    stored = buffer.put_many("probe", probe.records(school, 100, 200))
    expected = expected_of(stored)
    assert len(expected) == 20_000

    process, lines, log = _start_flusher(settings, ns, failpoint)
    try:
        line = lines.get(timeout=60)
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

    # Whatever the killed flusher committed is exact; nothing half-written.
    partial = probe.rows(school)
    assert {key: (v["status"], v["note"], v["ts"]) for key, v in partial.items()} == {
        key: expected[key] for key in partial
    }
    assert {v["writes"] for v in partial.values()} <= {1}
    left = buffer.stats("probe")["probe"]
    if failpoint != "locked":
        assert left["flushing"] > 0  # the snapshot the next flush must finish

    # Writes keep arriving before the next flush: newer values and new keys. An updated key
    # whose first value had reached the snapshot (or Postgres) is written twice, else once.
    k = buffer.get_kind("probe")
    client = buffer.get_client()
    packer = layout.layout_of(k)

    def in_snapshot(record) -> bool:
        packed = packer.pack(record)
        sk = layout.shard_keys(k, packed.shard)
        return client.hexists(sk.flushing_bucket(packed.bucket), packed.key)

    handed_off = {
        probe.key_of(r) for r in stored[:1000] if probe.key_of(r) in partial or in_snapshot(r)
    }
    if failpoint == "locked":
        assert not handed_off
    updates = buffer.put_many(
        "probe", [{**r, "status": "L", "note": "late", "ts": None} for r in stored[:1000]]
    )
    fresh = buffer.put_many("probe", probe.records(school, 5, 300)[-500:])  # days 200..299
    expected |= expected_of(updates) | expected_of(fresh)

    result = buffer.flush("probe", wait=5)  # waits out the dead flusher's 1 s lock
    assert result.skipped == 0
    final = probe.rows(school)
    assert len(final) == len(expected) == 20_500
    assert table_state(school) == expected
    # Exactly one change per value that reached Postgres: a replayed batch changed nothing.
    assert {key for key, v in final.items() if v["writes"] != 1} == handed_off
    assert {final[key]["writes"] for key in handed_off} <= {2}
    assert buffer.stats("probe")["probe"] == {
        "pending": 0,
        "flushing": 0,
        "oldest_age_seconds": None,
        "stale": False,
        "dead": 0,
    }
    assert namespace_keys(ns) == []


# --- 3. writers during a flush ---------------------------------------------------------------
@pytest.mark.parametrize("kind", ["probe", "probe_keyed"])
def test_writes_during_a_flush_are_kept(kind, monkeypatch, school):
    base = buffer.put_many(kind, probe.records(school, 40, 50))
    latest = expected_of(base)
    keys = list(latest)
    flushing = threading.Event()
    stop = threading.Event()
    failures: list[BaseException] = []
    counts = {"writes": 0, "checked": 0}

    def writer():
        try:
            n = 0
            while not stop.is_set():
                school, student, day = keys[(n * 7919) % len(keys)]
                stored = buffer.put(
                    kind,
                    {
                        "school_id": school,
                        "student_id": student,
                        "day": day,
                        "status": f"v{n}",
                        "note": None,
                    },
                )
                latest[(school, student, day)] = (stored["status"], None, stored["ts"])
                if n % 20 == 0:  # read-your-writes while the flush runs
                    seen = buffer.pending(kind, school_id=school, student_id=student, day=day)
                    assert [r["status"] for r in seen] == [f"v{n}"], (n, seen)
                    counts["checked"] += 1
                n += 1
            counts["writes"] = n
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)

    def slow_commit(point, **context):
        flushing.set()
        time.sleep(0.05)

    monkeypatch.setitem(buffer.HOOKS, "committed", slow_commit)
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        result = buffer.flush(kind, size=100, workers=3)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not failures, failures
    assert flushing.is_set() and result.records >= 2000
    assert counts["writes"] > 20 and counts["checked"] > 1

    monkeypatch.delitem(buffer.HOOKS, "committed")
    buffer.flush(kind)
    assert table_state(school) == latest
    assert buffer.stats(kind)[kind]["pending"] == 0


@TRANSACTIONAL
def test_a_stalled_flusher_cannot_delete_a_snapshot_it_no_longer_owns(
    monkeypatch, settings, school
):
    """Lock expiry while a flusher stalls: another flusher takes the shard over, and the stalled
    one's FINISH is refused (token check), so it never deletes records it did not write."""
    k = buffer.get_kind("probe")
    record = probe.records(school, 1, 1)[0]
    buffer.put("probe", record)
    shard = layout.shard_of(k, record)
    sk = layout.shard_keys(k, shard)
    client = buffer.get_client()
    events = []

    def stall(point, **context):
        if events:
            return
        events.append("stalled")
        client.delete(sk.lock)  # as if the lock expired while this flusher stalled
        other = buffer.flush_shard(k, shard)  # another flusher finishes the snapshot
        events.append(("other", other.records))
        # ... and new writes arrive and are handed off by a third flush, left pending here:
        buffer.put("probe", {**record, "status": "N", "ts": None})

    monkeypatch.setitem(buffer.HOOKS, "before_delete", stall)
    with pytest.raises(buffer.LockLost):
        buffer.flush_shard(k, shard)
    assert events == ["stalled", ("other", 1)]
    assert [r["status"] for r in buffer.pending("probe", **{f: record[f] for f in KEY})] == ["N"]
    monkeypatch.delitem(buffer.HOOKS, "before_delete")
    buffer.flush("probe")
    assert [v["status"] for v in probe.rows(school).values()] == ["N"]


def test_a_busy_shard_is_skipped_and_a_refused_record_set_aside(school):
    k = buffer.get_kind("probe")
    records = probe.records(school, 20, 1)
    records[3]["status"] = "BAD"  # violates the table's CHECK constraint
    buffer.put_many("probe", records)
    shard = layout.shard_of(k, records[0])
    client = buffer.get_client()
    client.set(layout.shard_keys(k, shard).lock, "someone-else", px=10_000)
    assert buffer.flush("probe").skipped == 1
    client.delete(layout.shard_keys(k, shard).lock)

    result = buffer.flush("probe")
    assert (result.records, result.written, result.dead) == (20, 19, 1)
    assert len(probe.rows(school)) == 19
    assert buffer.stats("probe")["probe"]["dead"] == 1
    assert buffer.requeue_dead("probe") == 1
    assert buffer.stats("probe")["probe"]["pending"] == 1


# --- 4. Redis down ---------------------------------------------------------------------------
def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_redis_down_writes_through_to_postgres(settings, caplog, school):
    settings.BATCH_PROCESSOR_REDIS_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    buffer.reset_client()
    record = probe.records(school, 1, 1, status="A")[0]
    with caplog.at_level("WARNING", logger="schools24.buffer"):
        stored = buffer.put("probe", record)
        more = buffer.put_many("probe", probe.records(school, 10, 2)[1:])
    assert stored["ts"] > 0
    assert any("straight to Postgres" in r.getMessage() for r in caplog.records)
    assert table_state(school) == expected_of([stored, *more])
    # Reads degrade to what Postgres holds instead of failing.
    assert buffer.pending("probe", school_id=school, day=probe.START.isoformat()) == []
    db = [
        {
            "school_id": school,
            "student_id": 0,
            "day": probe.START,
            "status": "A",
            "ts": stored["ts"],
        }
    ]
    assert buffer.overlay("probe", db, school_id=school, day=probe.START.isoformat()) == db
    assert buffer.readiness()["write_buffer"]["ok"] is False


def test_strict_reads_raise_when_redis_cannot_be_read(settings, school):
    """A caller that must not act on what it could not read (grading) gets a typed error."""
    settings.BATCH_PROCESSOR_REDIS_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    buffer.reset_client()
    day = probe.START.isoformat()
    with pytest.raises(buffer.BufferReadError) as raised:
        buffer.pending("probe", strict=True, school_id=school, day=day)
    assert raised.value.kind == "probe"
    with pytest.raises(buffer.BufferReadError):
        buffer.overlay("probe", [], strict=True, school_id=school, day=day)


def test_disabled_buffer_writes_straight_through(settings, caplog, school):
    settings.BATCH_PROCESSOR_ENABLED = False
    settings.BATCH_PROCESSOR_REDIS_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    buffer.reset_client()
    with caplog.at_level("WARNING", logger="schools24.buffer"):
        stored = buffer.put_many("probe", probe.records(school, 3, 1))
    assert table_state(school) == expected_of(stored)
    assert not stored.buffered
    assert not caplog.records  # not a failure, a configuration


def test_a_closed_group_refuses_puts_that_ask_atomically_and_writes_nothing(settings, school):
    """`close_group` then `put_many(unless_closed=...)`: refused with nothing written, while
    puts that do not ask, other groups and reads go on; `reopen_group` undoes it."""
    day = probe.START.isoformat()
    group = {"school_id": school, "day": day}
    first = buffer.put_many("probe", probe.records(school, 2, 1, status="P"), unless_closed=group)
    assert first.buffered
    assert buffer.close_group("probe", **group) is True
    with pytest.raises(buffer.GroupClosed):
        buffer.put_many(
            "probe", probe.records(school, 2, 1, status="A"), unless_closed=group, read_back=group
        )
    assert sorted(r["status"] for r in buffer.pending("probe", **group)) == ["P", "P"]
    other_day = {"school_id": school, "day": (probe.START + dt.timedelta(days=1)).isoformat()}
    moved = [{**r, "day": other_day["day"]} for r in probe.records(school, 1, 1, status="L")]
    assert buffer.put_many("probe", moved, unless_closed=other_day).buffered
    with pytest.raises(ValueError):  # a record outside the group named
        buffer.put_many("probe", moved, unless_closed=group)
    with pytest.raises(ValueError):  # a key-sharded kind has no closable groups
        buffer.close_group("probe_keyed", **group)
    buffer.reopen_group("probe", **group)
    again = buffer.put_many("probe", probe.records(school, 2, 1, status="A"), unless_closed=group)
    assert [r["status"] for r in again.pending or buffer.pending("probe", **group)] == ["A", "A"]


def test_a_put_that_cannot_be_checked_goes_through_the_writers_own_path(settings, school):
    """With the buffer off (or Redis down) Redis cannot refuse a put for a closed group, so the
    writer's `through` writes the records (under its own lock) instead of the kind's apply."""
    settings.BATCH_PROCESSOR_ENABLED = False
    seen = []
    group = {"school_id": school, "day": probe.START.isoformat()}
    assert buffer.close_group("probe", **group) is False  # nothing to close
    stored = buffer.put_many(
        "probe", probe.records(school, 2, 1), unless_closed=group, through=seen.append
    )
    assert not stored.buffered and seen == [list(stored)]
    assert table_state(school) == {}


# --- 5. the size threshold -------------------------------------------------------------------
def test_threshold_enqueues_one_flush_per_burst(
    settings, school, django_capture_on_commit_callbacks, monkeypatch
):
    from apps.core.tasks import flush_write_buffer

    settings.BATCH_PROCESSOR_THRESHOLD = 200
    monkeypatch.setattr(write, "COUNT_INTERVAL", 0)  # count on every put past the estimate
    k = buffer.get_kind("probe")
    with mock.patch.object(flush_write_buffer, "apply_async") as send:
        with django_capture_on_commit_callbacks(execute=True) as sent_on_commit:
            for record in probe.records(school, 50, 8):  # 400 single puts, a burst past 200
                buffer.put("probe", record)
            buffer.put_many("probe", probe.records(school, 50, 12)[400:])
            assert send.call_count == 0  # not before the transaction commits
        assert len(sent_on_commit) == 1 and send.call_count == 1
        assert send.call_args.kwargs == {"kwargs": {"kind": "probe"}, "retry": False}
        assert buffer.get_client().ttl(layout.trigger_key(k)) > 0

        buffer.flush("probe")  # clears the debounce key: the next burst may trigger again
        assert not buffer.get_client().exists(layout.trigger_key(k))
        with django_capture_on_commit_callbacks(execute=True):
            buffer.put_many("probe", probe.records(next(_schools), 50, 5))
        assert send.call_count == 2


def test_threshold_flush_runs_inline_when_celery_is_eager(
    settings, school, django_capture_on_commit_callbacks
):
    """CELERY_TASK_ALWAYS_EAGER (the test settings) runs the enqueued flush inside the put that
    crossed the threshold, when the transaction commits: the records are then in Postgres."""
    assert settings.CELERY_TASK_ALWAYS_EAGER
    settings.BATCH_PROCESSOR_THRESHOLD = 50
    with django_capture_on_commit_callbacks(execute=True):
        stored = buffer.put_many("probe", probe.records(school, 10, 6))
        assert buffer.stats("probe")["probe"]["pending"] == 60
    assert buffer.stats("probe")["probe"]["pending"] == 0
    assert table_state(school) == expected_of(stored)


# --- 6. command, task, schedule --------------------------------------------------------------
def test_management_command_prints_counts(school):
    buffer.put_many("probe", probe.records(school, 10, 3))
    out = io.StringIO()
    call_command("flush_write_buffer", "--kind", "probe", "--kind", "probe_keyed", stdout=out)
    text = out.getvalue()
    assert re.search(
        r"^probe: flushed 30 record\(s\) \(30 written\) from \d+ shard\(s\) in [\d.]+ s$",
        text,
        re.M,
    )
    assert re.search(r"^probe_keyed: flushed 0 record\(s\)", text, re.M)
    assert len(probe.rows(school)) == 30
    with pytest.raises(CommandError, match="Unknown buffer kind"):
        call_command("flush_write_buffer", "--kind", "nope", stdout=io.StringIO())


def test_celery_task_flushes_and_is_routed_to_the_buffer_queue(school):
    from apps.core.tasks import FLUSH_TASK, flush_write_buffer
    from schools24.celery import app

    buffer.put_many("probe", probe.records(school, 4, 1))
    assert flush_write_buffer.delay("probe").get()["probe"]["records"] == 4
    assert flush_write_buffer.delay().get()["probe"]["records"] == 0  # all kinds, idempotent
    assert len(probe.rows(school)) == 4
    assert app.amqp.router.route({}, FLUSH_TASK)["queue"].name == "buffer"
    assert flush_write_buffer.acks_late and flush_write_buffer.time_limit


def test_the_flush_schedule_follows_the_setting_and_installs_once(settings):
    """`install_periodic_tasks()` (what post_migrate runs for every registered schedule) makes
    the beat entry with BATCH_PROCESSOR_INTERVAL, is idempotent, keeps an operator's `enabled`
    switch, and follows a changed interval."""
    from django_celery_beat.models import PeriodicTask

    from apps.core.tasks import FLUSH_PERIODIC_TASK_NAME, FLUSH_TASK, install_periodic_tasks

    PeriodicTask.objects.filter(name=FLUSH_PERIODIC_TASK_NAME).delete()
    settings.BATCH_PROCESSOR_INTERVAL = 1800
    install_periodic_tasks()
    install_periodic_tasks()  # idempotent
    task = PeriodicTask.objects.get(name=FLUSH_PERIODIC_TASK_NAME)
    assert task.task == FLUSH_TASK and task.enabled and task.kwargs == "{}"
    assert (task.interval.every, task.interval.period) == (1800, "seconds")

    PeriodicTask.objects.filter(pk=task.pk).update(enabled=False)  # an operator switched it off
    settings.BATCH_PROCESSOR_INTERVAL = 900
    install_periodic_tasks()
    task = PeriodicTask.objects.get(name=FLUSH_PERIODIC_TASK_NAME)
    assert (task.interval.every, PeriodicTask.objects.filter(task=FLUSH_TASK).count()) == (900, 1)
    assert task.enabled is False


def test_post_migrate_receiver_reinstalls_the_schedule(settings):
    from django.core.management.sql import emit_post_migrate_signal
    from django_celery_beat.models import PeriodicTask

    from apps.core.tasks import FLUSH_PERIODIC_TASK_NAME

    PeriodicTask.objects.filter(name=FLUSH_PERIODIC_TASK_NAME).delete()
    settings.BATCH_PROCESSOR_INTERVAL = 120
    # What `migrate` does at its end: the signal, sent for every app, reaches the receiver
    # core's AppConfig.ready() connected.
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert PeriodicTask.objects.get(name=FLUSH_PERIODIC_TASK_NAME).interval.every == 120
    # every app's registered schedule, the quizzes' auto-submit too
    assert PeriodicTask.objects.filter(task="apps.quizzes.tasks.submit_expired_attempts").exists()


def test_metrics_and_readiness_figures(school, monkeypatch):
    from apps.core import health
    from apps.core.buffer import observability
    from apps.core.metrics import COLLECTOR, unregister_gauge_callback

    monkeypatch.setattr(health, "EXTRA_READINESS", [])
    monkeypatch.setattr(observability, "_cached", None)
    try:
        observability.install()
        observability.install()  # idempotent
        assert health.EXTRA_READINESS == [status.readiness]
        buffer.put_many("probe", probe.records(school, 3, 1))
        families = {f.name: f for f in COLLECTOR.collect()}
        samples = {
            (name, s.labels["kind"]): s.value
            for name in ("schools24_write_buffer_pending", "schools24_write_buffer_stale")
            for s in families[name].samples
        }
        assert samples[("schools24_write_buffer_pending", "probe")] == 3
        assert samples[("schools24_write_buffer_stale", "probe")] == 0
        assert status.readiness()["write_buffer"]["kinds"]["probe"]["pending"] == 3
    finally:
        for field in observability.GAUGES:
            unregister_gauge_callback(f"schools24_write_buffer_{field}")


# --- the upsert helper ------------------------------------------------------------------------
@pytest.fixture
def probe_mark():
    """A model shaped like the attendance mark to come (UUID pk, created/updated, JSON), in an
    isolated app registry so it never reaches migrations; its table lives in the test's
    transaction."""
    with isolate_apps("apps.core"):

        class ProbeMark(TimeStampedModel):
            school_id = models.IntegerField()
            student_id = models.IntegerField()
            day = models.DateField()
            status = models.CharField(max_length=40)
            detail = models.JSONField(default=dict)
            ts = models.BigIntegerField()

            class Meta:
                app_label = "core"
                db_table = "buffer_probe_mark"
                constraints = [
                    models.UniqueConstraint(
                        fields=["school_id", "student_id", "day"], name="probe_mark_key"
                    )
                ]

            def __str__(self) -> str:
                return f"{self.school_id}/{self.student_id}/{self.day}"

        with connection.schema_editor() as editor:
            editor.create_model(ProbeMark)
        yield ProbeMark


TRICKY = ["tab\there", "new\nline", "back\\slash", "\\N", "", "ünïcødé ✓", "cr\rlf", None]


@pytest.mark.parametrize("path", ["values", "copy"])
def test_upsert_for_model_defaults_types_and_newer_wins(path, school, probe_mark):
    ProbeMark = probe_mark
    apply = buffer.Upsert.for_model(
        ProbeMark,
        ("school_id", "student_id", "day"),
        "ts",
        copy_min_rows=1 if path == "copy" else None,
    )
    assert set(apply.update_columns) == {"status", "detail", "ts", "updated_at"}
    assert set(apply.columns) == {*apply.update_columns, "id", "created_at", *apply.key_fields}
    records = [
        {
            "school_id": school,
            "student_id": i,
            "day": "2025-02-03",
            "status": TRICKY[i % len(TRICKY)] or "",
            "detail": [{"note": TRICKY[i % len(TRICKY)]}, "a json string", 3, {"n": None}][i % 4],
            "ts": 100 + i,
        }
        for i in range(40)
    ]
    records.append({**records[5], "status": "dup, older", "ts": 1})  # same key, older: ignored
    assert apply(records) == 40
    stored = {m.student_id: m for m in ProbeMark.objects.filter(school_id=school)}
    assert len(stored) == 40 and len({m.id for m in stored.values()}) == 40
    for r in records[:40]:
        mark = stored[r["student_id"]]
        assert (mark.status, mark.detail, mark.ts, mark.day.isoformat()) == (
            r["status"],
            r["detail"],
            r["ts"],
            r["day"],
        )
        assert mark.created_at == mark.updated_at

    newer = [{**r, "status": "late", "ts": r["ts"] + 1} for r in records[:10]]
    assert apply(newer + records[10:40]) == 10  # the unchanged 30 are replays: no-ops
    again = {m.student_id: m for m in ProbeMark.objects.filter(school_id=school)}
    for i in range(10):
        assert again[i].status == "late" and again[i].id == stored[i].id
        assert again[i].created_at == stored[i].created_at < again[i].updated_at
    assert again[20].updated_at == stored[20].updated_at


# --- 7. never KEYS ---------------------------------------------------------------------------
def test_the_buffer_never_uses_keys():
    """Besides the autouse guard on redis.Redis.keys: no KEYS call anywhere in the sources."""
    sources = sorted((ROOT / "apps/core/buffer").glob("*.py")) + [
        ROOT / "apps/core/tasks.py",
        ROOT / "apps/core/management/commands/flush_write_buffer.py",
    ]
    for path in sources:
        text = path.read_text()
        assert not re.search(r"\.keys\(", text), path
        assert not re.search(r"""call\(\s*['"]KEYS['"]""", text, re.I), path
        assert not re.search(r"""execute_command\(\s*['"]KEYS""", text, re.I), path


# --- the admin page ---------------------------------------------------------------------------
def test_admin_buffer_page_shows_backlog_and_queues_a_flush(client, school, cast):
    from apps.accounts.tests.factories import UserFactory

    buffer.put_many("probe", probe.records(school, 4, 1))
    root = UserFactory(school=None, is_superuser=True, is_staff=True, email="root@ops.test")
    client.force_login(root)
    page = client.get("/admin/write-buffer/")
    assert page.status_code == 200
    row = next(r for r in page.context["rows"] if r["kind"] == "probe")
    assert row["pending"] == 4 and row["oldest_age_seconds"] is not None
    assert client.post("/admin/write-buffer/").status_code == 302  # eager Celery: flushed now
    assert buffer.stats()["probe"]["pending"] == 0
    assert len(probe.rows(school)) == 4
    client.force_login(cast.admin)  # a school admin is not a platform operator
    assert client.get("/admin/write-buffer/").status_code == 403


# --- 8. Redis round trips and memory ------------------------------------------------------------
@pytest.mark.parametrize("kind", ["probe", "probe_keyed"])
def test_redis_round_trips_per_write_and_read_do_not_grow_with_the_records(kind, school):
    """A put_many is one round trip and a read of a key or a group one, however many records:
    one pipelined EVALSHA per shard, never a command per record (nor redis-py's SCRIPT EXISTS).
    The first calls warm the process (scripts loaded, eviction policy and old layout checked)."""
    buffer.put_many(kind, probe.records(school, 2, 1))
    buffer.pending(kind, school_id=school, day=probe.START.isoformat())
    counts = {}
    for students, days in ((1, 1), (40, 2), (300, 4)):
        records = probe.records(school, students, days, status=f"s{students}")
        with redis_round_trips() as write:
            buffer.put_many(kind, records)
        with redis_round_trips() as group_read:
            group = buffer.pending(kind, school_id=school, day=records[-1]["day"])
        with redis_round_trips() as key_read:
            one = buffer.pending(kind, **{f: records[-1][f] for f in KEY})
        assert len(group) == max(students, 2) and one[0]["status"] == f"s{students}"
        counts[students * days] = (len(write), len(group_read), len(key_read))
    assert counts == {1: (1, 1, 1), 80: (1, 1, 1), 1200: (1, 1, 1)}


def test_uuid5_text_is_the_text_of_uuid5():
    namespace = uuid.UUID("5f3c1f2e-7a43-4c1b-9a59-2d0c4b1e8a11")
    for name in ("", "a|b|2025-01-06|", "ünïcødé ✓|" * 20, str(uuid.uuid4())):
        assert buffer.uuid5_text(namespace, name) == str(uuid.uuid5(namespace, name))


def test_pending_records_stay_in_listpack_encoded_hashes(ns, school):
    """The memory property: thousands of pending records live in small hashes Redis keeps as
    listpacks (a few bytes per field instead of a hashtable entry each). 150 students x 20 days
    is one hash per day for `probe` (by group) and 16 x 256 buckets for `probe_keyed` (by key),
    each with its group index."""
    stored = buffer.put_many("probe", probe.records(school, 150, 20))
    stored += buffer.put_many("probe_keyed", probe.records(school, 150, 20))
    usage, _keys, encodings = redis_memory(buffer.get_client(), f"{ns}:*")
    assert list(encodings) == [("hash", "listpack")], encodings
    assert encodings[("hash", "listpack")] > 1000
    assert usage / len(stored) < 150, usage / len(stored)  # key-sharded: buckets half empty


# --- 9. records pending in the layout before buckets -------------------------------------------
def put_old_layout(kind: str, records: list[dict]) -> list[dict]:
    """Write `records` exactly as the previous release's put script did (apps.core.buffer.legacy):
    B:p key -> codec(JSON), B:t key -> ts, B:a first write, B:gs and B:g:<group> the index."""
    from apps.core.buffer import legacy
    from apps.core.buffer.records import encode_fields, encode_record, prepare

    k = buffer.get_kind(kind)
    client = buffer.get_client()
    stored = [prepare(k, r) for r in records]
    for record in stored:
        old = legacy.old_keys(k, legacy.old_shard_of(k, record))
        key = encode_fields(record, k.key_fields)
        group = encode_fields(record, k.group_fields)
        client.hset(old.p, key, encode_record(record))
        client.hset(old.t, key, record["ts"])
        client.set(old.a, int(time.time() * 1000), nx=True)
        client.sadd(f"{old.base}:g:{group}", key)
        client.sadd(old.gs, group)
    return stored


@pytest.mark.parametrize("kind", ["probe", "probe_keyed"])
def test_records_pending_in_the_old_layout_are_read_and_flushed(kind, ns, school):
    """At the deploy, records pending in the old layout (and a snapshot an old flusher left)
    are counted, read with the new ones (newest per key wins), and flushed exactly once."""
    from apps.core.buffer import legacy

    old = put_old_layout(kind, probe.records(school, 20, 3, status="O"))
    k = buffer.get_kind(kind)
    client = buffer.get_client()
    # An old flusher died after handing one shard off: its snapshot is left.
    shard = legacy.old_shard_of(k, old[0])
    keys = legacy.old_keys(k, shard)
    client.set(f"{keys.base}:lock", "old-flusher", px=60_000)
    handed = script_call(client, "legacy_begin", [f"{keys.base}:lock", keys.p], ["old-flusher"])
    assert handed == [b"fresh"]
    client.delete(f"{keys.base}:lock")
    # New writes: newer values for the first day's keys, older ones for the second day's.
    newer = buffer.put_many(kind, [{**r, "status": "N", "ts": None} for r in old[:20]])
    older = [{**r, "status": "X", "ts": r["ts"] - 1} for r in old[20:40]]
    buffer.put_many(kind, older)
    expected = expected_of(old) | expected_of(newer)

    figures = buffer.stats(kind)[kind]
    assert figures["pending"] + figures["flushing"] == 60 + 40  # records, in either layout
    assert figures["flushing"] == len([r for r in old if legacy.old_shard_of(k, r) == shard])
    for day in {r["day"] for r in old}:
        seen = buffer.pending(kind, school_id=school, day=day)
        assert {probe.key_of(r): (r["status"], r["note"], r["ts"]) for r in seen} == {
            key: value for key, value in expected.items() if key[2] == day
        }
    one = buffer.pending(kind, **{f: old[25][f] for f in KEY})
    assert [r["status"] for r in one] == ["O"]

    result = buffer.flush(kind)
    assert table_state(school) == expected
    # One change per value that reached Postgres: the old ones once, the newer ones once more.
    writes = {key: v["writes"] for key, v in probe.rows(school).items()}
    assert writes == {probe.key_of(r): 2 if r in old[:20] else 1 for r in old}
    assert result.dead == 0
    assert namespace_keys(ns) == []
    legacy.forget(k)
    assert not legacy.present(k)


def script_call(client, name: str, keys: list[str], args: list) -> list:
    from apps.core.buffer.scripts import pipelined

    base = keys[0].rsplit(":", 1)[0]
    return pipelined(client, [(name, keys, [*args, base])])


def test_a_put_reads_its_group_back_in_the_same_round_trip(school):
    group = {"school_id": school, "day": probe.START.isoformat()}
    earlier = buffer.put_many("probe", probe.records(school, 4, 1, status="P"))
    assert len(buffer.pending("probe", **group)) == 4  # (and the old layout's check is done)
    rewrite = [{**earlier[0], "status": "A", "ts": None}]
    with redis_round_trips() as trips:
        stored = buffer.put_many("probe", rewrite, read_back=group)
    assert len(trips) == 1  # the put and the read in one pipeline
    # What a separate read answers now: the group's records, the rewrite included.
    assert sorted(stored.pending, key=probe.key_of) == sorted(
        buffer.pending("probe", **group), key=probe.key_of
    )
    assert {probe.key_of(r): r["status"] for r in stored.pending}[probe.key_of(earlier[0])] == "A"
    assert len(stored.pending) == 4
    # overlay with them reads no Redis: only the rows
    with redis_round_trips() as trips:
        rows = buffer.overlay("probe", [], pending_records=stored.pending, **group)
    assert trips == [] and len(rows) == 4


def test_a_put_written_through_has_nothing_read_back(settings, school):
    settings.BATCH_PROCESSOR_REDIS_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    buffer.reset_client()
    group = {"school_id": school, "day": probe.START.isoformat()}
    stored = buffer.put_many("probe", probe.records(school, 2, 1), read_back=group)
    assert not stored.buffered and stored.pending is None  # then the caller reads as usual
