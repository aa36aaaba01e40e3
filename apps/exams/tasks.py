"""Celery tasks of exams: thin adapters over `apps.exams.services`, safe to run twice (a
finished job is not run again)."""

from __future__ import annotations

from celery import shared_task

COMPUTE_TASK = "apps.exams.tasks.compute_results"
GENERATE_TASK = "apps.exams.tasks.generate_report_cards"


@shared_task(name=COMPUTE_TASK, acks_late=True, soft_time_limit=540, time_limit=600)
def compute_results(job_id: str) -> None:
    """Compute a class's results for a term (`services.results_compute_run`)."""
    from .services import results_compute_run

    results_compute_run(job_id=job_id)


@shared_task(name=GENERATE_TASK, acks_late=True, soft_time_limit=1740, time_limit=1800)
def generate_report_cards(job_id: str) -> None:
    """Render a section's report cards (`services.cards_generate_run`)."""
    from .services import cards_generate_run

    cards_generate_run(job_id=job_id)
