"""Reads of attendance: what Postgres holds with the marks still waiting in the write-behind
buffer laid over it (read-your-writes), with the joins done so callers cannot cause N+1.

A mark is a dict (the shape of `AttendanceRecord.objects.values()` with ids as strings, plus
`slot` and `pending`); `describe()` adds the student's name and roll number for the API.
Who may see which marks is decided by `apps.attendance.scopes` (the API asks it first); these
functions only shape the reads. Every function runs a fixed number of SQL queries; Redis is read
once per (section, date) group touched, before Postgres (see `apps.core.buffer.overlay`).
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
import uuid
import zoneinfo
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, QuerySet
from django.utils import timezone

from apps.academics.models import AcademicYear, Enrollment, Section, TimetableEntry
from apps.accounts.models import StudentProfile
from apps.core import buffer
from apps.core.compiled import CompiledQuery

from .buffer_kinds import KIND, load_record, slot_of
from .models import STATUS_CODES, AttendanceRecord, Status

Mark = dict[str, Any]
ALL_PERIODS = object()  # section_day(period=ALL_PERIODS): the daily mark and every period's
MAX_RANGE_DAYS = 366

VALUE_FIELDS = (
    "id",
    "school_id",
    "student_id",
    "section_id",
    "date",
    "period_id",
    "status",
    "late_minutes",
    "reason",
    "remarks",
    "marked_by_id",
    "ts",
)
_ID_FIELDS = ("id", "school_id", "student_id", "section_id", "period_id", "marked_by_id")


def school_today(school) -> dt.date:
    """Today's date where the school is (School.timezone)."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(school.timezone)).date()


def attendance_queryset() -> QuerySet[AttendanceRecord]:
    return AttendanceRecord.objects.select_related(
        "student__user", "section__school_class", "period__subject", "marked_by"
    )


# --- marks: rows + pending ----------------------------------------------------------------------
def _row(values: dict) -> Mark:
    for name in _ID_FIELDS:
        if values[name] is not None:
            values[name] = str(values[name])
    values["slot"] = slot_of(values["period_id"])
    values["pending"] = False
    return values


def _rows(qs: QuerySet[AttendanceRecord]) -> list[Mark]:
    # No ORDER BY: the model's default ordering would join section and student only to sort,
    # and every caller orders the merged marks itself.
    return [_row(v) for v in qs.order_by().values(*VALUE_FIELDS)]


def _key(mark: Mark) -> tuple:
    return (mark["school_id"], mark["student_id"], mark["date"], mark["slot"])


def _merge(rows: Iterable[Mark], records: Iterable[Mark]) -> list[Mark]:
    """`rows` from Postgres with pending `records` laid over them, the newer `ts` winning per
    key (as `buffer.overlay` does, for reads that span several buffer groups)."""
    out = {_key(r): r for r in rows}
    for record in records:
        held = out.get(_key(record))
        if held is None or held["ts"] < record["ts"]:
            out[_key(record)] = {**(held or {}), **record}
    return list(out.values())


def after_write(marks: list[Mark], stored: list[dict], *, pending: bool) -> list[Mark]:
    """A register read before a write (`section_day`) with the records just written laid
    over it: what reading it again would answer, without the second read."""
    records = []
    for record in stored:
        mark = load_record(record)
        mark["pending"] = pending
        records.append(mark)
    return _merge(marks, records)


def _period_matches(mark: Mark, period) -> bool:
    if period is ALL_PERIODS:
        return True
    wanted = getattr(period, "pk", period)
    return mark["period_id"] == (str(wanted) if wanted else None)


def _day_query(school_id, section_id, date, daily: bool) -> QuerySet[AttendanceRecord]:
    qs = AttendanceRecord.objects.filter(school_id=school_id, section_id=section_id, date=date)
    if daily:
        qs = qs.filter(period__isnull=True)
    return qs.order_by().values(*VALUE_FIELDS)


# A register's rows, read on every mark and every register read: compiled once.
_day_rows = CompiledQuery(_day_query, fixed=("daily",), uuids_as_text=True)


def section_day(section: Section, date: dt.date, period=None) -> list[Mark]:
    """The marks of `section` on `date`: the daily ones (`period` None), one period's
    (a TimetableEntry or its id), or all (`ALL_PERIODS`); pending marks included."""
    if period is None or period is ALL_PERIODS:

        def read() -> list[Mark]:
            return [
                _row(v)
                for v in _day_rows.rows(
                    school_id=_uuid(section.school_id),
                    section_id=_uuid(section.pk),
                    date=date,
                    daily=period is None,
                )
            ]

    else:
        qs = AttendanceRecord.objects.filter(
            school_id=section.school_id,
            section_id=section.pk,
            date=date,
            period_id=getattr(period, "pk", period),
        )

        def read() -> list[Mark]:
            return _rows(qs)

    marks = buffer.overlay(
        KIND, read, school_id=section.school_id, section_id=section.pk, date=date
    )
    return [m for m in marks if _period_matches(m, period) and m["section_id"] == str(section.pk)]


def _pending_for_sections(school_id, pairs: Iterable[tuple[Any, dt.date]]) -> list[Mark]:
    records: list[Mark] = []
    for section_id, date in pairs:
        records += buffer.pending(KIND, school_id=school_id, section_id=section_id, date=date)
    return records


@dataclass
class Placement:
    """Where a student was enrolled over a date range: (section, first day, last day)."""

    spans: list[tuple[Any, dt.date, dt.date]] = field(default_factory=list)

    def pairs(self, start: dt.date, end: dt.date) -> Iterable[tuple[Any, dt.date]]:
        for section_id, first, last in self.spans:
            day = max(first, start)
            while day <= min(last, end):
                yield section_id, day
                day += dt.timedelta(days=1)


def _placement(student: StudentProfile, start: dt.date, end: dt.date) -> Placement:
    spans = Enrollment.objects.filter(
        student_id=student.pk, year__start_date__lte=end, year__end_date__gte=start
    ).values_list("section_id", "year__start_date", "year__end_date")
    return Placement([(section_id, first, last) for section_id, first, last in spans])


def student_marks(
    student: StudentProfile,
    start: dt.date,
    end: dt.date,
    *,
    section_ids: Collection[str] | None = None,
) -> list[Mark]:
    """Every mark of `student` with a date in [start, end] (at most MAX_RANGE_DAYS days),
    pending ones included: pending marks are read from the groups of the sections the student
    was enrolled in on each day. With `section_ids`, only the marks taken in those sections
    (`apps.attendance.scopes.readable_section_ids`). Two queries."""
    placement = _placement(student, start, end)
    records = [
        r
        for r in _pending_for_sections(student.school_id, placement.pairs(start, end))
        if r["student_id"] == str(student.pk)
    ]
    rows = _rows(
        AttendanceRecord.objects.filter(student_id=student.pk, date__gte=start, date__lte=end)
    )
    marks = _merge(rows, records)
    if section_ids is not None:
        marks = [m for m in marks if m["section_id"] in section_ids]
    return sorted(marks, key=lambda m: (m["date"], m["period_id"] is not None, m["slot"]))


# --- shaping for the API ------------------------------------------------------------------------
def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _uuids(values: Iterable) -> list[uuid.UUID]:
    return sorted(_uuid(v) for v in values)


# The names and roll numbers of a register's students: compiled once per register size.
_enrollment_names = CompiledQuery(
    lambda student_ids: Enrollment.objects.filter(student_id__in=student_ids).values(
        "student_id", "section_id", "roll_number", name=F("student__user__full_name")
    ),
    uuids_as_text=True,
)


def describe(marks: list[Mark], enrollments: Iterable[dict] | None = None) -> list[Mark]:
    """`marks` with `student_name`, `roll_number` (the student's roll number in the mark's
    section) and `period_number`, ordered by date, roll number, then the daily mark before the
    periods in order. Three queries at most; none for the names and rolls when `enrollments`
    (rows of `student_id`, `section_id`, `roll_number` and `name`, ids as text) already cover
    every marked student in the marks' sections."""
    student_ids = {m["student_id"] for m in marks}
    if not student_ids:
        return []
    rolls: dict[tuple[str, str], int] = {}
    names: dict[str, str] = {}
    for e in enrollments or ():
        rolls[(e["student_id"], e["section_id"])] = e["roll_number"]
        names[e["student_id"]] = e["name"]
    covered = {(m["student_id"], m["section_id"]) for m in marks} <= rolls.keys()
    for row in () if covered else _enrollment_names.rows(student_ids=_uuids(student_ids)):
        rolls[(str(row["student_id"]), str(row["section_id"]))] = row["roll_number"]
        names[str(row["student_id"])] = row["name"]
    missing = student_ids - names.keys()
    if missing:
        for pk, name in StudentProfile.objects.filter(pk__in=missing).values_list(
            "pk", "user__full_name"
        ):
            names[str(pk)] = name
    period_ids = {m["period_id"] for m in marks if m["period_id"]}
    numbers = (
        {
            str(pk): number
            for pk, number in TimetableEntry.objects.filter(pk__in=period_ids).values_list(
                "pk", "period"
            )
        }
        if period_ids
        else {}
    )
    out = [
        {
            **m,
            "student_name": names.get(m["student_id"], ""),
            "roll_number": rolls.get((m["student_id"], m["section_id"])),
            "period_number": numbers.get(m["period_id"]),
        }
        for m in marks
    ]
    out.sort(
        key=lambda m: (
            m["date"],
            m["roll_number"] if m["roll_number"] is not None else 1 << 30,
            m["student_name"],
            m["period_number"] or 0,
            m["slot"],
        )
    )
    return out


# --- summaries ----------------------------------------------------------------------------------
def counts(marks: Iterable[Mark]) -> dict[str, int]:
    found = Counter(m["status"] for m in marks)
    return {status: found.get(status, 0) for status in Status.values}


def percentage(by_status: dict[str, int]) -> float | None:
    """Attended (present + late) over every marked day, in percent; None with no marks."""
    total = sum(by_status.values())
    if not total:
        return None
    return round(100 * (by_status[Status.PRESENT] + by_status[Status.LATE]) / total, 2)


def student_summary(
    student: StudentProfile,
    start: dt.date,
    end: dt.date,
    *,
    section_ids: Collection[str] | None = None,
) -> dict[str, Any]:
    """Counts by status and the attendance percentage of `student` over [start, end], from the
    daily marks (of `section_ids` only, if given); period marks are counted separately."""
    marks = student_marks(student, start, end, section_ids=section_ids)
    daily = counts(m for m in marks if m["period_id"] is None)
    periods = counts(m for m in marks if m["period_id"] is not None)
    return {
        "student": str(student.pk),
        "from": start,
        "to": end,
        "days_marked": sum(daily.values()),
        "counts": daily,
        "percentage": percentage(daily),
        "periods_marked": sum(periods.values()),
        "period_counts": periods,
        "period_percentage": percentage(periods),
    }


def daily_counts_by_student(
    school_id, section_ids: Collection, start: dt.date, end: dt.date
) -> dict[str, dict[str, int]]:
    """Counts by status of the daily marks taken in `section_ids` over [start, end] (at most
    MAX_RANGE_DAYS days), per student id (a string), pending marks included: for a whole class
    at once (report cards, promotion), one query and one Redis read per (section, day) instead
    of a `student_summary` per student."""
    ids = {str(pk) for pk in section_ids}
    days = [
        start + dt.timedelta(days=i) for i in range(min((end - start).days + 1, MAX_RANGE_DAYS))
    ]
    records = _pending_for_sections(school_id, ((pk, day) for pk in ids for day in days))
    rows = _rows(
        AttendanceRecord.objects.filter(
            school_id=school_id,
            section_id__in=ids,
            date__gte=start,
            date__lte=end,
            period__isnull=True,
        )
    )
    by_student: dict[str, list[Mark]] = {}
    for mark in _merge(rows, records):
        if mark["period_id"] is None and mark["section_id"] in ids:
            by_student.setdefault(mark["student_id"], []).append(mark)
    return {student: counts(marks) for student, marks in by_student.items()}


def absent_students(
    school_id, student_ids: Collection, section_ids: Collection, date: dt.date
) -> set[str]:
    """Which of `student_ids` the daily register of `date` marks absent, pending marks of
    `section_ids` (their sections) included: one query and one Redis read per section."""
    students = {str(pk) for pk in student_ids}
    records = _pending_for_sections(school_id, ((str(pk), date) for pk in set(section_ids)))
    rows = _rows(
        AttendanceRecord.objects.filter(
            school_id=school_id, student_id__in=students, date=date, period__isnull=True
        )
    )
    return {
        m["student_id"]
        for m in _merge(rows, records)
        if m["period_id"] is None and m["student_id"] in students and m["status"] == Status.ABSENT
    }


def section_day_summary(section: Section, date: dt.date) -> dict[str, Any]:
    """How `section` attended on `date`: enrolled, marked and unmarked counts of the daily
    register, counts by status, and the same for each timetable period of that weekday."""
    marks = section_day(section, date, ALL_PERIODS)
    enrolled = set(
        map(
            str,
            Enrollment.objects.filter(section_id=section.pk).values_list("student_id", flat=True),
        )
    )
    daily = [m for m in marks if m["period_id"] is None]
    periods = []
    for entry in TimetableEntry.objects.filter(
        section_id=section.pk, weekday=date.weekday()
    ).select_related("subject", "teacher__user"):
        taken = [m for m in marks if m["period_id"] == str(entry.pk)]
        periods.append(
            {
                "period": str(entry.pk),
                "number": entry.period,
                "subject": entry.subject.name,
                "teacher": entry.teacher.user.full_name,
                "marked": len(taken),
                "counts": counts(taken),
            }
        )
    by_status = counts(daily)
    return {
        "section": str(section.pk),
        "date": date,
        "enrolled": len(enrolled),
        "marked": len(daily),
        "not_marked": len(enrolled - {m["student_id"] for m in daily}),
        "counts": by_status,
        "percentage": percentage(by_status),
        "periods": periods,
    }


def school_day_by_section(school, date: dt.date) -> list[dict[str, Any]]:
    """Every section of the academic year containing `date` with how its daily register stands
    that day: enrolled, marked and not marked, counts by status and the attendance percentage,
    pending marks of the write buffer included (`pending`: how many are still waiting), and
    whether the section is on holiday. Four queries and one Redis read per section, whatever
    the size of the school (the staff admin's "today's attendance")."""
    from django.db.models import Count

    year = AcademicYear.objects.filter(
        school_id=school.pk, start_date__lte=date, end_date__gte=date
    ).first()
    if year is None:
        return []
    sections = list(
        Section.objects.filter(school_id=school.pk, year=year)
        .annotate(enrolled=Count("enrollments"))
        .select_related("school_class", "class_teacher__user")
        .order_by("school_class__order", "school_class__name", "name")
    )
    if not sections:
        return []
    from apps.calendar.selectors import sections_on_holiday

    off = sections_on_holiday(school.pk, date, sections)
    records = _pending_for_sections(school.pk, ((s.pk, date) for s in sections))
    rows = _rows(
        AttendanceRecord.objects.filter(
            school_id=school.pk,
            date=date,
            period__isnull=True,
            section_id__in=[s.pk for s in sections],
        )
    )
    by_section: dict[str, list[Mark]] = {}
    for mark in _merge(rows, records):
        if mark["period_id"] is None:
            by_section.setdefault(mark["section_id"], []).append(mark)
    waiting = Counter(r["section_id"] for r in records if r["period_id"] is None)
    out = []
    for section in sections:
        marks = by_section.get(str(section.pk), [])
        by_status = counts(marks)
        out.append(
            {
                "section": section,
                "enrolled": section.enrolled,
                "marked": len(marks),
                "not_marked": max(section.enrolled - len(marks), 0),
                "counts": by_status,
                "percentage": percentage(by_status),
                "pending": waiting.get(str(section.pk), 0),
                "holiday": str(section.pk) in off,
            }
        )
    return out


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, pycalendar.monthrange(year, month)[1])


def monthly_register(section: Section, year: int, month: int) -> dict[str, Any]:
    """The section's daily register for a month: one row per student (enrolled, or marked that
    month) with a code per day (P, A, L, E; H on holidays; blank when not marked) and totals.
    Four queries, one Redis read per day of the month."""
    from apps.calendar.selectors import holiday_dates_between

    start, end = month_bounds(year, month)
    days = [start + dt.timedelta(days=i) for i in range(end.day)]
    records = _pending_for_sections(section.school_id, ((section.pk, d) for d in days))
    rows = _rows(
        AttendanceRecord.objects.filter(
            school_id=section.school_id,
            section_id=section.pk,
            date__gte=start,
            date__lte=end,
            period__isnull=True,
        )
    )
    marks = [
        m
        for m in _merge(rows, records)
        if m["period_id"] is None and m["section_id"] == str(section.pk)
    ]
    holidays = holiday_dates_between(section.school_id, start, end, section)
    students: dict[str, dict[str, Any]] = {}
    for student_id, name, roll in (
        Enrollment.objects.filter(section_id=section.pk)
        .order_by("roll_number")
        .values_list("student_id", "student__user__full_name", "roll_number")
    ):
        students[str(student_id)] = {"student": str(student_id), "name": name, "roll_number": roll}
    strangers = {m["student_id"] for m in marks} - students.keys()
    for student_id, name in StudentProfile.objects.filter(pk__in=strangers).values_list(
        "pk", "user__full_name"
    ):
        students[str(student_id)] = {"student": str(student_id), "name": name, "roll_number": None}
    by_student: dict[str, dict[dt.date, Mark]] = {}
    for mark in marks:
        by_student.setdefault(mark["student_id"], {})[mark["date"]] = mark
    register = []
    for student in students.values():
        own = by_student.get(student["student"], {})
        codes = []
        for day in days:
            mark = own.get(day)
            if mark is not None:
                codes.append(STATUS_CODES[mark["status"]])
            else:
                codes.append("H" if day in holidays else "")
        by_status = counts(own.values())
        register.append(
            {**student, "days": codes, "counts": by_status, "percentage": percentage(by_status)}
        )
    return {
        "section": str(section.pk),
        "section_name": section.display_name,
        "month": f"{year:04d}-{month:02d}",
        "days": days,
        "holidays": sorted(holidays),
        "students": register,
    }


# --- sections not taken -------------------------------------------------------------------------
def not_taken(school, date: dt.date, section_ids: QuerySet | None = None) -> list[Section]:
    """Sections of the academic year containing `date` (limited to `section_ids` if given) that
    have enrolled students, are not on holiday, and have no daily mark for `date`, pending
    marks included. Three queries, one Redis read per candidate section."""
    year = AcademicYear.objects.filter(
        school_id=school.pk, start_date__lte=date, end_date__gte=date
    ).first()
    if year is None:
        return []
    sections = (
        Section.objects.filter(school_id=school.pk, year=year, enrollments__isnull=False)
        .distinct()
        .select_related("school_class", "class_teacher__user")
        .order_by("school_class__order", "school_class__name", "name")
    )
    if section_ids is not None:
        sections = sections.filter(pk__in=section_ids)
    sections = list(sections)
    if not sections:
        return []
    from apps.calendar.selectors import sections_on_holiday

    off = sections_on_holiday(school.pk, date, sections)
    candidates = [s for s in sections if str(s.pk) not in off]
    taken = {
        r["section_id"]
        for r in _pending_for_sections(school.pk, ((s.pk, date) for s in candidates))
        if r["period_id"] is None
    }
    taken |= {
        str(pk)
        for pk in AttendanceRecord.objects.filter(
            school_id=school.pk,
            date=date,
            period__isnull=True,
            section_id__in=[s.pk for s in candidates],
        )
        .values_list("section_id", flat=True)
        .distinct()
    }
    return [s for s in candidates if str(s.pk) not in taken]
