"""Enqueueing a Celery task from a service, by the task's name.

A task is a thin adapter over a service (`apps/<app>/tasks.py` imports its services); a service
that needs work done later names the task here instead of importing the tasks module, so no
module imports the layer above it. The task is found in the Celery app's registry (filled by
autodiscovery on first use), so eager mode in tests runs it as before.
"""

from __future__ import annotations

from typing import Any


def task(name: str):
    """The registered task `name` (its dotted path, e.g. "apps.core.tasks.flush_write_buffer")."""
    from celery import current_app

    if name not in current_app.tasks:
        # A web process has not imported the tasks modules: autodiscovery imports every
        # installed app's `tasks` (what a worker does at start).
        current_app.loader.import_default_modules()
    return current_app.tasks[name]


def enqueue(name: str, *args: Any, **kwargs: Any):
    """`task(name).delay(*args, **kwargs)`."""
    return task(name).delay(*args, **kwargs)


def enqueue_on_commit(name: str, *args: Any, **kwargs: Any) -> None:
    """`enqueue` once the current transaction commits (at once outside one), so the task never
    looks for rows that are not there yet."""
    from django.db import transaction

    transaction.on_commit(lambda: enqueue(name, *args, **kwargs))
