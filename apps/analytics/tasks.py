"""Celery tasks of analytics: thin adapters over `apps.analytics.services`, safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from apps.core.periodic import PeriodicSchedule

logger = logging.getLogger("schools24.analytics")

ROLLUP_TASK = "apps.analytics.tasks.rollup_nightly"
EXPORT_TASK = "apps.analytics.tasks.export_report"


@shared_task(name=ROLLUP_TASK, acks_late=True, soft_time_limit=1700, time_limit=1800)
def rollup_nightly() -> dict:
    """Upsert the daily rollups of every school's last days (idempotent)."""
    from .services import rollup_nightly as run

    totals = run()
    logger.info("Rollups: %s", totals)
    return totals


@shared_task(name=EXPORT_TASK, acks_late=True, soft_time_limit=1700, time_limit=1800)
def export_report(job_id: str) -> None:
    """Render a big report export into the job's file and tell the requester."""
    from .services.exports import export_job_run

    export_job_run(job_id)


ROLLUP_SCHEDULE = PeriodicSchedule(
    name="analytics rollups",
    task=ROLLUP_TASK,
    interval_setting="ANALYTICS_ROLLUP_INTERVAL",
    description="Upserts the daily rollups (attendance, fee collection, assessments, "
    "notification deliveries) of the last ANALYTICS_ROLLUP_DAYS days of every school. "
    "Interval: ANALYTICS_ROLLUP_INTERVAL.",
)
