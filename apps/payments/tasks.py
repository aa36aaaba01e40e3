"""Celery tasks of online payments: thin adapters over `apps.payments.services`, safe to run
twice."""

from __future__ import annotations

import logging

from celery import shared_task

from apps.core.periodic import PeriodicSchedule

logger = logging.getLogger("schools24.payments")

PROCESS_EVENT_TASK = "apps.payments.tasks.process_webhook_event"
RECONCILE_TASK = "apps.payments.tasks.reconcile_orders"
RECEIPT_TASK = "apps.payments.tasks.send_online_receipt"


@shared_task(name=PROCESS_EVENT_TASK, acks_late=True, soft_time_limit=60, time_limit=90)
def process_webhook_event(event_id: int) -> str:
    """Act on a stored webhook event (`services.event_process`); a processed one is skipped."""
    from .services import event_process

    return event_process(event_id=event_id).outcome


@shared_task(name=RECONCILE_TASK, acks_late=True, soft_time_limit=540, time_limit=600)
def reconcile_orders() -> dict[str, int]:
    """Ask the gateways about orders still pending (`services.orders_reconcile`)."""
    from .services import orders_reconcile

    counts = orders_reconcile()
    if counts["checked"]:
        logger.info("Reconciled payment orders: %s", counts)
    return counts


@shared_task(name=RECEIPT_TASK, acks_late=True, soft_time_limit=60, time_limit=90,
             autoretry_for=(OSError,), retry_backoff=True, max_retries=5)  # fmt: skip
def send_online_receipt(order_id: str) -> bool:
    """Render the receipt of a paid order's payment (once) and e-mail it to the payer."""
    from .services import order_send_receipt

    return order_send_receipt(order_id=order_id)


RECONCILE_SCHEDULE = PeriodicSchedule(
    name="reconcile payment orders",
    task=RECONCILE_TASK,
    interval_setting="PAYMENTS_RECONCILE_INTERVAL",
    description="Asks the gateways about orders pending longer than PAYMENTS_RECONCILE_AFTER; "
    "credits captured payments, flags authorized ones, expires abandoned orders. "
    "Interval: PAYMENTS_RECONCILE_INTERVAL.",
)
