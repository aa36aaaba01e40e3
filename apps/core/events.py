"""The one-line hook a domain service tells people through: `notify_on_commit`.

    from apps.core.events import notify_on_commit
    ...
    notify_on_commit("quizzes.published", quiz)

After the surrounding transaction commits (never for a rolled-back change), the task
`apps.notifications.tasks.raise_event` runs the kind's builder (registered in
`apps/notifications/registry.py`), which picks the recipients and writes the texts, and
`notify` sends them with an idempotency key per object and event: raising the same event
twice tells nobody twice. Keyword `params` (JSON values) travel with it, for what the builder
cannot read back (a deleted object's title). The task is named by string, so `apps.core` and
the domains import nothing of the notifications app.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

logger = logging.getLogger("schools24.notifications")

RAISE_TASK = "apps.notifications.tasks.raise_event"


def notify_on_commit(kind: str, subject: Any, **params: Any) -> None:
    """Raise the event `kind` about `subject` (a model instance or its id) after commit."""
    object_id = str(getattr(subject, "pk", subject))
    transaction.on_commit(lambda: _raise(kind, object_id, params))


def _raise(kind: str, object_id: str, params: dict) -> None:
    from .queue import enqueue

    try:
        enqueue(RAISE_TASK, kind, object_id, params)
    except Exception:  # a broker outage must not turn a committed request into an error
        logger.exception("Could not queue the %s event of %s", kind, object_id)
