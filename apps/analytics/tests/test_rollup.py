"""The rollups through the nightly Celery task and the backfill command: rows and figures,
idempotent on rerun, stale rows removed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from apps.analytics import tasks
from apps.analytics.models import (
    AssessmentSummary,
    AttendanceDaily,
    DeliveryDaily,
    FeeCollectionDaily,
    StudentAttendanceMonth,
)
from apps.attendance.models import AttendanceRecord

from .conftest import WEEK

pytestmark = pytest.mark.django_db
D = Decimal


def _snapshot():
    return {
        model.__name__: sorted(
            tuple(str(v) for v in row)
            for row in model.objects.values_list(
                *[f.attname for f in model._meta.concrete_fields if f.attname != "updated_at"]
            )
        )
        for model in (AttendanceDaily, StudentAttendanceMonth, FeeCollectionDaily,
                      AssessmentSummary, DeliveryDaily)
    }  # fmt: skip


def test_backfill_command_builds_attendance_rows_and_is_idempotent(cast, week, settings):
    call_command("rollup", "--from", "2026-09-01", "--to", "2026-09-14")
    rows = {
        (r.section_id, r.date): (r.enrolled, r.present, r.absent, r.late, r.excused, r.marked)
        for r in AttendanceDaily.objects.all()
    }
    a, b = week.sec_a.pk, week.sec_b.pk
    assert len(rows) == 10
    assert rows[(a, WEEK[1])] == (2, 1, 1, 0, 0, True)
    assert rows[(a, WEEK[4])] == (2, 1, 0, 1, 0, True)
    assert rows[(b, WEEK[0])] == (1, 0, 0, 0, 1, True)
    months = {m.student_id: m.codes for m in StudentAttendanceMonth.objects.all()}
    assert months[cast.student.pk] == "------PAAAL" + "-" * 19
    assert months[cast.sibling.pk] == "------EPPPP" + "-" * 19
    first = _snapshot()
    call_command("rollup", "--from", "2026-09-01", "--to", "2026-09-14")
    assert _snapshot() == first  # same rows, same ids
    # A mark removed from the raw rows disappears from the rollup on the next run.
    AttendanceRecord.objects.filter(section=week.sec_b, date=WEEK[0]).delete()
    call_command("rollup", "--from", "2026-09-07", "--to", "2026-09-07")
    assert not AttendanceDaily.objects.filter(section=week.sec_b, date=WEEK[0]).exists()
    assert StudentAttendanceMonth.objects.get(student=cast.sibling).codes.startswith("-------PPPP")


def test_command_refuses_bad_dates(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not a date"):
        call_command("rollup", "--from", "2026-13-01", "--to", "2026-09-14")
    with pytest.raises(CommandError, match="before"):
        call_command("rollup", "--from", "2026-09-14", "--to", "2026-09-01")


def test_nightly_task_rolls_up_the_last_days_twice_the_same(cast, week, settings, clock):
    settings.ANALYTICS_ROLLUP_DAYS = 3
    clock.move_to(dt.datetime(2026, 9, 12, 0, 5, tzinfo=dt.UTC))  # 12 Sep in Kolkata
    totals = tasks.rollup_nightly()
    assert totals["schools"] == 2 and totals["attendance"] == 6  # 9, 10, 11 Sep x 2 sections
    assert sorted({r.date for r in AttendanceDaily.objects.all()}) == WEEK[2:]
    first = _snapshot()
    tasks.rollup_nightly()
    assert _snapshot() == first


def test_fee_collection_per_head_and_day(cast, settings):
    from apps.fees import services
    from apps.fees.models import Invoice
    from apps.fees.tests.conftest import issue, office  # noqa: F401

    # The fee office's fixture is a plain function here: build it by hand.
    off = office.__wrapped__(cast)
    issue(off, 1)
    mine = Invoice.objects.get(student=cast.student)  # 5,854: 3,000 / 1,500 / 354 / 1,000
    at = dt.datetime(2026, 9, 10, 6, 0, tzinfo=dt.UTC)
    services.payment_record_counter(
        school=cast.school, actor=cast.admin, student=cast.student, mode="cash",
        amount=D("6854.00"), allocations=[{"invoice": mine, "amount": None}], received_at=at,
    )  # fmt: skip
    tasks_day = dt.date(2026, 9, 10)
    from apps.analytics.services import rollup_day

    rollup_day(cast.school, tasks_day)
    rows = {
        (r.head.code if r.head else None): (r.amount, r.receipts)
        for r in FeeCollectionDaily.objects.select_related("head")
    }
    assert rows == {
        "TUI": (D("3000.00"), 1), "TRN": (D("1500.00"), 1), "LAB": (D("354.00"), 1),
        "CAU": (D("1000.00"), 1), None: (D("1000.00"), 1),  # the advance credit
    }  # fmt: skip
    assert sum(a for a, _ in rows.values()) == D("6854.00")
    first = _snapshot()
    rollup_day(cast.school, tasks_day)
    assert _snapshot() == first
    assert not FeeCollectionDaily.objects.exclude(date=tasks_day).exists()


def test_assessment_summary_and_deliveries(cast, school_year, final):
    from apps.exams.models import Mark
    from apps.notifications.models import Delivery, Notification

    sy = school_year
    for student, marks in ((cast.student, "36"), (cast.other_student, "9")):
        Mark.objects.create(school=cast.school, exam=final, section=sy.sec_a, subject=sy.maths,
                            student=student, marks=D(marks), max_marks=D(40))  # fmt: skip
    Mark.objects.create(school=cast.school, exam=final, section=sy.sec_a, subject=sy.maths,
                        student=sy.enrol_sibling.student, status="absent", max_marks=D(40))  # fmt: skip
    note = Notification.objects.create(school=cast.school, recipient=cast.parent, kind="general",
                                       title="t", body="b")  # fmt: skip
    for i, (channel, status) in enumerate(
        [("email", "delivered"), ("email", "failed_permanent"), ("sms", "sent"),
         ("sms", "suppressed"), ("sms", "delivered")]
    ):  # fmt: skip
        Delivery.objects.create(school=cast.school, notification=note, recipient=cast.parent,
                                kind="general", channel=channel, status=status,
                                idempotency_key=f"k{i}")  # fmt: skip
    from apps.analytics.services import rollup_day

    rollup_day(cast.school, dt.date(2026, 9, 15))
    paper = AssessmentSummary.objects.get()
    assert (paper.count, paper.absent, paper.mean_percent, paper.min_percent,
            paper.max_percent) == (2, 1, D("56.25"), D("22.50"), D("90.00"))  # fmt: skip
    assert paper.deciles == [0, 0, 1, 0, 0, 0, 0, 0, 0, 1]
    assert paper.term_id == final.plan_term.term_id
    by_channel = {
        d.channel: (d.total, d.sent, d.delivered, d.failed, d.suppressed)
        for d in DeliveryDaily.objects.all()
    }
    assert by_channel == {"email": (2, 0, 1, 1, 0), "sms": (3, 1, 1, 0, 1)}
    first = _snapshot()
    rollup_day(cast.school, dt.date(2026, 9, 15))
    assert _snapshot() == first


def test_the_nightly_job_is_a_registered_beat_schedule():
    from apps.core.periodic import registered

    [schedule] = [s for s in registered() if s.task == "apps.analytics.tasks.rollup_nightly"]
    assert schedule.interval_setting == "ANALYTICS_ROLLUP_INTERVAL"
