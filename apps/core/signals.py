"""Signals beneath every app.

`school_data_changed` is sent (after the writing transaction commits) by the domain services whose
writes change a school's figures: an attendance register marked or flushed, a payment received, a
result published, homework set, changed, turned in or graded, a quiz published or its results
released, a calendar event added, changed or removed, a stock movement, a bus trip started or
ended.
Upper layers (the dashboards' cache) listen; the domains never import them.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

# Arguments: school_id, domain (the app label of the writer, e.g. "fees").
school_data_changed = Signal()


def announce_change(school_id, domain: str) -> None:
    """Send `school_data_changed` once the current transaction commits (at once outside one)."""
    if school_id is None:
        return
    transaction.on_commit(
        lambda: school_data_changed.send(sender=domain, school_id=school_id, domain=domain)
    )
