"""Fee heads priced per student by another app (`FeeHead.pricing`), without fees importing it.

An app that knows what a student owes for a period registers a pricer for its source in its
`AppConfig.ready()` (transport does: `apps.transport.apps`). Invoice generation asks the pricer
once per structure and installment for all the students being invoiced, so the pricer must
answer in a number of queries that does not depend on the number of students. A student
missing from the answer (or priced at zero) gets no line of that head. With no pricer
registered for a source (its app is not installed), nobody is billed that head."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, Protocol


class Pricer(Protocol):
    def __call__(
        self, *, school_id: Any, student_ids: Sequence[Any], start: dt.date, end: dt.date
    ) -> dict[Any, Decimal]: ...


_pricers: dict[str, Callable[..., dict[Any, Decimal]]] = {}


def register(source: str, pricer: Pricer) -> None:
    """Make `pricer` the one that prices heads of `source` (a `HeadPricing` value)."""
    _pricers[source] = pricer


def price(
    source: str, *, school_id: Any, student_ids: Sequence[Any], start: dt.date, end: dt.date
) -> dict[Any, Decimal]:
    """What each student owes for [start, end] under `source`: {student id: amount > 0}."""
    pricer = _pricers.get(source)
    if pricer is None or not student_ids:
        return {}
    amounts = pricer(school_id=school_id, student_ids=list(student_ids), start=start, end=end)
    return {student_id: amount for student_id, amount in amounts.items() if amount > 0}
