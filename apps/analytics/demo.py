"""The demo school's rollups for its past days (called last by `seed_demo`, once every other
domain has its data): the reports and the admin show figures at once, without waiting for the
nightly job. Idempotent like the rollups themselves."""

from __future__ import annotations

from datetime import timedelta

from apps.academics.models import AcademicYear
from apps.attendance.models import AttendanceRecord


def seed_analytics(*, report, school) -> None:
    from .services import rollup_range
    from .services.rollup import school_yesterday

    year = AcademicYear.objects.filter(school=school, is_current=True).first()
    if year is None:
        return
    end = min(school_yesterday(school), year.end_date)
    # From the first marked day (the demo's history is weeks, not the whole year), and at
    # least the last 90 days for payments, deliveries and marks.
    first_mark = (
        AttendanceRecord.objects.filter(school=school, date__gte=year.start_date)
        .order_by("date")
        .values_list("date", flat=True)
        .first()
    )
    start = max(year.start_date, min(first_mark or end, end - timedelta(days=89)))
    if start > end:
        return
    totals = rollup_range(school, start, end)
    for name, count in totals.items():
        report.created[f"rollup rows: {name}"] = count
