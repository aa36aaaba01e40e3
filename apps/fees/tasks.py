"""Celery tasks of the fee office: thin adapters over `apps.fees.services`, safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from apps.core.periodic import PeriodicSchedule

logger = logging.getLogger("schools24.fees")

GENERATE_INVOICES_TASK = "apps.fees.tasks.generate_invoices"
LATE_FINES_TASK = "apps.fees.tasks.apply_late_fines"
REMINDERS_TASK = "apps.fees.tasks.send_fee_reminders"
RECEIPT_PDF_TASK = "apps.fees.tasks.render_counter_receipt"


@shared_task(name=GENERATE_INVOICES_TASK, acks_late=True, soft_time_limit=540, time_limit=600)
def generate_invoices(job_id: str) -> None:
    """Run an invoice generation job (`services.invoices_generate_run`). A job already
    finished is not run again; students already invoiced for the installment are skipped."""
    from .services import invoices_generate_run

    invoices_generate_run(job_id=job_id)


@shared_task(name=LATE_FINES_TASK, acks_late=True, soft_time_limit=540, time_limit=600)
def apply_late_fines() -> int:
    """Bring every overdue invoice's late-fine line up to date (idempotent for a given day)."""
    from .services import late_fines_apply

    changed = late_fines_apply()
    if changed:
        logger.info("Late fines updated on %d invoices", changed)
    return changed


@shared_task(name=RECEIPT_PDF_TASK, acks_late=True, soft_time_limit=60, time_limit=90)
def render_counter_receipt(payment_id: str) -> None:
    """Render and store a counter payment's receipt PDF (once: a stored one is kept)."""
    from .models import Receipt
    from .receipts import receipt_pdf

    receipt_pdf(receipt_id=Receipt.objects.values_list("pk", flat=True).get(payment_id=payment_id))


LATE_FINE_SCHEDULE = PeriodicSchedule(
    name="apply late fines",
    task=LATE_FINES_TASK,
    interval_setting="FEES_LATE_FINE_INTERVAL",
    description="Adds or updates the late-fine line of overdue invoices. "
    "Interval: FEES_LATE_FINE_INTERVAL.",
)


@shared_task(name=REMINDERS_TASK, acks_late=True, soft_time_limit=540, time_limit=600)
def send_fee_reminders() -> int:
    """Send the fee reminders due now (`services.fee_reminders_send`); each goes out once."""
    from .services import fee_reminders_send

    sent = fee_reminders_send()
    if sent:
        logger.info("Fee reminders sent for %d invoices", sent)
    return sent


REMINDER_SCHEDULE = PeriodicSchedule(
    name="send fee reminders",
    task=REMINDERS_TASK,
    interval_setting="FEES_REMINDER_INTERVAL",
    description="Reminds parents and students of fees before the due date, on it and while "
    "overdue (each reminder once). Interval: FEES_REMINDER_INTERVAL.",
)
