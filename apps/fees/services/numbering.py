"""Gap-free document numbers per school x document type x financial year.

The sequence row is created if missing (INSERT ... ON CONFLICT DO NOTHING, so two first
numbers at once do not clash), then locked (SELECT ... FOR UPDATE) and advanced in the caller's
transaction: a rolled-back document gives its number back, and concurrent callers queue on the
lock, so the numbers that exist are consecutive.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.services import refuse

from ..models import DocumentSequence
from .calc import document_number, financial_year

MAX_NUMBER = 999_999  # six digits keep a number within 16 characters


def take_numbers(*, school_id, doc_type: str, on: dt.date, count: int = 1) -> list[str]:
    """`count` consecutive numbers of `doc_type` for the financial year of `on`. Must run
    inside the transaction that writes the documents."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("take_numbers() must run inside the document's transaction")
    fy = financial_year(on)
    DocumentSequence.objects.bulk_create(
        [DocumentSequence(school_id=school_id, doc_type=doc_type, financial_year=fy)],
        ignore_conflicts=True,
    )
    sequence = DocumentSequence.objects.select_for_update().get(
        school_id=school_id, doc_type=doc_type, financial_year=fy
    )
    first = sequence.last_number + 1
    last = sequence.last_number + count
    if last > MAX_NUMBER:
        raise refuse(
            _("The numbers of this document type are used up for the financial year."),
            code="numbers_exhausted",
        )
    DocumentSequence.objects.filter(pk=sequence.pk).update(last_number=last)
    return [document_number(doc_type, fy, n) for n in range(first, last + 1)]


def take_number(*, school_id, doc_type: str, on: dt.date) -> str:
    return take_numbers(school_id=school_id, doc_type=doc_type, on=on, count=1)[0]
