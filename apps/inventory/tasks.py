"""Celery tasks of the stores: thin adapters over `apps.inventory.services`, safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from apps.core.periodic import PeriodicSchedule

logger = logging.getLogger("schools24.inventory")

LOW_STOCK_TASK = "apps.inventory.tasks.check_stock"


@shared_task(name=LOW_STOCK_TASK, acks_late=True, soft_time_limit=540, time_limit=600)
def check_stock() -> dict:
    """Compare stock with reorder levels (draft purchase orders, one alert per item and store
    until it recovers) and tell borrowers about overdue returns (each issue once)."""
    from .services import low_stock_check, overdue_returns_notify

    low = low_stock_check()
    overdue = overdue_returns_notify()
    if low["alerts"] or overdue:
        logger.info("Stock check: %s, %d overdue issues notified", low, overdue)
    return {**low, "overdue_notified": overdue}


LOW_STOCK_SCHEDULE = PeriodicSchedule(
    name="check stock levels",
    task=LOW_STOCK_TASK,
    interval_setting="INVENTORY_LOW_STOCK_INTERVAL",
    description="Opens draft purchase orders for items at or below their reorder level, tells "
    "the store manager once per item until it recovers, and reminds borrowers of overdue "
    "returns. Interval: INVENTORY_LOW_STOCK_INTERVAL.",
)
