"""The fee office's Celery tasks and beat entry, and crediting one gateway payment from three
concurrent deliveries."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django_celery_beat.models import PeriodicTask

from apps.fees import services, tasks
from apps.fees.models import Invoice, Payment
from apps.fees.tests.conftest import issue
from apps.fees.tests.factories import LateFineRuleFactory


def test_the_late_fine_task_runs_daily_from_beat(cast, office):
    from apps.core.periodic import install

    install(tasks.LATE_FINE_SCHEDULE)
    entry = PeriodicTask.objects.get(name="apply late fines")
    assert entry.task == tasks.LATE_FINES_TASK and entry.interval.every == 86400
    office.structure.late_fine_rule = LateFineRuleFactory(school=cast.school, kind="flat",
                                                          amount=Decimal("250"), grace_days=0)  # fmt: skip
    office.structure.save()
    issue(office)
    with time_machine.travel(dt.datetime(2026, 4, 20, 6, tzinfo=dt.UTC), tick=False):
        assert tasks.apply_late_fines.delay().get() == 3
        assert tasks.apply_late_fines.delay().get() == 0  # idempotent within the day
    assert Invoice.objects.get(student=cast.student).fine_total == Decimal("250")


@pytest.mark.django_db(transaction=True)
def test_three_concurrent_credits_of_one_gateway_payment_make_one_payment(cast, office):
    issue(office)
    invoice = Invoice.objects.get(student=cast.student)
    barrier = threading.Barrier(3)
    results, errors = [], []

    def credit():
        try:
            barrier.wait(timeout=30)
            results.append(
                services.payment_record_online(
                    school=cast.school,
                    gateway="razorpay",
                    gateway_payment_id="pay_RACE",
                    amount=Decimal("1000.00"),
                    student=cast.student,
                    allocations=[{"invoice": invoice}],
                )  # fmt: skip
            )
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=credit) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sorted(created for _, created in results) == [False, False, True]
    assert Payment.objects.count() == 1
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("1000.00")
