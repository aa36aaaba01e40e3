"""Some weeks of daily attendance history for the demo school (called by `seed_demo`).

History is written in bulk with the attendance kind's own upsert (the same statement a buffer
flush runs), not through the buffer or the marking service: it is past data, so it sends no
absence alerts and needs no read-your-writes. Days that already have marks are skipped, so
the seed stays idempotent.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from apps.academics.models import AcademicYear, Enrollment
from apps.calendar.selectors import holiday_dates_between
from apps.core.buffer import now_micros

from .buffer_kinds import apply, slot_of
from .models import AttendanceRecord, Status, mark_id

REASONS = ["Fever", "Family function", "Doctor's appointment", "Sports meet"]


def seed_attendance(*, report, school, rng: random.Random, weeks: int = 3) -> None:
    year = AcademicYear.objects.filter(school=school, is_current=True).first()
    if year is None:
        return
    today = timezone.localdate()
    start = max(year.start_date, today - timedelta(weeks=weeks))
    holidays = holiday_dates_between(school=school, start=start, end=today)
    done = set(
        AttendanceRecord.objects.filter(school=school, date__gte=start, period__isnull=True)
        .values_list("date", flat=True)
        .distinct()
    )
    days = [
        start + timedelta(days=offset)
        for offset in range((today - start).days)
        if (start + timedelta(days=offset)).weekday() < 6  # Monday to Saturday
        and start + timedelta(days=offset) not in holidays
        and start + timedelta(days=offset) not in done
    ]
    enrollments = list(
        Enrollment.objects.filter(year=year).values_list(
            "student_id", "section_id", "section__class_teacher__user_id"
        )
    )
    records = []
    for day in days:
        for student_id, section_id, teacher_user_id in enrollments:
            roll = rng.random()
            status, minutes, reason = Status.PRESENT, 0, ""
            if roll > 0.99:
                status, reason = Status.EXCUSED, rng.choice(REASONS)
            elif roll > 0.96:
                status, minutes = Status.LATE, rng.choice([5, 10, 15, 20])
            elif roll > 0.92:
                status = Status.ABSENT
            records.append(
                {
                    "id": str(mark_id(school.pk, student_id, day, None)),
                    "school_id": str(school.pk),
                    "student_id": str(student_id),
                    "section_id": str(section_id),
                    "date": day.isoformat(),
                    "period_id": None,
                    "slot": slot_of(None),
                    "status": status,
                    "late_minutes": minutes,
                    "reason": reason,
                    "remarks": "",
                    "marked_by_id": str(teacher_user_id) if teacher_user_id else None,
                    "ts": now_micros(),
                }
            )
    for chunk in range(0, len(records), 20000):
        apply(records[chunk : chunk + 20000])
    report.created["attendance marks"] = report.created.get("attendance marks", 0) + len(records)
