"""The calendar on every dashboard: the coming events and exam papers the caller may read."""

from __future__ import annotations

import datetime as dt

from apps.accounts.models import Role
from apps.core.access import scope_queryset
from apps.dashboard.registry import register

from . import selectors
from .models import CalendarEvent, ExamScheduleEntry

AHEAD_DAYS = 14
SHOWN = 10


@register([Role.ADMIN, Role.TEACHER, Role.PARENT, Role.STUDENT, Role.STAFF], "upcoming")
def upcoming(ctx):
    """Events and exam papers of the next AHEAD_DAYS days (two queries)."""
    end = ctx.today + dt.timedelta(days=AHEAD_DAYS)
    events = selectors.in_range(
        scope_queryset(CalendarEvent.objects.all(), ctx.user), ctx.today, end
    ).order_by("start_date", "title")[:SHOWN]
    exams = (
        scope_queryset(ExamScheduleEntry.objects.all(), ctx.user)
        .filter(date__gte=ctx.today, date__lte=end)
        .select_related("subject", "school_class", "section")
        .order_by("date", "start_time")[:SHOWN]
    )
    return {
        "until": end,
        "events": [
            {
                "id": str(e.pk),
                "title": e.title,
                "kind": e.kind,
                "start_date": e.start_date,
                "end_date": e.end_date,
                "audience": e.audience,
            }
            for e in events
        ],  # fmt: skip
        "exams": [
            {
                "id": str(x.pk),
                "exam": x.exam_name,
                "subject": x.subject.name if x.subject_id else "",
                "date": x.date,
                "start_time": x.start_time,
                "school_class": str(x.school_class_id) if x.school_class_id else None,
                "section": str(x.section_id) if x.section_id else None,
            }
            for x in exams
        ],
    }
