"""A few holidays and events in the demo school's current year (called by `seed_demo`)."""

from __future__ import annotations

from datetime import date

from apps.academics.models import AcademicYear

from .models import Audience, CalendarEvent, EventKind


def seed_calendar(*, report, school) -> None:
    year = AcademicYear.objects.filter(school=school, is_current=True).first()
    if year is None:
        return
    first = year.start_date.year
    events = [
        ("Independence Day", EventKind.HOLIDAY, date(first, 8, 15), date(first, 8, 15)),
        ("Gandhi Jayanti", EventKind.HOLIDAY, date(first, 10, 2), date(first, 10, 2)),
        ("Diwali break", EventKind.HOLIDAY, date(first, 11, 9), date(first, 11, 13)),
        ("Annual sports day", EventKind.EVENT, date(first, 12, 12), date(first, 12, 12)),
        ("Parent-teacher meeting", EventKind.PTM, date(first, 12, 20), date(first, 12, 20)),
        ("Republic Day", EventKind.HOLIDAY, date(first + 1, 1, 26), date(first + 1, 1, 26)),
    ]
    for title, kind, start, end in events:
        _, created = CalendarEvent.objects.get_or_create(
            school=school,
            title=title,
            start_date=start,
            defaults={
                "kind": kind,
                "end_date": end,
                "audience": Audience.SCHOOL,
                "academic_year": year,
            },
        )
        report.add("calendar events", created)
