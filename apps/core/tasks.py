"""Celery tasks of apps.core: the write-behind buffer flush (routed to the `buffer` queue by
CELERY_TASK_ROUTES' ``apps.core.tasks.flush_*``), and the code that installs its schedule."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

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


def install_periodic_tasks(apps=None, using: str = "default") -> None:
    """Install (or update) the beat entry that flushes the buffer every BATCH_PROCESSOR_INTERVAL s.

    `apps` is a migration's app registry (historical models) or None for the real models.
    Idempotent: the row is matched by name; its interval follows the current setting, while an
    operator's `enabled` switch in the admin is left alone. Called by migration
    core.0002_install_buffer_flush_schedule, and meant for a post_migrate hook so a changed
    BATCH_PROCESSOR_INTERVAL takes effect on the next `migrate`.
    """
    from django.utils import timezone

    if apps is None:
        from django.apps import apps
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")

    every = max(int(settings.BATCH_PROCESSOR_INTERVAL), 1)
    schedule, _ = IntervalSchedule.objects.using(using).get_or_create(every=every, period="seconds")
    task, created = PeriodicTask.objects.using(using).get_or_create(
        name=FLUSH_PERIODIC_TASK_NAME,
        defaults={
            "task": FLUSH_TASK,
            "interval": schedule,
            "kwargs": "{}",
            "enabled": True,
            "description": "Writes the Redis write-behind buffer (attendance, quiz autosave) "
            "to Postgres. Interval: BATCH_PROCESSOR_INTERVAL.",
        },
    )
    changed = created
    if not created and (
        task.task != FLUSH_TASK or task.interval_id != schedule.pk or task.crontab_id is not None
    ):
        task.task, task.interval, task.crontab = FLUSH_TASK, schedule, None
        task.save(update_fields=["task", "interval", "crontab"])
        changed = True
    if changed:
        # Historical models send no signals: tell the DatabaseScheduler to reload by hand.
        PeriodicTasks.objects.using(using).update_or_create(
            ident=1, defaults={"last_update": timezone.now()}
        )
        logger.info("Installed periodic task %r every %d s", FLUSH_PERIODIC_TASK_NAME, every)


def install_periodic_tasks_after_migrate(sender=None, using: str = "default", **kwargs) -> None:
    """A post_migrate receiver: re-install the beat entry so a changed BATCH_PROCESSOR_INTERVAL
    takes effect on the next `migrate`. Does nothing until django_celery_beat's tables exist."""
    from django.db import connections

    if "django_celery_beat_periodictask" not in connections[using].introspection.table_names():
        return
    install_periodic_tasks(using=using)
