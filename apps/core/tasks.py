"""Celery tasks of apps.core: the write-behind buffer flush (routed to the `buffer` queue by
CELERY_TASK_ROUTES' ``apps.core.tasks.flush_*``), and the code that installs its schedule."""

from __future__ import annotations

import logging

from celery import shared_task

from .periodic import PeriodicSchedule, install

logger = logging.getLogger("schools24.buffer")

FLUSH_TASK = "apps.core.tasks.flush_write_buffer"
FLUSH_PERIODIC_TASK_NAME = "flush write-behind buffer"
FLUSH_SOFT_TIME_LIMIT = 840
FLUSH_TIME_LIMIT = 900


@shared_task(
    name=FLUSH_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=FLUSH_SOFT_TIME_LIMIT,
    time_limit=FLUSH_TIME_LIMIT,
    ignore_result=True,
)
def flush_write_buffer(kind: str | None = None) -> dict[str, dict]:
    """Flush one kind (or every registered kind when None) of the write-behind buffer.

    Idempotent: running it twice, or concurrently with another flush, writes nothing twice
    (shards another flusher holds are skipped; a snapshot a killed worker left is finished).
    acks_late + reject_on_worker_lost: a worker killed mid-flush gets the task redelivered, and
    the next run finishes the snapshot it left. The hard time limit kills the child, which is
    just such a crash; the lock then expires after BATCH_PROCESSOR_LOCK_TTL.
    """
    from apps.core import buffer

    if kind:
        results = {kind: buffer.flush(kind)}
    else:
        results = buffer.flush_all()
    return {
        name: {
            "records": r.records,
            "written": r.written,
            "shards": r.shards,
            "skipped": r.skipped,
            "dead": r.dead,
            "seconds": round(r.seconds, 3),
        }
        for name, r in results.items()
    }


FLUSH_SCHEDULE = PeriodicSchedule(
    name=FLUSH_PERIODIC_TASK_NAME,
    task=FLUSH_TASK,
    interval_setting="BATCH_PROCESSOR_INTERVAL",
    description="Writes the Redis write-behind buffer (attendance, quiz autosave) to Postgres. "
    "Interval: BATCH_PROCESSOR_INTERVAL.",
)


def install_periodic_tasks(using: str = "default") -> None:
    """Install (or update) the buffer flush's beat entry now (`apps.core.periodic.install`)."""
    install(FLUSH_SCHEDULE, using=using)
