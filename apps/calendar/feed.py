"""A user's iCalendar feed: the events and exam papers they may see (the same rules as the API,
`scope_queryset`), from 30 days ago to a year ahead, in the school's timezone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.access import scope_queryset

from . import ical, selectors
from .models import Audience, CalendarEvent, ExamScheduleEntry

PAST_DAYS = 30
FUTURE_DAYS = 365

# Other apps' dated items (homework due dates ...): `source(user, tz, first, last)` returns
# VEvents for what `user` may see between the two dates; registered in the app's ready(), so
# this app imports none of them. Each source should cost a constant number of queries.
FeedSource = Callable[[object, ZoneInfo, dt.date, dt.date], list]
_SOURCES: list[FeedSource] = []


def register_source(source: FeedSource) -> FeedSource:
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


def window(today: dt.date) -> tuple[dt.date, dt.date]:
    return today - dt.timedelta(days=PAST_DAYS), today + dt.timedelta(days=FUTURE_DAYS)


def _event(event: CalendarEvent, tz: ZoneInfo) -> ical.VEvent:
    vevent = ical.VEvent(f"event-{event.pk}", event.updated_at)
    if event.all_day:
        vevent.all_day(event.start_date, event.end_date)
        vevent.add("TRANSP", "TRANSPARENT")
    else:
        vevent.timed(event.start_date, event.start_time, event.end_date, event.end_time, tz)
    vevent.text("SUMMARY", event.title)
    description = event.description
    if event.audience != Audience.SCHOOL:
        description = "\n".join(filter(None, [_("For %s") % event.audience_name, description]))
    vevent.text("DESCRIPTION", description)
    vevent.text("CATEGORIES", str(event.get_kind_display()))
    vevent.add("LAST-MODIFIED", ical.format_utc(event.updated_at))
    return vevent


def _exam(entry: ExamScheduleEntry, tz: ZoneInfo) -> ical.VEvent:
    vevent = ical.VEvent(f"exam-{entry.pk}", entry.updated_at)
    vevent.timed(entry.date, entry.start_time, entry.date, entry.end_time, tz)
    vevent.text(
        "SUMMARY",
        _("%(exam)s: %(subject)s (%(audience)s)")
        % {
            "exam": entry.exam_name,
            "subject": entry.subject.name,
            "audience": entry.audience_name,
        },
    )
    if entry.max_marks:
        vevent.text("DESCRIPTION", _("Maximum marks: %d") % entry.max_marks)
    vevent.text("LOCATION", entry.room)
    vevent.text("CATEGORIES", _("Exam"))
    vevent.add("LAST-MODIFIED", ical.format_utc(entry.updated_at))
    return vevent


def feed_for(user, *, today: dt.date | None = None) -> str:
    """The VCALENDAR text for `user` (with `user.school` loaded). Two queries, plus the
    registered sources'."""
    school = user.school
    tz = ZoneInfo(school.timezone)
    if today is None:
        today = timezone.now().astimezone(tz).date()
    first, last = window(today)
    events = selectors.in_range(
        scope_queryset(selectors.calendar_event_queryset(), user), first, last
    ).order_by("start_date", "start_time", "title")
    exams = (
        scope_queryset(selectors.exam_schedule_queryset(), user)
        .filter(date__gte=first, date__lte=last)
        .order_by("date", "start_time")
    )
    vevents = [_event(event, tz) for event in events]
    vevents += [_exam(entry, tz) for entry in exams]
    for source in _SOURCES:
        vevents += source(user, tz, first, last)
    return ical.calendar(name=school.name, timezone=school.timezone, events=vevents)
