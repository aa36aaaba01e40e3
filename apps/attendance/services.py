"""Writes of attendance: marking a section's day or period in one request.

Every mark goes through the write-behind buffer (`apps.core.buffer`, kind "attendance"); this
module validates everything first, so the buffer only ever holds marks Postgres accepts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from apps.academics.models import Enrollment, Section, TimetableEntry
from apps.accounts.models import Role, StudentProfile, User
from apps.core import audit, buffer
from apps.core.access import is_platform_superuser
from apps.core.compiled import CompiledQuery
from apps.core.events import notify_on_commit
from apps.core.exceptions import ApplicationError
from apps.core.services import refuse
from apps.core.signals import announce_change

from . import selectors
from .buffer_kinds import KIND, slot_of
from .models import AttendanceRecord, Status, mark_id, status_errors

COMPARED = ("status", "late_minutes", "reason", "remarks")


def edit_window_days() -> int:
    return int(settings.ATTENDANCE_EDIT_WINDOW_DAYS)


def _check_actor(actor, section: Section, period: TimetableEntry | None) -> None:
    """School admins mark anything; a class teacher the daily register of their section; the
    teacher of a timetable period that period. Nobody else."""
    if is_platform_superuser(actor) or actor.role == Role.ADMIN:
        return
    if actor.role == Role.TEACHER:
        if period is None:
            if section.class_teacher_id and section.class_teacher.user_id == actor.pk:
                return
            raise refuse(
                _(
                    "Only the class teacher of %(section)s or a school admin takes its daily attendance."
                )
                % {"section": section.display_name},
                code="not_class_teacher",
                fields=["section"],
                status_code=403,
            )
        if period.teacher.user_id == actor.pk:
            return
        raise refuse(
            _("Only the teacher of this period or a school admin takes its attendance."),
            code="not_period_teacher",
            fields=["period"],
            status_code=403,
        )
    raise refuse(_("Your role may not take attendance."), code="not_allowed", status_code=403)


def _check_day(section: Section, date: dt.date, period: TimetableEntry | None) -> None:
    from apps.calendar.selectors import is_holiday

    if period is not None:
        if period.section_id != section.pk:
            raise refuse(
                _("This period is not on %(section)s's timetable.")
                % {"section": section.display_name},
                code="period_not_in_section",
                fields=["period"],
            )
        if period.weekday != date.weekday():
            raise refuse(
                _("This period is on %(weekday)s, but %(date)s is a %(day)s.")
                % {
                    "weekday": period.get_weekday_display(),
                    "date": date.isoformat(),
                    "day": date.strftime("%A"),
                },
                code="period_weekday_mismatch",
                fields=["period", "date"],
            )
    year = section.year
    if not year.start_date <= date <= year.end_date:
        raise refuse(
            _("%(date)s is outside the academic year %(year)s (%(start)s – %(end)s).")
            % {
                "date": date.isoformat(),
                "year": year.name,
                "start": year.start_date.isoformat(),
                "end": year.end_date.isoformat(),
            },
            code="outside_academic_year",
            fields=["date"],
        )
    if date > selectors.school_today(section.school):
        raise refuse(
            _("Attendance cannot be taken for a future date."), code="future_date", fields=["date"]
        )
    if is_holiday(school=section.school, date=date, section=section):
        raise refuse(
            _("%(date)s is a holiday for %(section)s.")
            % {"date": date.isoformat(), "section": section.display_name},
            code="holiday",
            fields=["date"],
        )


def _entry_errors(entries: list[dict], enrolled: dict[str, Any]) -> list[dict]:
    errors: list[dict] = []
    seen: set[str] = set()
    for entry in entries:
        found: dict[str, list] = {}
        student_id = str(entry["student"])
        if student_id in seen:
            found["student"] = [_("This student is listed more than once.")]
        elif student_id not in enrolled:
            found["student"] = [_("This student is not enrolled in the section.")]
        seen.add(student_id)
        found.update(
            {
                name: [str(m) for m in messages]
                for name, messages in status_errors(
                    entry["status"], entry.get("late_minutes") or 0, entry.get("reason") or ""
                ).items()
            }
        )
        errors.append(found)
    return errors


def _values(entry: dict) -> dict[str, Any]:
    return {
        "status": entry["status"],
        "late_minutes": entry.get("late_minutes") or 0,
        "reason": (entry.get("reason") or "").strip() if entry["status"] == Status.EXCUSED else "",
        "remarks": (entry.get("remarks") or "").strip(),
    }


# A register's students (to check the entries and name the marks in the answer), as
# `selectors.describe` takes them: compiled once.
_register_students = CompiledQuery(
    lambda section_id, year_id: (
        Enrollment.objects.filter(section_id=section_id, year_id=year_id)
        .order_by()
        .values("student_id", "section_id", "roll_number", name=F("student__user__full_name"))
    ),
    uuids_as_text=True,
)


@dataclass
class MarkPlan:
    """What a marking request will write, once every rule has passed (`check_attendance_mark`)."""

    actor: Any
    section: Section
    date: dt.date
    period: TimetableEntry | None
    late_edit: bool
    register: list[dict] = field(default_factory=list)  # the marks before the write
    enrollments: list[dict] = field(default_factory=list)  # the section's (`_register_students`)
    records: list[dict] = field(default_factory=list)  # the buffer records to put
    changes: list[tuple] = field(default_factory=list)  # (enrollment, before, after) to audit
    newly_absent: list[str] = field(default_factory=list)  # students whose guardians hear


@transaction.atomic
def attendance_mark(
    *,
    actor,
    section: Section,
    date: dt.date,
    period: TimetableEntry | None,
    entries: list[dict],
) -> list[dict]:
    """Mark students of `section` on `date`, for the day (`period` None) or one period: the
    rules in `check_attendance_mark`, the writes in `do_attendance_mark`. Returns the
    register's marks after the write."""
    plan = check_attendance_mark(
        actor=actor, section=section, date=date, period=period, entries=entries
    )
    stored = do_attendance_mark(plan)
    after = selectors.after_write(plan.register, stored, pending=stored.buffered)
    return selectors.describe(after, plan.enrollments)


def check_attendance_mark(
    *,
    actor,
    section: Section,
    date: dt.date,
    period: TimetableEntry | None,
    entries: list[dict],
) -> MarkPlan:
    """Every rule of marking, checked before anything is written; returns the plan.

    Rules: the actor may mark this register (`_check_actor`); the period is the section's and
    falls on the date's weekday; the date lies in the section's academic year, is not in the
    future (the school's today) and is no holiday for the section; every student is enrolled in
    the section, listed once; a late mark has minutes late, an excused one a reason.
    Changing an existing mark (pending or flushed) is a teacher's right for
    ATTENDANCE_EDIT_WINDOW_DAYS days after the date; after that only admins may, and every
    change of an existing mark is audit-logged (before/after). Unchanged marks are not written
    again. Students newly marked absent have their guardians notified (once per student, date
    and period; e-mails after commit).
    """
    if not entries:
        raise refuse(_("Send at least one entry."), code="no_entries", fields=["entries"])
    _check_actor(actor, section, period)
    _check_day(section, date, period)

    # The whole section's enrolments: they check the entries and name the register after.
    enrolled = {
        row["student_id"]: row
        for row in _register_students.rows(section_id=section.pk, year_id=section.year_id)
    }
    errors = _entry_errors(entries, enrolled)
    if any(errors):
        raise ApplicationError(
            _("Some entries cannot be recorded."),
            code="invalid_entries",
            fields={"entries": errors},
        )

    register = selectors.section_day(section, date, period)
    existing = {m["student_id"]: m for m in register}
    plan = MarkPlan(
        actor=actor,
        section=section,
        date=date,
        period=period,
        late_edit=(selectors.school_today(section.school) - date).days > edit_window_days(),
        register=register,
        enrollments=list(enrolled.values()),
    )
    is_admin = is_platform_superuser(actor) or actor.role == Role.ADMIN
    refused: list[dict] = []
    for entry in entries:
        student_id = str(entry["student"])
        values = _values(entry)
        held = existing.get(student_id)
        before = {name: held[name] for name in COMPARED} if held else None
        refused.append({})
        if before == values:
            continue  # nothing changes: not written again, not audited
        if held is not None:
            if plan.late_edit and not is_admin:
                refused[-1] = {
                    "student": [
                        _("Marks older than %(days)s days can only be changed by a school admin.")
                        % {"days": edit_window_days()}
                    ]
                }
                continue
            plan.changes.append((enrolled[student_id], before, values))
        if values["status"] == Status.ABSENT and (held is None or held["status"] != Status.ABSENT):
            plan.newly_absent.append(student_id)
        plan.records.append(
            {
                "id": str(mark_id(section.school_id, student_id, date, period and period.pk)),
                "school_id": str(section.school_id),
                "student_id": student_id,
                "section_id": str(section.pk),
                "date": date.isoformat(),
                "period_id": str(period.pk) if period else None,
                "slot": slot_of(period and period.pk),
                **values,
                "marked_by_id": str(actor.pk),
            }
        )
    if any(refused):
        raise ApplicationError(
            _("The edit window for this date has closed; ask a school admin."),
            code="edit_window_closed",
            fields={"entries": refused},
        )
    return plan


def do_attendance_mark(plan: MarkPlan) -> buffer.Stored:
    """Write a checked plan: the audit rows, the guardians' alerts, then the buffer; returns
    the records as stored."""
    section, date, period = plan.section, plan.date, plan.period
    action = "attendance.change_after_window" if plan.late_edit else "attendance.change"
    audit.record_many(
        [
            {
                "actor": plan.actor,
                "action": action,
                "instance": AttendanceRecord(
                    id=mark_id(
                        section.school_id, enrollment["student_id"], date, period and period.pk
                    ),
                    school_id=section.school_id,
                    student=StudentProfile(
                        id=enrollment["student_id"], user=User(full_name=enrollment["name"])
                    ),
                    section_id=section.pk,
                    date=date,
                    period=period,
                    status=after["status"],
                ),
                "before": before,
                "after": after,
                "school": section.school,
            }
            for enrollment, before, after in plan.changes
        ]
    )
    if plan.newly_absent:
        notify_on_commit(
            "attendance.absent",
            section,
            date=date.isoformat(),
            students=plan.newly_absent,
            period=str(period.pk) if period else None,
        )
    if late := _late(plan, date, period):
        notify_on_commit("attendance.late", section, **late)
    # Last, so a refusal above leaves the buffer untouched; put is not transactional.
    stored = buffer.put_many(KIND, plan.records)
    announce_change(section.school_id, "attendance")
    return stored


def _late(plan, date: dt.date, period) -> dict[str, Any] | None:
    """The late-arrival event's parameters (the marks may still be only in the buffer, so the
    builder reads nothing of them); None when nobody is late."""
    late = [str(r["student_id"]) for r in plan.records if r["status"] == Status.LATE]
    if not late:
        return None
    return {"date": date.isoformat(), "students": late, "period": period and period.period}
