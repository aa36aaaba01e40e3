"""Daily rollups: what the reports read instead of the raw rows.

Every table is rebuilt for a day (or a month, or an exam) by `apps.analytics.services.rollup`
with INSERT ... ON CONFLICT on its natural key, so running the nightly job twice, or a backfill
over days already rolled up, leaves the same rows. The rows are derived: nobody edits them (the
admin shows them read-only).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.models import SchoolScopedModel

# One character per day of the month in StudentAttendanceMonth.codes.
NOT_MARKED = "-"
CODES = {"present": "P", "absent": "A", "late": "L", "excused": "E"}


class AttendanceDaily(SchoolScopedModel):
    """A section's daily register on one date: counts by status (a section with no daily mark
    that day has no row)."""

    section = models.ForeignKey(
        "academics.Section", on_delete=models.CASCADE, related_name="+", verbose_name=_("section")
    )
    date = models.DateField(_("date"))
    enrolled = models.PositiveIntegerField(_("enrolled"), default=0)
    present = models.PositiveIntegerField(_("present"), default=0)
    absent = models.PositiveIntegerField(_("absent"), default=0)
    late = models.PositiveIntegerField(_("late"), default=0)
    excused = models.PositiveIntegerField(_("excused"), default=0)
    marked = models.BooleanField(_("register marked"), default=False)

    class Meta:
        ordering = ["-date", "section"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "section", "date"], name="analytics_attendance_day"
            )
        ]
        indexes = [models.Index(fields=["school", "date"], name="analytics_att_school_date")]
        verbose_name = _("attendance per section and day")
        verbose_name_plural = _("attendance per section and day")

    def __str__(self) -> str:
        return f"{self.section_id} {self.date}"


class StudentAttendanceMonth(SchoolScopedModel):
    """A student's daily marks of one month as a string with one character per day (P, A, L, E,
    or '-' when not marked): percentages over any date window and consecutive-absence streaks
    are read from these rows, twelve per student and year, never from the raw marks."""

    student = models.ForeignKey(
        "accounts.StudentProfile",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("student"),
    )
    section = models.ForeignKey(
        "academics.Section",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("section"),
        help_text=_("Where the student was last marked that month."),
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    codes = models.CharField(_("marks by day"), max_length=31)

    class Meta:
        ordering = ["-month", "student"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "student", "month"], name="analytics_student_month"
            )
        ]
        indexes = [models.Index(fields=["school", "month"], name="analytics_stu_school_month")]
        verbose_name = _("student attendance per month")
        verbose_name_plural = _("student attendance per month")

    def __str__(self) -> str:
        return f"{self.student_id} {self.month:%Y-%m}"


class FeeCollectionDaily(SchoolScopedModel):
    """Money received on one date per fee head: each allocation is split over its invoice's
    lines in proportion to their totals; a late fine line and money kept as advance credit have
    no head."""

    date = models.DateField(_("date"))
    head = models.ForeignKey(
        "fees.FeeHead",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("fee head"),
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=0)
    receipts = models.PositiveIntegerField(_("receipts"), default=0)

    class Meta:
        ordering = ["-date", "head"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "date", "head"],
                name="analytics_fee_day_head",
                nulls_distinct=False,
            )
        ]
        verbose_name = _("fee collection per head and day")
        verbose_name_plural = _("fee collection per head and day")

    def __str__(self) -> str:
        return f"{self.date} {self.head_id or '-'}: {self.amount}"


class AssessmentSummary(SchoolScopedModel):
    """Marks of one exam paper in one section: how many sat it, how many were absent, the mean,
    lowest and highest percentage and the number of students in each ten-percent band
    (`deciles[0]` is 0-9.99 %, `deciles[9]` is 90-100 %)."""

    exam = models.ForeignKey(
        "exams.Exam", on_delete=models.CASCADE, related_name="+", verbose_name=_("exam")
    )
    term = models.ForeignKey(
        "academics.Term", on_delete=models.CASCADE, related_name="+", verbose_name=_("term")
    )
    section = models.ForeignKey(
        "academics.Section", on_delete=models.CASCADE, related_name="+", verbose_name=_("section")
    )
    subject = models.ForeignKey(
        "academics.Subject", on_delete=models.CASCADE, related_name="+", verbose_name=_("subject")
    )
    count = models.PositiveIntegerField(_("marked"), default=0)
    absent = models.PositiveIntegerField(_("not present"), default=0)
    mean_percent = models.DecimalField(_("mean %"), max_digits=5, decimal_places=2, null=True)
    min_percent = models.DecimalField(_("lowest %"), max_digits=5, decimal_places=2, null=True)
    max_percent = models.DecimalField(_("highest %"), max_digits=5, decimal_places=2, null=True)
    deciles = models.JSONField(_("students per 10 % band"), default=list)

    class Meta:
        ordering = ["exam", "section", "subject"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "exam", "section", "subject"], name="analytics_assessment_paper"
            )
        ]
        verbose_name = _("assessment summary")
        verbose_name_plural = _("assessment summaries")

    def __str__(self) -> str:
        return f"{self.exam_id} {self.section_id} {self.subject_id}"


class DeliveryDaily(SchoolScopedModel):
    """Notification deliveries created on one date per channel, by where they stand now."""

    date = models.DateField(_("date"))
    channel = models.CharField(_("channel"), max_length=8)
    total = models.PositiveIntegerField(_("total"), default=0)
    sent = models.PositiveIntegerField(_("sent"), default=0)
    delivered = models.PositiveIntegerField(_("delivered"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    suppressed = models.PositiveIntegerField(_("suppressed"), default=0)

    class Meta:
        ordering = ["-date", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "date", "channel"], name="analytics_delivery_day"
            )
        ]
        verbose_name = _("notification deliveries per channel and day")
        verbose_name_plural = _("notification deliveries per channel and day")

    def __str__(self) -> str:
        return f"{self.date} {self.channel}"
