"""The series the dashboards draw, read by both the API (`charts` section) and the admin index
(`apps.dashboard.admin_index`): attendance per school day, fee collection per day and per month,
and the distribution of exam results. Each runs a fixed number of queries over a bounded window;
a series of a domain that is not installed is None."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

from django.apps import apps
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate, TruncMonth

TREND_DAYS = 14
COLLECTION_DAYS = 30
COLLECTION_MONTHS = 6
PERFORMANCE_BANDS = ((0, 33), (33, 50), (50, 60), (60, 75), (75, 90), (90, 101))


def current_section_ids(school_id, section_ids=None) -> list[str]:
    """The school's current-year sections with students (within `section_ids` if given)."""
    from apps.academics.models import Section

    qs = Section.objects.filter(
        school_id=school_id, year__is_current=True, enrollments__isnull=False
    )
    if section_ids is not None:
        qs = qs.filter(pk__in=section_ids)
    return [str(pk) for pk in qs.values_list("pk", flat=True).distinct()]


def attendance_trend(school, today: dt.date, *, section_ids=None, days: int = TREND_DAYS):
    """Per day of the last `days` days up to `today` with any daily mark: how many were marked,
    present (present or late) and absent, and the present percentage, for the school's
    current sections (only `section_ids` if given: a teacher's). Past days from Postgres in
    one grouped query; today with the marks still in the write buffer (one Redis read per
    section)."""
    if not apps.is_installed("apps.attendance"):
        return None
    from apps.attendance import selectors as attendance
    from apps.attendance.models import AttendanceRecord, Status

    sections = current_section_ids(school.pk, section_ids)
    start = today - dt.timedelta(days=days - 1)
    per_day: dict[dt.date, Counter] = {}
    rows = (
        AttendanceRecord.objects.filter(
            school_id=school.pk,
            section_id__in=sections,
            date__gte=start,
            date__lt=today,
            period__isnull=True,
        )
        .values("date", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        per_day.setdefault(row["date"], Counter())[row["status"]] += row["n"]
    today_counts: Counter = Counter()
    for by_status in attendance.daily_counts_by_student(school.pk, sections, today, today).values():
        today_counts.update(by_status)
    if sum(today_counts.values()):
        per_day[today] = today_counts
    out = []
    for day in sorted(per_day):
        c = per_day[day]
        by_status = {s: c.get(s, 0) for s in Status.values}
        out.append(
            {
                "date": day,
                "marked": sum(by_status.values()),
                "present": by_status[Status.PRESENT] + by_status[Status.LATE],
                "absent": by_status[Status.ABSENT],
                "percentage": attendance.percentage(by_status),
            }
        )
    return out


def fee_collection(school, today: dt.date, *, days: int = COLLECTION_DAYS,
                   months: int = COLLECTION_MONTHS):  # fmt: skip
    """Money received per day over the last `days` days and per month over the last `months`
    months (two grouped queries), in the school's time zone."""
    if not apps.is_installed("apps.fees"):
        return None
    import zoneinfo

    from apps.fees.models import Payment

    tz = zoneinfo.ZoneInfo(school.timezone)
    first_month = today.replace(day=1)
    for _ in range(months - 1):
        first_month = (first_month - dt.timedelta(days=1)).replace(day=1)
    start_day = today - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(min(first_month, start_day), dt.time(), tzinfo=tz)
    payments = Payment.objects.filter(school_id=school.pk, received_at__gte=since).order_by()
    daily = {
        row["day"]: row["total"]
        for row in payments.filter(received_at__gte=dt.datetime.combine(start_day, dt.time(),
                                                                        tzinfo=tz))
        .annotate(day=TruncDate("received_at", tzinfo=tz))
        .values("day")
        .annotate(total=Sum("amount"))
    }  # fmt: skip
    monthly = {
        row["month"].date() if isinstance(row["month"], dt.datetime) else row["month"]: row["total"]
        for row in payments.annotate(month=TruncMonth("received_at", tzinfo=tz))
        .values("month")
        .annotate(total=Sum("amount"))
    }
    by_day = [
        {"date": day, "amount": daily.get(day, Decimal("0"))}
        for day in (start_day + dt.timedelta(days=i) for i in range(days))
    ]
    by_month, month = [], first_month
    while month <= today:
        by_month.append(
            {"month": month.strftime("%Y-%m"), "amount": monthly.get(month, Decimal("0"))}
        )
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return {"by_day": by_day, "by_month": by_month}


def performance_distribution(school):
    """How many published results of the current year fall in each percentage band (one
    grouped query over `StudentResult`)."""
    if not apps.is_installed("apps.exams"):
        return None
    from django.db.models import Case, IntegerField, Value, When

    from apps.exams.models import RunStatus, StudentResult

    band = Case(
        *[
            When(percent__gte=low, percent__lt=high, then=Value(i))
            for i, (low, high) in enumerate(PERFORMANCE_BANDS)
        ],
        output_field=IntegerField(),
    )
    counts = {
        row["band"]: row["n"]
        for row in StudentResult.objects.filter(
            school_id=school.pk,
            run__status=RunStatus.PUBLISHED,
            run__plan_term__plan__year__is_current=True,
            percent__isnull=False,
        )
        .annotate(band=band)
        .values("band")
        .annotate(n=Count("id"))
        .order_by()
    }
    return [
        {"band": f"{low}-{min(high, 100)}", "students": counts.get(i, 0)}
        for i, (low, high) in enumerate(PERFORMANCE_BANDS)
    ]


def charts(school, today: dt.date) -> dict:
    """The three series of the principal's dashboard (None for a domain not installed)."""
    return {
        "attendance_trend": attendance_trend(school, today),
        "fee_collection": fee_collection(school, today),
        "performance": performance_distribution(school),
    }
