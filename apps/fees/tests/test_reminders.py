"""Fee reminders through the beat task: the three levels, once each (also from two workers at
once), none for paid or cancelled invoices, constant queries, translated messages."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_celery_beat.models import PeriodicTask

from apps.fees import services, tasks
from apps.fees.models import FeeReminder, Invoice
from apps.fees.tests.conftest import issue
from apps.notifications.models import Notification


def _at(day: dt.date):
    # 06:00 UTC is 11:30 in the school's time zone (Asia/Kolkata): the same calendar day.
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, 6, tzinfo=dt.UTC),
                               tick=False)  # fmt: skip


def _run() -> int:
    return tasks.send_fee_reminders.delay().get()


def test_the_reminder_task_is_installed_for_beat(db):
    from apps.core.periodic import install

    install(tasks.REMINDER_SCHEDULE)
    entry = PeriodicTask.objects.get(name="send fee reminders")
    assert entry.task == tasks.REMINDERS_TASK and entry.interval.every == 3600


def test_reminders_before_on_and_after_the_due_date_once_each(
    cast, office, django_capture_on_commit_callbacks
):
    issue(office)  # three invoices due on 10 April 2026, 5,854.00 each
    paid = Invoice.objects.get(student=cast.student)
    services.payment_record_counter(
        school=cast.school, actor=cast.accountant.user, student=cast.student, mode="cheque",
        amount=Decimal("5854.00"), reference="CHQ 1", allocations=[{"invoice": paid}],
    )  # fmt: skip
    services.invoice_cancel(
        invoice=Invoice.objects.get(student=cast.other_student),
        actor=cast.admin,
        reason="Left the school",
    )
    open_invoice = Invoice.objects.get(student=cast.sibling)

    with _at(dt.date(2026, 4, 6)):
        assert _run() == 0  # four days before: not yet
    with _at(dt.date(2026, 4, 7)):
        with django_capture_on_commit_callbacks(execute=True):
            assert _run() == 1
        assert _run() == 0  # the job running again sends nothing more
    sent = Notification.objects.filter(kind="fees.reminder")
    assert {n.recipient_id for n in sent} == {cast.parent.pk, cast.sibling.user_id}
    note = sent.first()
    assert "₹5,854.00" in note.body and "2026-04-10" in note.body
    assert note.data["invoice"] == str(open_invoice.pk) and note.data["level"] == "before_due"
    assert sorted(m.to[0] for m in mail.outbox) == ["pat@alice.test", "sia@alice.test"]

    for day, expected in (
        (dt.date(2026, 4, 9), 0),  # the before-due reminder is already sent
        (dt.date(2026, 4, 10), 1),  # due today
        (dt.date(2026, 4, 11), 1),  # overdue, cycle 0
        (dt.date(2026, 4, 17), 0),
        (dt.date(2026, 4, 18), 1),  # overdue, cycle 1 (every 7 days)
        (dt.date(2026, 4, 18), 0),
    ):
        with _at(day):
            assert _run() == expected, day
    assert list(
        FeeReminder.objects.order_by("sent_on").values_list("invoice_id", "level", "cycle")
    ) == [
        (open_invoice.pk, "before_due", 0),
        (open_invoice.pk, "due", 0),
        (open_invoice.pk, "overdue", 0),
        (open_invoice.pk, "overdue", 1),
    ]
    assert Notification.objects.filter(kind="fees.reminder").count() == 4 * 2
    assert not FeeReminder.objects.exclude(invoice=open_invoice).exists()  # paid, cancelled


def test_a_run_costs_the_same_queries_for_three_invoices_or_six(cast, office):
    issue(office)
    issue(office, 2)  # due 10 July 2026
    counts = []
    for day, expected in ((dt.date(2026, 4, 7), 3), (dt.date(2026, 7, 7), 6)):
        with _at(day), CaptureQueriesContext(connection) as queries:
            assert _run() == expected
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # April's invoices are 88 days late on 7 July: overdue cycle 12.
    assert FeeReminder.objects.filter(level="overdue", cycle=12).count() == 3


def test_the_messages_are_in_hindi_too(cast, office):
    issue(office)
    with _at(dt.date(2026, 4, 10)):
        _run()
    invoice = Invoice.objects.get(student=cast.student)
    body = services.reminders._message(invoice, "due", 0, []).body
    with translation.override("hi"):
        hindi = str(body)
    assert "₹5,854.00" in hindi and "2026-04-10" in hindi and "आज" in hindi


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_reminder_once(cast, office):
    issue(office)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def work():
        try:
            barrier.wait(timeout=30)
            results.append(tasks.send_fee_reminders.delay().result)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    with _at(dt.date(2026, 4, 8)):
        threads = [threading.Thread(target=work) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert not errors
    assert sorted(results) == [0, 3]
    assert FeeReminder.objects.count() == 3
    # Pat for Sam and for Sia, and each of the three students.
    assert Notification.objects.filter(kind="fees.reminder").count() == 5
