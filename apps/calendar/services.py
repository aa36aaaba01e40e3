"""Writes with business rules for the calendar: one function per change, each a transaction
that validates, saves and writes an audit record.

- Events: the class/section given must match the audience (fields the audience does not use are
  cleared on update, refused when sent); all-day events have no times; the academic year
  defaults to the section's year, else the school's year containing the first day.
- Exam schedule: two papers for the same section never overlap in time (a paper for a class is
  sat by each of its sections); the 400 names the clash. Checks and writes for one class are
  serialised by locking the class row.
- Feed tokens: a random secret (32 bytes, URL-safe) is returned once; only its SHA-256 is kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.academics.models import AcademicYear, SchoolClass, Section, Subject
from apps.accounts.models import School, User
from apps.accounts.principals import principal_may_act
from apps.core import audit
from apps.core.events import notify_on_commit
from apps.core.services import apply_fields, audited_delete, refuse, save_checked
from apps.core.signals import announce_change

from .models import Audience, CalendarEvent, CalendarFeedToken, ExamScheduleEntry

EVENT_FIELDS = [
    "title",
    "description",
    "kind",
    "start_date",
    "end_date",
    "all_day",
    "start_time",
    "end_time",
    "audience",
    "school_class",
    "section",
    "academic_year",
]
EXAM_FIELDS = [
    "exam_name",
    "school_class",
    "section",
    "subject",
    "date",
    "start_time",
    "end_time",
    "room",
    "max_marks",
]
TOKEN_FIELDS = ["user", "label", "hint", "revoked_at"]
MAX_ACTIVE_TOKENS = 20
TOKEN_BYTES = 32


# --- Events -------------------------------------------------------------------------------------
_AUDIENCE_UNUSED = {
    Audience.SCHOOL: ("school_class", "section"),
    Audience.CLASS: ("section",),
    Audience.SECTION: ("school_class",),
}


def _fit_audience(event: CalendarEvent, data: dict[str, Any]) -> None:
    """Clear the class/section the audience does not use; refuse one sent for it."""
    for name in _AUDIENCE_UNUSED[Audience(event.audience)]:
        if data.get(name) is not None:
            raise refuse(
                _("A %(audience)s event has no %(field)s; change the audience first.")
                % {
                    "audience": Audience(event.audience).label.lower(),
                    "field": CalendarEvent._meta.get_field(name).verbose_name,
                },
                code="audience_mismatch",
                fields=[name],
            )
        setattr(event, name, None)


def _fit_times(event: CalendarEvent, data: dict[str, Any]) -> None:
    if event.all_day:
        for name in ("start_time", "end_time"):
            if data.get(name) is not None:
                raise refuse(
                    _("An all-day event has no times; set all_day to false to give times."),
                    code="invalid_times",
                    fields=[name],
                )
            setattr(event, name, None)


def _default_year(event: CalendarEvent) -> None:
    if event.academic_year_id is not None:
        if event.section_id and event.section.year_id != event.academic_year_id:
            raise refuse(
                _("The academic year must be the section's year (%(year)s).")
                % {"year": event.section.year.name},
                code="invalid_year",
                fields=["academic_year"],
            )
        return
    if event.section_id:
        event.academic_year_id = event.section.year_id
    elif event.start_date:
        event.academic_year = (
            AcademicYear.objects.filter(
                school_id=event.school_id,
                start_date__lte=event.start_date,
                end_date__gte=event.start_date,
            )
            .only("pk")
            .first()
        )


def _event_snapshot(event: CalendarEvent) -> dict[str, Any]:
    return audit.snapshot(event, EVENT_FIELDS)


def _prepare_event(event: CalendarEvent, data: dict[str, Any]) -> None:
    if event.end_date is None:
        event.end_date = event.start_date
    if event.all_day is None:
        event.all_day = event.start_time is None and event.end_time is None
    _fit_audience(event, data)
    _fit_times(event, data)
    event.title = (event.title or "").strip()
    _default_year(event)


@transaction.atomic
def calendar_event_create(
    *,
    school: School,
    actor: User | None,
    title: str,
    kind: str,
    start_date: dt.date,
    end_date: dt.date | None = None,
    description: str = "",
    all_day: bool | None = None,
    start_time: dt.time | None = None,
    end_time: dt.time | None = None,
    audience: str = Audience.SCHOOL,
    school_class: SchoolClass | None = None,
    section: Section | None = None,
    academic_year: AcademicYear | None = None,
) -> CalendarEvent:
    """A holiday or event. Without an end date it is a one-day event; without `all_day` it is
    all day unless times are given."""
    data = {
        "school_class": school_class,
        "section": section,
        "start_time": start_time,
        "end_time": end_time,
    }
    event = CalendarEvent(
        school=school,
        title=title,
        description=description,
        kind=kind,
        start_date=start_date,
        end_date=end_date,
        all_day=all_day,
        start_time=start_time,
        end_time=end_time,
        audience=audience,
        school_class=school_class,
        section=section,
        academic_year=academic_year,
    )
    _prepare_event(event, data)
    save_checked(event)
    audit.record(
        actor=actor, action="calendar_event.create", instance=event, after=_event_snapshot(event)
    )
    announce_change(event.school_id, "calendar")
    return event


@transaction.atomic
def calendar_event_update(
    *, event: CalendarEvent, actor: User | None, data: dict[str, Any]
) -> CalendarEvent:
    """Change any field; the same rules as a new event. Moving to another audience clears the
    class/section it no longer uses; turning all_day on clears the times."""
    event = CalendarEvent.objects.select_for_update(of=("self",)).get(pk=event.pk)
    before = _event_snapshot(event)
    if "start_date" in data and "end_date" not in data and event.end_date < data["start_date"]:
        data = {**data, "end_date": data["start_date"]}  # moving a one-day event moves its end
    if "section" in data and "academic_year" not in data:
        event.academic_year = None  # follows the new section
    apply_fields(event, EVENT_FIELDS, data)
    _prepare_event(event, data)
    save_checked(event)
    audit.record(
        actor=actor,
        action="calendar_event.update",
        instance=event,
        before=before,
        after=_event_snapshot(event),
    )
    notify_on_commit("calendar.event_changed", event, version=event.updated_at.isoformat())
    announce_change(event.school_id, "calendar")
    return event


@transaction.atomic
def calendar_event_delete(*, event: CalendarEvent, actor: User | None) -> None:
    audit.record(
        actor=actor,
        action="calendar_event.delete",
        instance=event,
        before=_event_snapshot(event),
    )
    notify_on_commit("calendar.event_cancelled", event, **_cancelled(event))
    announce_change(event.school_id, "calendar")
    event.delete()


def _cancelled(event: CalendarEvent) -> dict[str, Any]:
    """What the cancellation notice needs once the row is gone."""
    return {
        "school": str(event.school_id),
        "title": event.title,
        "date": event.start_date.isoformat(),
        "audience": event.audience,
        "school_class": event.school_class_id and str(event.school_class_id),
        "section": event.section_id and str(event.section_id),
    }


# --- Exam schedule ------------------------------------------------------------------------------
def _exam_snapshot(entry: ExamScheduleEntry) -> dict[str, Any]:
    return audit.snapshot(entry, EXAM_FIELDS)


def _class_id(entry: ExamScheduleEntry):
    return entry.section.school_class_id if entry.section_id else entry.school_class_id


def _check_exam(entry: ExamScheduleEntry) -> None:
    """Refuse a paper that overlaps another paper sat by one of the same sections."""
    if not (entry.date and entry.start_time and entry.end_time):
        return
    if entry.end_time <= entry.start_time:
        raise refuse(
            _("An exam must end after it starts."), code="invalid_times", fields=["end_time"]
        )
    class_id = _class_id(entry)
    if entry.section_id:
        # This section's papers and its whole class's.
        sharing = Q(section_id=entry.section_id) | Q(school_class_id=class_id)
    else:
        # Every paper of the class, whether for the class or for one of its sections.
        sharing = Q(school_class_id=class_id) | Q(section__school_class_id=class_id)
    # Intervals are half-open: a paper may start as another ends.
    other = (
        ExamScheduleEntry.objects.filter(
            sharing,
            school_id=entry.school_id,
            date=entry.date,
            start_time__lt=entry.end_time,
            end_time__gt=entry.start_time,
        )
        .exclude(pk=entry.pk)
        .select_related("section__school_class", "school_class", "subject")
        .order_by("start_time")
        .first()
    )
    if other is None:
        return
    message = _("%(audience)s already has %(subject)s (%(exam)s) on %(slot)s.") % {
        "audience": other.audience_name,
        "subject": other.subject.name,
        "exam": other.exam_name,
        "slot": other.slot,
    }
    raise refuse(message, code="exam_clash", fields=["start_time", "end_time"])


def _lock_class(class_id) -> None:
    SchoolClass.objects.select_for_update().only("pk").get(pk=class_id)


def _prepare_exam(entry: ExamScheduleEntry) -> None:
    entry.exam_name = (entry.exam_name or "").strip()
    entry.room = (entry.room or "").strip()
    if bool(entry.section_id) == bool(entry.school_class_id):
        message = _("Choose either a class or a section.")
        raise refuse(message, code="invalid_audience", fields=["section", "school_class"])


@transaction.atomic
def exam_entry_create(
    *,
    school: School,
    actor: User | None,
    exam_name: str,
    subject: Subject,
    date: dt.date,
    start_time: dt.time,
    end_time: dt.time,
    section: Section | None = None,
    school_class: SchoolClass | None = None,
    room: str | None = None,
    max_marks: int | None = None,
) -> ExamScheduleEntry:
    """A paper for one section or a whole class. Without a room, a section's paper is in the
    section's own room."""
    entry = ExamScheduleEntry(
        school=school,
        exam_name=exam_name,
        subject=subject,
        date=date,
        start_time=start_time,
        end_time=end_time,
        section=section,
        school_class=school_class,
        room=(section.room if room is None and section is not None else room or ""),
        max_marks=max_marks,
    )
    _prepare_exam(entry)
    entry.full_clean()  # another school's class/section is refused before anything is locked
    _lock_class(_class_id(entry))
    _check_exam(entry)
    save_checked(entry)
    audit.record(
        actor=actor, action="exam_entry.create", instance=entry, after=_exam_snapshot(entry)
    )
    return entry


@transaction.atomic
def exam_entry_update(
    *, entry: ExamScheduleEntry, actor: User | None, data: dict[str, Any]
) -> ExamScheduleEntry:
    """Change any field; the same checks as a new paper. Giving a section clears the class and
    the other way round."""
    entry = ExamScheduleEntry.objects.select_related("section", "school_class").get(pk=entry.pk)
    before = _exam_snapshot(entry)
    data = dict(data)
    if data.get("section") is not None and "school_class" not in data:
        data["school_class"] = None
    if data.get("school_class") is not None and "section" not in data:
        data["section"] = None
    old_class = _class_id(entry)
    apply_fields(entry, EXAM_FIELDS, data)
    _prepare_exam(entry)
    entry.full_clean()
    for class_id in sorted({str(old_class), str(_class_id(entry))}):
        _lock_class(class_id)
    _check_exam(entry)
    save_checked(entry)
    audit.record(
        actor=actor,
        action="exam_entry.update",
        instance=entry,
        before=before,
        after=_exam_snapshot(entry),
    )
    return entry


@transaction.atomic
def exam_entry_delete(*, entry: ExamScheduleEntry, actor: User | None) -> None:
    audit.record(
        actor=actor, action="exam_entry.delete", instance=entry, before=_exam_snapshot(entry)
    )
    entry.delete()


# --- Feed tokens ----------------------------------------------------------------------------------
def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def feed_token_create(*, user: User, label: str = "") -> tuple[CalendarFeedToken, str]:
    """A new feed token for `user` (a member of a school). Returns the row and the plain token,
    which is not kept anywhere: the caller shows it once. At most MAX_ACTIVE_TOKENS at once."""
    if user.school_id is None:
        raise refuse(_("Only members of a school have a calendar."), code="no_school")
    User.objects.select_for_update().only("pk").get(pk=user.pk)  # one count at a time per user
    active = CalendarFeedToken.objects.filter(user=user, revoked_at__isnull=True).count()
    if active >= MAX_ACTIVE_TOKENS:
        raise refuse(
            _("You already have %(count)d calendar links; revoke one you no longer use.")
            % {"count": active},
            code="too_many_tokens",
        )
    plain = secrets.token_urlsafe(TOKEN_BYTES)
    token = CalendarFeedToken(
        school_id=user.school_id,
        user=user,
        label=(label or "").strip(),
        token_hash=hash_token(plain),
        hint=plain[:6],
    )
    save_checked(token)
    audit.record(
        actor=user,
        action="calendar_feed_token.create",
        instance=token,
        after=audit.snapshot(token, TOKEN_FIELDS),
    )
    return token, plain


@transaction.atomic
def feed_token_revoke(*, token: CalendarFeedToken, actor: User | None) -> CalendarFeedToken:
    """Stop the token from opening the feed; the row stays, marked. Revoking twice is a no-op."""
    token = CalendarFeedToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    before = audit.snapshot(token, TOKEN_FIELDS)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at", "updated_at"])
    audit.record(
        actor=actor,
        action="calendar_feed_token.revoke",
        instance=token,
        before=before,
        after=audit.snapshot(token, TOKEN_FIELDS),
    )
    return token


@transaction.atomic
def feed_tokens_revoke_all(user: User) -> int:
    """Revoke every live feed token of `user`; run by every sign-out everywhere (password change
    or reset, deactivation), so a feed address given to a lost phone dies with the sessions.
    Each revocation is audited. Returns how many were revoked."""
    tokens = list(
        CalendarFeedToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
    )
    if not tokens:
        return 0
    now = timezone.now()
    entries = []
    for token in tokens:
        before = audit.snapshot(token, TOKEN_FIELDS)
        token.revoked_at = now
        entries.append(
            {
                "actor": None,
                "action": "calendar_feed_token.revoke",
                "instance": token,
                "before": before,
                "after": audit.snapshot(token, TOKEN_FIELDS),
            }
        )
    CalendarFeedToken.objects.filter(pk__in=[t.pk for t in tokens]).update(
        revoked_at=now, updated_at=now
    )
    audit.record_many(entries)
    return len(tokens)


@transaction.atomic
def feed_token_delete(*, token: CalendarFeedToken, actor: User | None) -> None:
    audited_delete(token, actor=actor, action="calendar_feed_token.delete", fields=TOKEN_FIELDS)


def feed_token_for(plain: str) -> CalendarFeedToken | None:
    """The live token for `plain` (with its user and school loaded), or None when it is
    unknown, revoked, its user is no longer in the token's school, or `principal_may_act`
    refuses the user (deactivated, or the school is inactive)."""
    if not plain or len(plain) > 200:
        return None
    found = (
        CalendarFeedToken.objects.select_related("user__school")
        .filter(
            token_hash=hash_token(plain),
            revoked_at__isnull=True,
            user__school_id=models.F("school_id"),
        )
        .first()
    )
    if found is None or not principal_may_act(found.user):
        return None
    return found


def feed_token_touch(*, token: CalendarFeedToken) -> None:
    """Record that the feed was fetched (not audited: a read, not a change)."""
    now = timezone.now()
    CalendarFeedToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
