"""Build the rollup tables of a school for a day or a range of days.

Each step reads one day's (or one month's) raw rows with a grouped query and writes its rows
with INSERT ... ON CONFLICT DO UPDATE (`bulk_create(update_conflicts=True)`), then deletes the
rows of that day the raw data no longer supports: the result depends only on the raw rows, so a
rerun or an overlapping backfill leaves the same rows. Days are the school's (School.timezone).

- attendance: per section and day from the daily marks in Postgres (the nightly job runs after
  the write buffer has flushed the previous day; "today" is answered live by the selectors);
  per student and month, the marks as a string of day codes (recomputed for the whole month);
- fees: per fee head and day, from the payments received that day (see `fee_day_figures`);
- assessments: per exam paper and section, for every exam with a mark written that day;
- notifications: deliveries created that day per channel, by their present status.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Avg, Count, F, Max, Min, Q
from django.utils import timezone

from apps.accounts.models import School

from ..models import (
    CODES,
    NOT_MARKED,
    AssessmentSummary,
    AttendanceDaily,
    DeliveryDaily,
    FeeCollectionDaily,
    StudentAttendanceMonth,
)


def day_bounds(school, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of `day` where the school is, as aware datetimes."""
    zone = zoneinfo.ZoneInfo(school.timezone)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    return start, start + dt.timedelta(days=1)


def _upsert(model, rows: list, unique: list[str], update: list[str]) -> None:
    if rows:
        model.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=unique, update_fields=[*update, "updated_at"]
        )


# --- attendance --------------------------------------------------------------------------------
def attendance_day_figures(school_id, day: dt.date) -> dict[str, dict[str, int]]:
    """Counts by status of the daily marks of `day` per section id (one grouped query)."""
    from apps.attendance.models import AttendanceRecord

    out: dict[str, dict[str, int]] = {}
    for row in (
        AttendanceRecord.objects.filter(school_id=school_id, date=day, period__isnull=True)
        .values("section_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        out.setdefault(str(row["section_id"]), defaultdict(int))[row["status"]] = row["n"]
    return out


def _enrolled(school_id, section_ids) -> dict[str, int]:
    from apps.academics.models import Enrollment

    return {
        str(row["section_id"]): row["n"]
        for row in Enrollment.objects.filter(school_id=school_id, section_id__in=section_ids)
        .values("section_id")
        .annotate(n=Count("id"))
        .order_by()
    }


def rollup_attendance_day(school, day: dt.date) -> int:
    figures = attendance_day_figures(school.pk, day)
    enrolled = _enrolled(school.pk, list(figures))
    rows = [
        AttendanceDaily(
            school=school, section_id=section_id, date=day, enrolled=enrolled.get(section_id, 0),
            present=c["present"], absent=c["absent"], late=c["late"], excused=c["excused"],
            marked=True,
        )
        for section_id, c in figures.items()
    ]  # fmt: skip
    _upsert(AttendanceDaily, rows, ["school", "section", "date"],
            ["enrolled", "present", "absent", "late", "excused", "marked"])  # fmt: skip
    AttendanceDaily.objects.filter(school=school, date=day).exclude(
        section_id__in=list(figures)
    ).delete()
    return len(rows)


def rollup_attendance_month(school, month: dt.date) -> int:
    """Recompute every student's day codes for the month containing `month` (one query)."""
    from apps.attendance.models import AttendanceRecord

    first = month.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    codes: dict[str, list[str]] = {}
    section: dict[str, str] = {}
    for student_id, section_id, day, status in (
        AttendanceRecord.objects.filter(
            school_id=school.pk, date__gte=first, date__lte=last, period__isnull=True
        )
        .order_by("date")
        .values_list("student_id", "section_id", "date", "status")
    ):
        key = str(student_id)
        codes.setdefault(key, [NOT_MARKED] * last.day)[day.day - 1] = CODES[status]
        section[key] = str(section_id)
    rows = [
        StudentAttendanceMonth(
            school=school, student_id=student_id, section_id=section[student_id], month=first,
            codes="".join(days),
        )
        for student_id, days in codes.items()
    ]  # fmt: skip
    _upsert(StudentAttendanceMonth, rows, ["school", "student", "month"], ["section", "codes"])
    StudentAttendanceMonth.objects.filter(school=school, month=first).exclude(
        student_id__in=list(codes)
    ).delete()
    return len(rows)


# --- fees --------------------------------------------------------------------------------------
def fee_day_figures(school, day: dt.date) -> dict[str | None, tuple[Decimal, int]]:
    """(amount, receipts) per fee head id (None: late fines and advance credit) of the payments
    received on `day`. An allocation is split over its invoice's lines in proportion to their
    totals, to the paisa, the rounding remainder going to the largest line so that the heads add
    up to the allocation exactly; what a payment did not allocate (advance credit) has no head.
    Refunds are not subtracted: this is money received. One query."""
    from apps.fees.models import InvoiceLine, Payment, PaymentAllocation

    start, end = day_bounds(school, day)
    sql = f"""
        SELECT p.id, p.amount, a.invoice_id, a.amount, l.head_id, l.total
        FROM {Payment._meta.db_table} p
        LEFT JOIN {PaymentAllocation._meta.db_table} a ON a.payment_id = p.id
        LEFT JOIN {InvoiceLine._meta.db_table} l ON l.invoice_id = a.invoice_id AND l.total > 0
        WHERE p.school_id = %s AND p.received_at >= %s AND p.received_at < %s
        ORDER BY p.id, a.invoice_id, l.total DESC, l.id
    """  # noqa: S608  (table names from the models, values bound)
    with connection.cursor() as cursor:
        cursor.execute(sql, [school.pk, start, end])
        rows = cursor.fetchall()
    paid: dict = {}
    allocations: dict = defaultdict(lambda: [Decimal("0"), []])  # (payment, invoice) -> lines
    for payment_id, amount, invoice_id, allocated, head_id, line_total in rows:
        paid[payment_id] = amount
        if invoice_id is not None:
            entry = allocations[(payment_id, invoice_id)]
            entry[0] = allocated
            if head_id is not None or line_total is not None:
                entry[1].append((head_id, line_total))
    amounts: dict = defaultdict(Decimal)
    payers: dict = defaultdict(set)
    settled: dict = defaultdict(Decimal)
    cent = Decimal("0.01")
    for (payment_id, _invoice), (allocated, lines) in allocations.items():
        settled[payment_id] += allocated
        whole = sum((total for _head, total in lines), Decimal("0"))
        if not whole:
            amounts[None] += allocated
            payers[None].add(payment_id)
            continue
        shares = [(head, (allocated * total / whole).quantize(cent)) for head, total in lines]
        shares[0] = (shares[0][0], shares[0][1] + allocated - sum(v for _h, v in shares))
        for head, value in shares:
            key = str(head) if head else None
            amounts[key] += value
            payers[key].add(payment_id)
    for payment_id, amount in paid.items():
        if amount > settled[payment_id]:
            amounts[None] += amount - settled[payment_id]
            payers[None].add(payment_id)
    return {head: (value, len(payers[head])) for head, value in amounts.items() if value > 0}


def rollup_fees_day(school, day: dt.date) -> int:
    figures = fee_day_figures(school, day)
    rows = [
        FeeCollectionDaily(school=school, date=day, head_id=head, amount=amount, receipts=n)
        for head, (amount, n) in figures.items()
    ]
    _upsert(FeeCollectionDaily, rows, ["school", "date", "head"], ["amount", "receipts"])
    stale = FeeCollectionDaily.objects.filter(school=school, date=day)
    heads = [h for h in figures if h is not None]
    stale = stale.exclude(head_id__in=heads)
    if None in figures:
        stale = stale.exclude(head__isnull=True)
    stale.delete()
    return len(rows)


# --- assessments -------------------------------------------------------------------------------
def rollup_assessments(school, exam_ids) -> int:
    """Recompute the summaries of every paper (exam, section, subject) of `exam_ids`."""
    from django.db.models import ExpressionWrapper, FloatField, Value
    from django.db.models.functions import Floor, Least

    from apps.exams.models import Mark, MarkStatus

    exam_ids = list(exam_ids)
    if not exam_ids:
        return 0
    marks = Mark.objects.filter(school_id=school.pk, exam_id__in=exam_ids).order_by()
    pct = ExpressionWrapper(F("marks") * 100.0 / F("max_marks"), output_field=FloatField())
    key = ("exam_id", "section_id", "subject_id")
    deciles: dict[tuple, list[int]] = defaultdict(lambda: [0] * 10)
    for row in (
        marks.filter(status=MarkStatus.PRESENT, max_marks__gt=0)
        .annotate(band=Least(Floor(pct / 10.0), Value(9.0), output_field=FloatField()))
        .values(*key, "band")
        .annotate(n=Count("id"))
    ):
        deciles[tuple(row[k] for k in key)][int(row["band"])] = row["n"]
    present = Q(status=MarkStatus.PRESENT, max_marks__gt=0)
    rows = []

    def _pct(value):
        return None if value is None else Decimal(str(round(value, 2)))

    for row in marks.values(*key, "exam__plan_term__term_id").annotate(
        count=Count("id", filter=present),
        absent=Count("id", filter=~Q(status=MarkStatus.PRESENT)),
        mean=Avg(pct, filter=present),
        low=Min(pct, filter=present),
        high=Max(pct, filter=present),
    ):
        paper = tuple(row[k] for k in key)
        rows.append(
            AssessmentSummary(
                school=school, exam_id=paper[0], section_id=paper[1], subject_id=paper[2],
                term_id=row["exam__plan_term__term_id"], count=row["count"],
                absent=row["absent"], mean_percent=_pct(row["mean"]), min_percent=_pct(row["low"]),
                max_percent=_pct(row["high"]), deciles=deciles[paper] if row["count"] else [0] * 10,
            )
        )  # fmt: skip
    with transaction.atomic():
        AssessmentSummary.objects.filter(school=school, exam_id__in=exam_ids).exclude(
            Q(*[Q(exam_id=r.exam_id, section_id=r.section_id, subject_id=r.subject_id)
                for r in rows], _connector=Q.OR) if rows else Q()
        ).delete()  # fmt: skip
        _upsert(AssessmentSummary, rows, ["school", "exam", "section", "subject"],
                ["term", "count", "absent", "mean_percent", "min_percent", "max_percent",
                 "deciles"])  # fmt: skip
    return len(rows)


def exams_touched(school, start: dt.date, end: dt.date) -> set:
    """Exams of the school with a mark written in [start, end] (the school's days)."""
    from apps.exams.models import Mark

    first, _ = day_bounds(school, start)
    _, last = day_bounds(school, end)
    return set(
        Mark.objects.filter(school_id=school.pk, updated_at__gte=first, updated_at__lt=last)
        .order_by()
        .values_list("exam_id", flat=True)
        .distinct()
    )


# --- notifications -----------------------------------------------------------------------------
def delivery_day_figures(school, day: dt.date) -> dict[str, dict[str, int]]:
    from apps.notifications.models import Delivery, DeliveryStatus

    start, end = day_bounds(school, day)
    return {
        row["channel"]: row
        for row in Delivery.objects.filter(
            school_id=school.pk, created_at__gte=start, created_at__lt=end
        )
        .values("channel")
        .annotate(
            total=Count("id"),
            sent=Count("id", filter=Q(status=DeliveryStatus.SENT)),
            delivered=Count("id", filter=Q(status=DeliveryStatus.DELIVERED)),
            failed=Count("id", filter=Q(status__in=(DeliveryStatus.FAILED_TEMPORARY,
                                                    DeliveryStatus.FAILED_PERMANENT))),
            suppressed=Count("id", filter=Q(status=DeliveryStatus.SUPPRESSED)),
        )
        .order_by()
    }  # fmt: skip


def rollup_deliveries_day(school, day: dt.date) -> int:
    figures = delivery_day_figures(school, day)
    fields = ["total", "sent", "delivered", "failed", "suppressed"]
    rows = [
        DeliveryDaily(school=school, date=day, channel=channel, **{f: row[f] for f in fields})
        for channel, row in figures.items()
    ]
    _upsert(DeliveryDaily, rows, ["school", "date", "channel"], fields)
    DeliveryDaily.objects.filter(school=school, date=day).exclude(
        channel__in=list(figures)
    ).delete()
    return len(rows)


# --- orchestration -----------------------------------------------------------------------------
def rollup_day(school, day: dt.date) -> dict[str, int]:
    """Every daily rollup of `school` for `day` (the month's student codes too)."""
    return rollup_range(school, day, day)


def rollup_range(school, start: dt.date, end: dt.date, *, progress=None) -> dict[str, int]:
    """Every rollup of `school` for the days [start, end]; each month touched is recomputed
    once, each exam with a mark written in the range once. `progress(n)` is called per day."""
    if end < start:
        raise ValueError("end before start")
    out = defaultdict(int)
    day = start
    months = set()
    while day <= end:
        with transaction.atomic():
            out["attendance"] += rollup_attendance_day(school, day)
            out["fees"] += rollup_fees_day(school, day)
            out["deliveries"] += rollup_deliveries_day(school, day)
        months.add(day.replace(day=1))
        if progress is not None:
            progress(1)
        day += dt.timedelta(days=1)
    for month in sorted(months):
        with transaction.atomic():
            out["student_months"] += rollup_attendance_month(school, month)
    out["assessments"] += rollup_assessments(school, exams_touched(school, start, end))
    return dict(out)


def school_yesterday(school) -> dt.date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(school.timezone)).date() - dt.timedelta(
        days=1
    )


def rollup_nightly() -> dict[str, int]:
    """The beat job: for every active school, the last ANALYTICS_ROLLUP_DAYS days up to
    yesterday (its own), so a missed night is caught up by the next one."""
    days = max(int(settings.ANALYTICS_ROLLUP_DAYS), 1)
    totals: dict[str, int] = defaultdict(int)
    for school in School.objects.filter(is_active=True).order_by("pk"):
        end = school_yesterday(school)
        for name, n in rollup_range(school, end - dt.timedelta(days=days - 1), end).items():
            totals[name] += n
        totals["schools"] += 1
    return dict(totals)
