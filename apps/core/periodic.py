"""Periodic tasks declared in code and installed into django-celery-beat after every migrate.

Each app declares its schedules (`register(PeriodicSchedule(...))` in its AppConfig.ready);
one post_migrate receiver installs them all, so a fresh deploy has them and a changed interval
setting takes effect on the next `migrate`. Migrations install nothing: they would have to
import app code, and post_migrate runs after every migrate anyway.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings

logger = logging.getLogger("schools24.periodic")


@dataclass(frozen=True)
class PeriodicSchedule:
    name: str  # the beat entry's unique name (shown in the admin)
    task: str  # the task's dotted name
    interval_setting: str  # the setting holding the interval in seconds
    description: str


_registry: dict[str, PeriodicSchedule] = {}


def register(schedule: PeriodicSchedule) -> None:
    _registry[schedule.name] = schedule


def registered() -> list[PeriodicSchedule]:
    return list(_registry.values())


def install(schedule: PeriodicSchedule, *, using: str = "default") -> bool:
    """Install or update the beat entry of `schedule`; True when it changed. Idempotent: the
    row is matched by name and its interval follows the setting, while an operator's `enabled`
    switch in the admin is left alone."""
    from django.utils import timezone
    from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

    every = max(int(getattr(settings, schedule.interval_setting)), 1)
    interval, _ = IntervalSchedule.objects.using(using).get_or_create(every=every, period="seconds")
    task, created = PeriodicTask.objects.using(using).get_or_create(
        name=schedule.name,
        defaults={
            "task": schedule.task,
            "interval": interval,
            "kwargs": "{}",
            "enabled": True,
            "description": schedule.description,
        },
    )
    changed = created
    if not created and (
        task.task != schedule.task or task.interval_id != interval.pk or task.crontab_id is not None
    ):
        task.task, task.interval, task.crontab = schedule.task, interval, None
        task.save(update_fields=["task", "interval", "crontab"])
        changed = True
    if changed:
        # Tell the DatabaseScheduler to reload.
        PeriodicTasks.objects.using(using).update_or_create(
            ident=1, defaults={"last_update": timezone.now()}
        )
        logger.info("Installed periodic task %r every %d s", schedule.name, every)
    return changed


def install_all(*, using: str = "default") -> None:
    for schedule in registered():
        install(schedule, using=using)


def install_after_migrate(sender=None, using: str = "default", **kwargs) -> None:
    """The post_migrate receiver (connected once, by apps.core). Does nothing until
    django_celery_beat's tables exist."""
    from django.db import connections

    if "django_celery_beat_periodictask" not in connections[using].introspection.table_names():
        return
    install_all(using=using)
