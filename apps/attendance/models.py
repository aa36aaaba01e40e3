"""Attendance marks: one row per student per day (daily, `period` NULL) or per timetable period.

Marks reach this table through the write-behind buffer (`buffer_kinds`), never by `save()` in a
request: the row's primary key is derived from its natural key (`mark_id`), so a mark has the
same id while it waits in Redis as after the flush, and the audit log can name it at once.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.models import SchoolScopedModel

# Namespace of the ids derived from (school, student, date, period); never change it.
MARK_NAMESPACE = uuid.UUID("5f3c1f2e-7a43-4c1b-9a59-2d0c4b1e8a11")


class Status(models.TextChoices):
    PRESENT = "present", _("Present")
    ABSENT = "absent", _("Absent")
    LATE = "late", _("Late")
    EXCUSED = "excused", _("Excused")


# One-letter codes of the monthly register.
STATUS_CODES = {Status.PRESENT: "P", Status.ABSENT: "A", Status.LATE: "L", Status.EXCUSED: "E"}


def mark_name(school_id, student_id, date, period_id) -> str:
    """The name `mark_id` hashes (UUID5 in MARK_NAMESPACE)."""
    day = date if isinstance(date, str) else date.isoformat()
    return f"{school_id}|{student_id}|{day}|{period_id or ''}"


def mark_id(school_id, student_id, date, period_id) -> uuid.UUID:
    """The primary key of the mark with this natural key (the same before and after a flush)."""
    return uuid.uuid5(MARK_NAMESPACE, mark_name(school_id, student_id, date, period_id))


def status_errors(status: str, late_minutes: int, reason: str) -> dict[str, list]:
    """Field errors of one mark's status, late minutes and reason (no database access)."""
    errors: dict[str, list] = {}
    if status == Status.LATE and (late_minutes or 0) <= 0:
        errors["late_minutes"] = [_("Give how many minutes late the student was (more than 0).")]
    elif status != Status.LATE and late_minutes:
        errors["late_minutes"] = [_("Only a late mark has late minutes.")]
    if status == Status.EXCUSED and not (reason or "").strip():
        errors["reason"] = [_("An excused absence needs a reason.")]
    return errors


class AttendanceRecord(SchoolScopedModel):
    """A student's attendance on one date, for the whole day or for one timetable period.

    `ts` is the write time from the buffer (UTC epoch microseconds): a newer write wins, an
    older or replayed one changes nothing.
    """

    student = models.ForeignKey(
        "accounts.StudentProfile",
        on_delete=models.CASCADE,
        related_name="attendance_records",
        verbose_name=_("student"),
        db_index=False,  # leading column of attendance_student_date
    )
    section = models.ForeignKey(
        "academics.Section",
        on_delete=models.PROTECT,
        related_name="attendance_records",
        verbose_name=_("section"),
        db_index=False,  # (school, section, date) covers it
    )
    date = models.DateField(_("date"))
    period = models.ForeignKey(
        "academics.TimetableEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attendance_records",
        verbose_name=_("period"),
        help_text=_("Empty for the daily mark."),
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices)
    late_minutes = models.PositiveSmallIntegerField(_("minutes late"), default=0)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    remarks = models.CharField(_("remarks"), max_length=500, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("marked by"),
    )
    ts = models.BigIntegerField(_("written at (epoch µs)"))

    class Meta:
        ordering = ["date", "section", "student"]
        constraints = [
            # NULLS NOT DISTINCT (PostgreSQL 15): one daily mark (period NULL) per student and
            # day too. The buffer's upsert targets exactly these columns (ON CONFLICT).
            models.UniqueConstraint(
                fields=["school", "student", "date", "period"],
                name="attendance_natural_key",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=(Q(status=Status.LATE, late_minutes__gt=0) | ~Q(status=Status.LATE))
                & (Q(status=Status.LATE) | Q(late_minutes=0)),
                name="attendance_late_minutes",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.EXCUSED) | ~Q(reason=""),
                name="attendance_excused_reason",
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="attendance_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["school", "section", "date"], name="attendance_section_date"),
            models.Index(fields=["student", "date"], name="attendance_student_date"),
        ]
        verbose_name = _("attendance record")
        verbose_name_plural = _("attendance records")

    def __str__(self) -> str:
        # Names only when already loaded: audit records are written for unsaved marks too.
        student = self._state.fields_cache.get("student")
        user = student._state.fields_cache.get("user") if student is not None else None
        period = self._state.fields_cache.get("period")
        who = user.full_name if user is not None else self.student_id
        what = (
            f"P{period.period}" if period is not None else ("period" if self.period_id else "day")
        )
        return f"{who} {self.date} {what}: {self.status}"

    def clean(self):
        super().clean()
        errors = status_errors(self.status, self.late_minutes, self.reason)
        if errors:
            raise ValidationError(errors)
