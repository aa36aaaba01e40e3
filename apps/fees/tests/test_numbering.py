"""Receipt numbers under concurrency: 20 payments in parallel threads, real transactions."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from apps.accounts.tests.factories import StudentFactory
from apps.fees import services
from apps.fees.models import Receipt


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_receipts_get_twenty_consecutive_numbers(cast, monkeypatch):
    # Twenty different students, so nothing but the sequence's row lock orders the payments.
    # The receipts' PDFs (a Celery task, run in each thread in eager mode) are not what this
    # test is about: twenty renders at once only starve the thread holding the lock of CPU.
    monkeypatch.setattr("apps.fees.receipts.receipt_pdf", lambda **kwargs: None)
    students = [StudentFactory(school=cast.school) for _ in range(20)]
    barrier = threading.Barrier(20)
    errors = []

    def pay(student):
        try:
            barrier.wait(timeout=30)
            services.payment_record_counter(
                school=cast.school, actor=cast.admin, student=student,
                mode="card_upi", amount=Decimal("10.00"),
            )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(s,)) for s in students]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    numbers = sorted(Receipt.objects.values_list("number", flat=True))
    fy = numbers[0].split("/")[1]
    assert numbers == [f"RCT/{fy}/{n:06d}" for n in range(1, 21)]


@pytest.mark.django_db(transaction=True)
def test_two_siblings_paying_cash_at_once_cannot_pass_the_family_limit(cast, settings, monkeypatch):
    """No payer named: the family is the payer. Each payment alone is under the limit, both
    together are not; whichever commits second must see the first (the family's rows are
    locked, not only the paying student's)."""
    monkeypatch.setattr("apps.fees.receipts.receipt_pdf", lambda **kwargs: None)
    settings.FEES_CASH_DAILY_LIMIT = Decimal("1000")
    barrier = threading.Barrier(2)
    outcomes = []

    def pay(student):
        try:
            barrier.wait(timeout=30)
            services.payment_record_counter(
                school=cast.school, actor=cast.admin, student=student,
                mode="cash", amount=Decimal("600.00"),
            )  # fmt: skip
            outcomes.append("paid")
        except Exception as exc:  # noqa: BLE001 - reported below
            outcomes.append(getattr(exc, "code", repr(exc)))
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(s,)) for s in (cast.student, cast.sibling)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["cash_limit", "paid"]
    assert Receipt.objects.count() == 1
