"""Reads of the calendar: querysets with their joins done, the rule of who an event concerns,
and the holiday questions other features ask (attendance: "is this a school day?").

Who may see which rows is decided by `apps.core.access.scope_queryset` (rules in `scopes.py`,
built on `concerning` below); these functions only shape the queries.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Model, Q, QuerySet

from apps.academics import selectors as academics_selectors
from apps.academics.models import Section
from apps.accounts.models import Role

from .models import Audience, CalendarEvent, CalendarFeedToken, EventKind, ExamScheduleEntry


def calendar_event_queryset() -> QuerySet[CalendarEvent]:
    return CalendarEvent.objects.select_related(
        "school_class", "section__school_class", "academic_year"
    )


def exam_schedule_queryset() -> QuerySet[ExamScheduleEntry]:
    return ExamScheduleEntry.objects.select_related(
        "school_class", "section__school_class", "subject"
    )


def feed_token_queryset() -> QuerySet[CalendarFeedToken]:
    return CalendarFeedToken.objects.all()


# --- Who an event concerns ----------------------------------------------------------------------
def concerned_section_ids(user) -> QuerySet:
    """Sections of the current year whose calendar is `user`'s: those a teacher teaches or is
    class teacher of, a student's own, a parent's children's. Nobody else has any."""
    if user.role == Role.TEACHER:
        return academics_selectors.taught_section_ids(user)
    if user.role in (Role.STUDENT, Role.PARENT):
        return academics_selectors.own_section_ids(user)
    return Section.objects.none().values("pk")


def _class_ids_of(section_ids: QuerySet) -> QuerySet:
    return Section.objects.filter(pk__in=section_ids).values("school_class_id")


def concerning(qs: QuerySet[CalendarEvent], user) -> QuerySet[CalendarEvent]:
    """`qs` cut to the events that concern `user` as a member of the school: school-wide ones
    and those of the classes and sections in `concerned_section_ids` (subqueries, so the
    caller's query count does not change)."""
    sections = concerned_section_ids(user)
    return qs.filter(
        Q(audience=Audience.SCHOOL)
        | Q(audience=Audience.SECTION, section_id__in=sections)
        | Q(audience=Audience.CLASS, school_class_id__in=_class_ids_of(sections))
    )


def exams_concerning(qs: QuerySet[ExamScheduleEntry], user) -> QuerySet[ExamScheduleEntry]:
    """`qs` cut to the papers of `user`'s sections (their own or their whole class's)."""
    sections = concerned_section_ids(user)
    return qs.filter(Q(section_id__in=sections) | Q(school_class_id__in=_class_ids_of(sections)))


def covering_section(section: Section | Any) -> Q:
    """Events whose audience includes `section` (a Section or its id): the whole school, the
    section's class, or the section itself."""
    if isinstance(section, Model):
        class_match = Q(school_class_id=section.school_class_id)
        section_id = section.pk
    else:
        class_match = Q(
            school_class_id__in=Section.objects.filter(pk=section).values("school_class_id")
        )
        section_id = section
    return (
        Q(audience=Audience.SCHOOL)
        | (Q(audience=Audience.CLASS) & class_match)
        | Q(audience=Audience.SECTION, section_id=section_id)
    )


def events_for_section(qs: QuerySet[CalendarEvent], section) -> QuerySet[CalendarEvent]:
    return qs.filter(covering_section(section))


def exams_for_section(qs: QuerySet[ExamScheduleEntry], section) -> QuerySet[ExamScheduleEntry]:
    """Papers sat by `section` (a Section or its id): its own and its whole class's."""
    if isinstance(section, Model):
        class_match = Q(school_class_id=section.school_class_id)
        section_id = section.pk
    else:
        class_match = Q(
            school_class_id__in=Section.objects.filter(pk=section).values("school_class_id")
        )
        section_id = section
    return qs.filter(Q(section_id=section_id) | class_match)


def in_range(
    qs: QuerySet[CalendarEvent], start: dt.date | None, end: dt.date | None
) -> QuerySet[CalendarEvent]:
    """Events with at least one day in [start, end] (either end open when None)."""
    if start is not None:
        qs = qs.filter(end_date__gte=start)
    if end is not None:
        qs = qs.filter(start_date__lte=end)
    return qs


# --- Holidays (used by attendance) --------------------------------------------------------------
def _holidays(school, section) -> QuerySet[CalendarEvent]:
    school_id = getattr(school, "pk", school)
    qs = CalendarEvent.objects.filter(school_id=school_id, kind=EventKind.HOLIDAY)
    if section is None:
        return qs.filter(audience=Audience.SCHOOL)
    return qs.filter(covering_section(section))


def is_holiday(*, school, date: dt.date, section=None) -> bool:
    """Whether `date` is a holiday for `section` (a Section or its id) of `school` (a School or
    its id): a holiday event of the whole school, of the section's class or of the section
    covers the date. Without a section only school-wide holidays count. One query."""
    return _holidays(school, section).filter(start_date__lte=date, end_date__gte=date).exists()


def sections_on_holiday(school, date: dt.date, sections) -> set[str]:
    """The ids (strings) of those `sections` for which `date` is a holiday (the rule of
    `is_holiday`: a holiday of the whole school, of the section's class or of the section), in
    one query for all of them."""
    events = CalendarEvent.objects.filter(
        school_id=getattr(school, "pk", school),
        kind=EventKind.HOLIDAY,
        start_date__lte=date,
        end_date__gte=date,
    ).values_list("audience", "school_class_id", "section_id")
    off: set[str] = set()
    for audience, class_id, section_id in events:
        for section in sections:
            if (
                audience == Audience.SCHOOL
                or (audience == Audience.CLASS and class_id == section.school_class_id)
                or (audience == Audience.SECTION and section_id == section.pk)
            ):
                off.add(str(section.pk))
    return off


def holidays_between(school, start: dt.date, end: dt.date, section=None) -> QuerySet[CalendarEvent]:
    """The holiday events (same audience rule as `is_holiday`) with a day in [start, end],
    in date order. One query however long the range."""
    return in_range(_holidays(school, section), start, end).order_by("start_date", "title")


def holiday_dates_between(school, start: dt.date, end: dt.date, section=None) -> set[dt.date]:
    """Every date in [start, end] that is a holiday (see `is_holiday`). One query."""
    dates: set[dt.date] = set()
    for first, last in holidays_between(school, start, end, section).values_list(
        "start_date", "end_date"
    ):
        day = max(first, start)
        while day <= min(last, end):
            dates.add(day)
            day += dt.timedelta(days=1)
    return dates
