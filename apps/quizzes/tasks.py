"""Celery tasks of the quizzes app: submitting attempts whose deadline has passed, and the code
that installs its beat schedule (as apps.core does for the buffer flush)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

logger = logging.getLogger("schools24.quizzes")

AUTO_SUBMIT_TASK = "apps.quizzes.tasks.submit_expired_attempts"
AUTO_SUBMIT_PERIODIC_TASK_NAME = "submit expired quiz attempts"


RETRY_DELAY = 30  # seconds before trying again when the pending answers cannot be read
MAX_RETRIES = 3  # then the next beat run tries again


@shared_task(
    bind=True,
    name=AUTO_SUBMIT_TASK,
    acks_late=True,
    soft_time_limit=240,
    time_limit=300,
    ignore_result=True,
    max_retries=MAX_RETRIES,
)
def submit_expired_attempts(self, limit: int = 500) -> int:
    """Submit (and grade, with the answers saved so far) every attempt in progress whose
    deadline passed. Idempotent: a submitted attempt is never submitted again, and two runs at
    once lock each attempt in turn. When the write buffer cannot be read the attempts stay in
    progress and the task is retried (RETRY_DELAY seconds, MAX_RETRIES times; the beat schedule
    runs it again anyway)."""
    from apps.core.exceptions import ServiceUnavailable

    from .services import attempts_submit_expired

    try:
        done = attempts_submit_expired(limit=limit)
    except ServiceUnavailable as exc:
        logger.warning("Auto-submit will retry in %ds: %s", RETRY_DELAY, exc.message)
        raise self.retry(exc=exc, countdown=RETRY_DELAY) from exc
    if done:
        logger.info("Auto-submitted %d expired quiz attempts", done)
    return done


def install_periodic_tasks(apps=None, using: str = "default") -> None:
    """Install (or update) the beat entry running `submit_expired_attempts` every
    QUIZ_AUTOSUBMIT_INTERVAL seconds (60). Idempotent; an operator's `enabled` switch is kept.
    Called by migration quizzes.0002 and after every migrate."""
    from django.utils import timezone

    if apps is None:
        from django.apps import apps
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")

    every = max(int(settings.QUIZ_AUTOSUBMIT_INTERVAL), 1)
    schedule, _ = IntervalSchedule.objects.using(using).get_or_create(every=every, period="seconds")
    task, created = PeriodicTask.objects.using(using).get_or_create(
        name=AUTO_SUBMIT_PERIODIC_TASK_NAME,
        defaults={
            "task": AUTO_SUBMIT_TASK,
            "interval": schedule,
            "kwargs": "{}",
            "enabled": True,
            "description": "Submits quiz attempts whose deadline has passed. "
            "Interval: QUIZ_AUTOSUBMIT_INTERVAL.",
        },
    )
    changed = created
    if not created and (
        task.task != AUTO_SUBMIT_TASK
        or task.interval_id != schedule.pk
        or task.crontab_id is not None
    ):
        task.task, task.interval, task.crontab = AUTO_SUBMIT_TASK, schedule, None
        task.save(update_fields=["task", "interval", "crontab"])
        changed = True
    if changed:
        PeriodicTasks.objects.using(using).update_or_create(
            ident=1, defaults={"last_update": timezone.now()}
        )


def install_periodic_tasks_after_migrate(sender=None, using: str = "default", **kwargs) -> None:
    from django.db import connections

    if "django_celery_beat_periodictask" not in connections[using].introspection.table_names():
        return
    install_periodic_tasks(using=using)
