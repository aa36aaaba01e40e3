"""The weekly timetable.

An entry is refused when it ends before it starts, when its section already has something at
an overlapping time that weekday (or the same period number), when its teacher is booked in
an overlapping slot in any section, or when its room is. The error names the clash, e.g.
"Tara Teacher already teaches 6-B (Mathematics) on Monday 09:00-09:45".

The teacher must hold a teaching assignment for the section and subject: the timetable is
where assignments become periods, and it keeps "who teaches whom" (which decides what a
teacher may see) in one place rather than two that can disagree.

Checks and writes for one academic year are serialised by locking the year's row, so two
admins cannot book the same teacher or room at the same time.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from apps.accounts.models import TeacherProfile, User
from apps.core import audit
from apps.core.exceptions import ApplicationError

from ..models import AcademicYear, Section, Subject, TeachingAssignment, TimetableEntry
from ._common import apply, refuse, save

ENTRY_FIELDS = [
    "section",
    "weekday",
    "period",
    "start_time",
    "end_time",
    "subject",
    "teacher",
    "room",
]
CHANGEABLE = ["weekday", "period", "start_time", "end_time", "subject", "teacher", "room"]


def _snapshot(entry: TimetableEntry) -> dict[str, Any]:
    return audit.snapshot(entry, ENTRY_FIELDS)


def _lock_year(year_id) -> None:
    AcademicYear.objects.select_for_update().only("pk").get(pk=year_id)


Clash = tuple[list[str], str]  # (fields, message)


def _check(entry: TimetableEntry) -> None:
    """All of the module's rules for one entry; every clash found is reported at once."""
    _check_times_and_assignment(entry)
    clashes = _period_clashes(entry) + _overlap_clashes(entry)
    if clashes:
        fields: dict[str, list[str]] = {}
        for names, message in clashes:
            for name in names:
                fields.setdefault(name, []).append(message)
        raise ApplicationError(
            " ".join(message for _names, message in clashes), code="timetable_clash", fields=fields
        )


def _check_times_and_assignment(entry: TimetableEntry) -> None:
    section = entry.section
    if entry.end_time <= entry.start_time:
        raise refuse(
            _("A period must end after it starts."), code="invalid_times", fields=["end_time"]
        )
    assigned = TeachingAssignment.objects.filter(
        section_id=section.pk, subject_id=entry.subject_id, teacher_id=entry.teacher_id
    ).exists()
    if not assigned:
        raise refuse(
            _(
                "%(teacher)s is not assigned to teach %(subject)s in %(section)s; add a teaching "
                "assignment first."
            )
            % {
                "teacher": entry.teacher.user.full_name,
                "subject": entry.subject.name,
                "section": section.display_name,
            },
            code="not_assigned",
            fields=["teacher"],
        )


def _period_clashes(entry: TimetableEntry) -> list[Clash]:
    """The section already has this period number on this weekday."""
    same_period = (
        TimetableEntry.objects.filter(
            section_id=entry.section_id, weekday=entry.weekday, period=entry.period
        )
        .exclude(pk=entry.pk)
        .first()
    )
    if same_period is None:
        return []
    message = _("%(section)s already has period %(period)d on %(slot)s.") % {
        "section": entry.section.display_name,
        "period": entry.period,
        "slot": same_period.slot,
    }
    return [(["period"], message)]


def _overlap_clashes(entry: TimetableEntry) -> list[Clash]:
    """The first overlapping booking of the section, the teacher and the room, if any.

    One query for every entry of the year that overlaps this slot and shares the section, the
    teacher or the room. Intervals are half-open: a period may start as another ends."""
    section = entry.section
    sharing = Q(section_id=section.pk) | Q(teacher_id=entry.teacher_id)
    if entry.room:
        sharing |= Q(room__iexact=entry.room)
    overlapping = (
        TimetableEntry.objects.filter(
            sharing,
            section__year_id=section.year_id,
            weekday=entry.weekday,
            start_time__lt=entry.end_time,
            end_time__gt=entry.start_time,
        )
        .exclude(pk=entry.pk)
        .select_related("section__school_class", "subject", "teacher__user")
        .order_by("start_time")
    )
    found: dict[str, Clash] = {}
    for other in overlapping:
        facts = {
            "section": other.section.display_name,
            "subject": other.subject.name,
            "teacher": other.teacher.user.full_name,
            "slot": other.slot,
            "room": other.room,
        }
        if other.section_id == section.pk:
            found.setdefault(
                "section",
                (
                    ["start_time", "end_time"],
                    _("%(section)s already has %(subject)s with %(teacher)s on %(slot)s.") % facts,
                ),
            )
        elif other.teacher_id == entry.teacher_id:
            found.setdefault(
                "teacher",
                (
                    ["teacher"],
                    _("%(teacher)s already teaches %(section)s (%(subject)s) on %(slot)s.") % facts,
                ),
            )
        if (
            entry.room
            and other.section_id != section.pk
            and other.room.lower() == entry.room.lower()
        ):
            found.setdefault(
                "room",
                (
                    ["room"],
                    _(
                        "Room %(room)s is already taken by %(section)s (%(subject)s, %(teacher)s) "
                        "on %(slot)s."
                    )
                    % facts,
                ),
            )
    return list(found.values())


@transaction.atomic
def timetable_entry_create(
    *,
    section: Section,
    weekday: int,
    period: int,
    start_time: time,
    end_time: time,
    subject: Subject,
    teacher: TeacherProfile,
    actor: User | None,
    room: str | None = None,
) -> TimetableEntry:
    """A period of `section`'s week. Without a room, the section's own room is used."""
    _lock_year(section.year_id)
    entry = TimetableEntry(
        school_id=section.school_id,
        section=section,
        weekday=weekday,
        period=period,
        start_time=start_time,
        end_time=end_time,
        subject=subject,
        teacher=teacher,
        room=(section.room if room is None else room).strip(),
    )
    _check(entry)
    save(entry)
    audit.record(
        actor=actor,
        action="timetable_entry.create",
        instance=entry,
        after=_snapshot(entry),
    )
    return entry


@transaction.atomic
def timetable_entry_update(
    *, entry: TimetableEntry, actor: User | None, data: dict[str, Any]
) -> TimetableEntry:
    """Change when, what, who or where; the section stays. Same checks as a new entry."""
    _lock_year(entry.section.year_id)
    entry = TimetableEntry.objects.select_related(
        "section__school_class", "subject", "teacher__user"
    ).get(pk=entry.pk)
    before = _snapshot(entry)
    apply(entry, CHANGEABLE, data)
    entry.room = (entry.room or "").strip()
    _check(entry)
    save(entry)
    audit.record(
        actor=actor,
        action="timetable_entry.update",
        instance=entry,
        before=before,
        after=_snapshot(entry),
    )
    return entry


@transaction.atomic
def timetable_entry_delete(*, entry: TimetableEntry, actor: User | None) -> None:
    audit.record(
        actor=actor,
        action="timetable_entry.delete",
        instance=entry,
        before=_snapshot(entry),
    )
    entry.delete()
