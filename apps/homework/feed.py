"""Homework due dates in the calendar feed of students and parents (registered with
`apps.calendar.feed` by this app's ready()): one event at each published homework's due
moment (the student's own, when they have an extension), in the school's timezone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from apps.accounts.models import Role
from apps.calendar import ical

from . import scopes
from .models import Extension


def homework_events(user, tz: ZoneInfo, first: dt.date, last: dt.date) -> list:
    """Two queries: the homework in the window, and the family's extensions."""
    if user.role not in (Role.STUDENT, Role.PARENT):
        return []
    homework = list(
        scopes.readable_assignments(user)
        .filter(due_at__date__gte=first, due_at__date__lte=last)
        .select_related("subject")
        .order_by("due_at")
    )
    extended = {}
    if homework:
        own = Extension.objects.filter(
            assignment__in=[h.pk for h in homework], student_id__in=scopes.own_student_ids(user)
        )
        for extension in own:
            extended.setdefault(extension.assignment_id, extension.due_at)
    events = []
    for item in homework:
        due = extended.get(item.pk, item.due_at).astimezone(tz)
        vevent = ical.VEvent(f"homework-{item.pk}", item.updated_at)
        vevent.timed(due.date(), due.time(), due.date(), due.time(), tz)
        vevent.text("SUMMARY", _("Homework due: %(subject)s: %(title)s")
                    % {"subject": item.subject.name, "title": item.title})  # fmt: skip
        vevent.text("DESCRIPTION", item.instructions)
        vevent.text("CATEGORIES", _("Homework"))
        vevent.add("LAST-MODIFIED", ical.format_utc(item.updated_at))
        events.append(vevent)
    return events
