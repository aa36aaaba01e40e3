"""Celery tasks of homework: thin adapters over `apps.homework.services`, safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from apps.core.periodic import PeriodicSchedule

logger = logging.getLogger("schools24.homework")

PUBLISH_TASK = "apps.homework.tasks.publish_scheduled"
DIGEST_TASK = "apps.homework.tasks.daily_round"
ZIP_TASK = "apps.homework.tasks.build_submissions_zip"

PUBLISH_SCHEDULE = PeriodicSchedule(
    name="homework: publish scheduled homework",
    task=PUBLISH_TASK,
    interval_setting="HOMEWORK_PUBLISH_INTERVAL",
    description="Publishes scheduled homework whose time has come.",
)
DIGEST_SCHEDULE = PeriodicSchedule(
    name="homework: missing work and family digest",
    task=DIGEST_TASK,
    interval_setting="HOMEWORK_DIGEST_INTERVAL",
    description="Marks work missing after the cut-off and sends each family one digest a day.",
)


@shared_task(name=PUBLISH_TASK, acks_late=True, soft_time_limit=60, time_limit=90)
def publish_scheduled() -> int:
    from .services import scheduled_publish

    return scheduled_publish()


@shared_task(name=DIGEST_TASK, acks_late=True, soft_time_limit=540, time_limit=600)
def daily_round() -> dict:
    """Mark missing work, then send the day's digests (each family once a day)."""
    from .services import families_digest_send, missing_mark

    marked = missing_mark()
    sent = families_digest_send()
    if marked or sent:
        logger.info("Homework: %d marked missing, %d digests", marked, sent)
    return {"missing": marked, "digests": sent}


@shared_task(name=ZIP_TASK, acks_late=True, soft_time_limit=540, time_limit=600)
def build_submissions_zip(job_id: str) -> None:
    from .services import submissions_zip_run

    submissions_zip_run(job_id=job_id)
