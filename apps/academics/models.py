"""The academic structure of a school: years and terms, classes and their sections, subjects,
who teaches what, who is enrolled where, and the weekly timetable.

Invariants that one row can check live in `clean()` and in constraints; rules that need a lock
(no overlapping years, section capacity, timetable clashes) are enforced by `services`.
Every row carries its school (the tenant); `clean()` refuses links to another school's rows.
"""

from __future__ import annotations

import re

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from apps.core.models import SchoolScopedModel

DATE_FORMAT = "%d %b %Y"
TIME_FORMAT = "%H:%M"


def _fmt_date(value) -> str:
    return value.strftime(DATE_FORMAT)


def _same_school(instance: models.Model, *fields: str) -> dict[str, list[str]]:
    """Field errors for every related row (by FK name) that belongs to another school."""
    errors: dict[str, list[str]] = {}
    for name in fields:
        related_id = getattr(instance, f"{name}_id", None)
        if related_id is None or instance.school_id is None:
            continue
        related = getattr(instance, name)
        if related.school_id != instance.school_id:
            errors[name] = [_("Not found in your school.")]
    return errors


# --- Years and terms ------------------------------------------------------------------------------
class AcademicYear(SchoolScopedModel):
    """A school year ("2026-27"). Years of one school never overlap; at most one is current."""

    name = models.CharField(_("name"), max_length=32, help_text=_("e.g. 2026-27"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    is_current = models.BooleanField(_("current"), default=False)

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "name"],
                name="academic_year_name_unique",
                violation_error_message=_("An academic year with this name already exists."),
            ),
            models.UniqueConstraint(
                fields=["school"],
                condition=Q(is_current=True),
                name="academic_year_one_current",
                violation_error_message=_("Another academic year is already the current one."),
            ),
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")),
                name="academic_year_ends_after_start",
                violation_error_message=_("The year must end after it starts."),
            ),
        ]
        verbose_name = _("academic year")
        verbose_name_plural = _("academic years")

    def __str__(self) -> str:
        return self.name

    def overlap_message(self) -> str | None:
        """Why these dates cannot be used: another year of the school shares a day with them."""
        if not (self.school_id and self.start_date and self.end_date):
            return None
        other = (
            AcademicYear.objects.filter(
                school_id=self.school_id,
                start_date__lte=self.end_date,
                end_date__gte=self.start_date,
            )
            .exclude(pk=self.pk)
            .order_by("start_date")
            .first()
        )
        if other is None:
            return None
        return _("These dates overlap the academic year %(name)s (%(start)s – %(end)s).") % {
            "name": other.name,
            "start": _fmt_date(other.start_date),
            "end": _fmt_date(other.end_date),
        }

    def clean(self):
        super().clean()
        if not (self.start_date and self.end_date):
            return
        if self.end_date <= self.start_date:
            raise ValidationError({"end_date": [_("The year must end after it starts.")]})
        message = self.overlap_message()
        if message:
            raise ValidationError(
                {NON_FIELD_ERRORS: [message], "start_date": [message], "end_date": [message]}
            )


class Term(SchoolScopedModel):
    """A part of an academic year; terms lie inside their year and do not overlap each other."""

    year = models.ForeignKey(
        AcademicYear, on_delete=models.CASCADE, related_name="terms", verbose_name=_("year")
    )
    name = models.CharField(_("name"), max_length=64, help_text=_("e.g. Term 1"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))

    class Meta:
        ordering = ["start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "name"],
                name="term_name_unique_in_year",
                violation_error_message=_("This year already has a term with this name."),
            ),
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")),
                name="term_ends_after_start",
                violation_error_message=_("The term must end after it starts."),
            ),
        ]
        verbose_name = _("term")
        verbose_name_plural = _("terms")

    def __str__(self) -> str:
        return f"{self.name} ({self.year.name})" if self.year_id else self.name

    def outside_year_error(self) -> tuple[str, list[str]] | None:
        """(message, fields) when the dates do not lie inside the term's year."""
        if not (self.year_id and self.start_date and self.end_date):
            return None
        year = self.year
        fields = [
            name
            for name, bad in (
                ("start_date", self.start_date < year.start_date),
                ("end_date", self.end_date > year.end_date),
            )
            if bad
        ]
        if not fields:
            return None
        message = _("A term must lie inside its year %(name)s (%(start)s – %(end)s).") % {
            "name": year.name,
            "start": _fmt_date(year.start_date),
            "end": _fmt_date(year.end_date),
        }
        return message, fields

    def overlap_message(self) -> str | None:
        """Why these dates cannot be used: another term of the year shares a day with them."""
        if not (self.year_id and self.start_date and self.end_date):
            return None
        other = (
            Term.objects.filter(
                year_id=self.year_id, start_date__lte=self.end_date, end_date__gte=self.start_date
            )
            .exclude(pk=self.pk)
            .order_by("start_date")
            .first()
        )
        if other is None:
            return None
        return _("These dates overlap %(name)s (%(start)s – %(end)s).") % {
            "name": other.name,
            "start": _fmt_date(other.start_date),
            "end": _fmt_date(other.end_date),
        }

    def clean(self):
        super().clean()
        errors = _same_school(self, "year")
        if errors:
            raise ValidationError(errors)
        if not (self.start_date and self.end_date and self.year_id):
            return
        if self.end_date <= self.start_date:
            raise ValidationError({"end_date": [_("The term must end after it starts.")]})
        outside = self.outside_year_error()
        if outside:
            message, fields = outside
            raise ValidationError({NON_FIELD_ERRORS: [message], **{f: [message] for f in fields}})
        message = self.overlap_message()
        if message:
            raise ValidationError(
                {NON_FIELD_ERRORS: [message], "start_date": [message], "end_date": [message]}
            )


# --- Classes, sections, subjects ---------------------------------------------------------------
_CLASS_WORD = re.compile(r"^(class|grade|std\.?|standard)\s+", re.IGNORECASE)


def class_label(name: str, short_name: str = "") -> str:
    """The short form of a class used in section names: "5" for "Class 5"."""
    return short_name or _CLASS_WORD.sub("", name).strip() or name


def section_display_name(class_name: str, class_short_name: str, section_name: str) -> str:
    """A section's name with its class, e.g. "5-A" (`Section.display_name` from plain values)."""
    return f"{class_label(class_name, class_short_name)}-{section_name}"


class SchoolClass(SchoolScopedModel):
    """A grade of the school ("Class 5"), the same from year to year; `order` sorts them."""

    name = models.CharField(_("name"), max_length=64, help_text=_("e.g. Class 5"))
    short_name = models.CharField(
        _("short name"),
        max_length=16,
        blank=True,
        help_text=_("Used in section names such as 5-A; by default the name without 'Class'."),
    )
    order = models.PositiveSmallIntegerField(
        _("order"), default=0, help_text=_("Classes are listed by this number.")
    )

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "name"],
                name="school_class_name_unique",
                violation_error_message=_("A class with this name already exists."),
            )
        ]
        verbose_name = _("class")
        verbose_name_plural = _("classes")

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The short form used in section names: "5" for "Class 5"."""
        return class_label(self.name, self.short_name)


class Section(SchoolScopedModel):
    """One group of a class in one year ("5-A"), with its class teacher, room and capacity."""

    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.PROTECT, related_name="sections", verbose_name=_("class")
    )
    year = models.ForeignKey(
        AcademicYear, on_delete=models.PROTECT, related_name="sections", verbose_name=_("year")
    )
    name = models.CharField(_("name"), max_length=16, help_text=_("e.g. A"))
    class_teacher = models.ForeignKey(
        "accounts.TeacherProfile",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="class_sections",
        verbose_name=_("class teacher"),
    )
    room = models.CharField(_("room"), max_length=32, blank=True)
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), default=40, validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["school_class__order", "school_class__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "school_class", "name"],
                name="section_name_unique_in_class_year",
                violation_error_message=_("This class already has a section with this name."),
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1),
                name="section_capacity_positive",
                violation_error_message=_("A section holds at least one student."),
            ),
        ]
        indexes = [models.Index(fields=["school", "year"], name="section_school_year")]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.school_class.label}-{self.name}" if self.school_class_id else self.name

    def clean(self):
        super().clean()
        errors = _same_school(self, "school_class", "year", "class_teacher")
        if errors:
            raise ValidationError(errors)


class Subject(SchoolScopedModel):
    """Something taught ("Mathematics", code "MATH"); the code is unique within the school."""

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=16, help_text=_("Short code, e.g. MATH."))

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "code"],
                name="subject_code_unique",
                violation_error_message=_("A subject with this code already exists."),
            )
        ]
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self):
        super().clean()
        self.code = (self.code or "").strip().upper()


# --- Who teaches what, who is enrolled where ----------------------------------------------------
class TeachingAssignment(SchoolScopedModel):
    """A teacher teaches a subject to a section in the section's year."""

    teacher = models.ForeignKey(
        "accounts.TeacherProfile",
        on_delete=models.PROTECT,
        related_name="teaching_assignments",
        verbose_name=_("teacher"),
    )
    section = models.ForeignKey(
        Section,
        on_delete=models.CASCADE,
        related_name="teaching_assignments",
        verbose_name=_("section"),
    )
    subject = models.ForeignKey(
        Subject,
        on_delete=models.PROTECT,
        related_name="teaching_assignments",
        verbose_name=_("subject"),
    )
    year = models.ForeignKey(
        AcademicYear, on_delete=models.PROTECT, related_name="+", verbose_name=_("year")
    )

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "section", "subject", "teacher"],
                name="teaching_assignment_unique",
                violation_error_message=_("This teacher already teaches this subject here."),
            )
        ]
        indexes = [models.Index(fields=["teacher", "year"], name="assignment_teacher_year")]
        verbose_name = _("teaching assignment")
        verbose_name_plural = _("teaching assignments")

    def __str__(self) -> str:
        return f"{self.teacher.user.full_name}: {self.subject.name} in {self.section}"

    def clean(self):
        super().clean()
        errors = _same_school(self, "teacher", "section", "subject", "year")
        if not errors and self.section_id and self.year_id and self.section.year_id != self.year_id:
            errors["year"] = [_("The year must be the section's year.")]
        if errors:
            raise ValidationError(errors)


class Enrollment(SchoolScopedModel):
    """A student's place in one section for one year, with their roll number there."""

    student = models.ForeignKey(
        "accounts.StudentProfile",
        on_delete=models.CASCADE,
        related_name="enrollments",
        verbose_name=_("student"),
    )
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("section")
    )
    year = models.ForeignKey(
        AcademicYear, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("year")
    )
    roll_number = models.PositiveSmallIntegerField(
        _("roll number"), validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["roll_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "year"],
                name="enrollment_one_section_per_year",
                violation_error_message=_("This student is already enrolled for this year."),
            ),
            models.UniqueConstraint(
                fields=["section", "roll_number"],
                name="enrollment_roll_number_unique",
                violation_error_message=_("This roll number is already taken in the section."),
            ),
        ]
        indexes = [models.Index(fields=["school", "year"], name="enrollment_school_year")]
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")

    def __str__(self) -> str:
        return f"{self.student.user.full_name} in {self.section} (#{self.roll_number})"

    def clean(self):
        super().clean()
        errors = _same_school(self, "student", "section", "year")
        if not errors and self.section_id and self.year_id and self.section.year_id != self.year_id:
            errors["year"] = [_("The year must be the section's year.")]
        if errors:
            raise ValidationError(errors)


# --- Timetable ------------------------------------------------------------------------------------
class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class TimetableEntry(SchoolScopedModel):
    """One period of a section's week: who teaches what, when and where. The year is the
    section's. Clashes (section, teacher, room) are refused by `services.timetable`."""

    section = models.ForeignKey(
        Section,
        on_delete=models.CASCADE,
        related_name="timetable_entries",
        verbose_name=_("section"),
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    period = models.PositiveSmallIntegerField(_("period"), validators=[MinValueValidator(1)])
    start_time = models.TimeField(_("start time"))
    end_time = models.TimeField(_("end time"))
    subject = models.ForeignKey(
        Subject,
        on_delete=models.PROTECT,
        related_name="timetable_entries",
        verbose_name=_("subject"),
    )
    teacher = models.ForeignKey(
        "accounts.TeacherProfile",
        on_delete=models.PROTECT,
        related_name="timetable_entries",
        verbose_name=_("teacher"),
    )
    room = models.CharField(_("room"), max_length=32, blank=True)

    class Meta:
        ordering = ["weekday", "start_time", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["section", "weekday", "period"],
                name="timetable_period_unique",
                violation_error_message=_("This section already has this period on this day."),
            ),
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")),
                name="timetable_ends_after_start",
                violation_error_message=_("A period must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="timetable_weekday_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["section", "weekday"], name="timetable_section_day"),
            models.Index(fields=["teacher", "weekday"], name="timetable_teacher_day"),
        ]
        verbose_name = _("timetable entry")
        verbose_name_plural = _("timetable entries")

    def __str__(self) -> str:
        return f"{self.section} {self.get_weekday_display()} P{self.period}: {self.subject.name}"

    @property
    def slot(self) -> str:
        """ "Monday 09:00-09:45" """
        return (
            f"{self.get_weekday_display()} {self.start_time.strftime(TIME_FORMAT)}-"
            f"{self.end_time.strftime(TIME_FORMAT)}"
        )

    def clean(self):
        super().clean()
        errors = _same_school(self, "section", "subject", "teacher")
        if errors:
            raise ValidationError(errors)
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise ValidationError({"end_time": [_("A period must end after it starts.")]})
