"""Celery tasks of the quizzes app: submitting attempts whose deadline has passed, and the code
that installs its beat schedule (as apps.core does for the buffer flush)."""

from __future__ import annotations

import logging

from celery import shared_task

from apps.core.periodic import PeriodicSchedule, install

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


AUTO_SUBMIT_SCHEDULE = PeriodicSchedule(
    name=AUTO_SUBMIT_PERIODIC_TASK_NAME,
    task=AUTO_SUBMIT_TASK,
    interval_setting="QUIZ_AUTOSUBMIT_INTERVAL",
    description="Submits quiz attempts whose deadline has passed. "
    "Interval: QUIZ_AUTOSUBMIT_INTERVAL.",
)


def install_periodic_tasks(using: str = "default") -> None:
    """Install (or update) the auto-submit's beat entry now (`apps.core.periodic.install`)."""
    install(AUTO_SUBMIT_SCHEDULE, using=using)
