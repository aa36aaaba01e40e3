"""The school calendar: holidays and events for an audience (the school, a class or a
section), the exam schedule, and personal tokens that authorise a user's iCalendar feed.

Invariants one row can check live in `clean()` and in constraints (dates in order, the audience
matches the class/section given, rows of one school). Exam clashes need a lock and are refused
by `services`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from apps.core.models import SchoolScopedModel

DATE_FORMAT = "%d %b %Y"
TIME_FORMAT = "%H:%M"


def _same_school(instance: models.Model, *fields: str) -> dict[str, list[str]]:
    """Field errors for every related row (by FK name) that belongs to another school."""
    errors: dict[str, list[str]] = {}
    for name in fields:
        related_id = getattr(instance, f"{name}_id", None)
        if related_id is None or instance.school_id is None:
            continue
        if getattr(instance, name).school_id != instance.school_id:
            errors[name] = [_("Not found in your school.")]
    return errors


class EventKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday")
    EVENT = "event", _("Event")
    EXAM = "exam", _("Exam")
    PTM = "ptm", _("Parent-teacher meeting")
    OTHER = "other", _("Other")


class Audience(models.TextChoices):
    SCHOOL = "school", _("Whole school")
    CLASS = "class", _("A class")
    SECTION = "section", _("A section")


class CalendarEvent(SchoolScopedModel):
    """A holiday or event on one or more days (`end_date` inclusive), all day or at set times
    in the school's timezone, for the whole school, one class or one section."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), help_text=_("The last day (inclusive)."))
    all_day = models.BooleanField(_("all day"), default=True)
    start_time = models.TimeField(_("start time"), null=True, blank=True)
    end_time = models.TimeField(_("end time"), null=True, blank=True)
    audience = models.CharField(
        _("audience"), max_length=16, choices=Audience.choices, default=Audience.SCHOOL
    )
    school_class = models.ForeignKey(
        "academics.SchoolClass",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="calendar_events",
        verbose_name=_("class"),
    )
    section = models.ForeignKey(
        "academics.Section",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="calendar_events",
        verbose_name=_("section"),
    )
    academic_year = models.ForeignKey(
        "academics.AcademicYear",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calendar_events",
        verbose_name=_("academic year"),
    )

    class Meta:
        ordering = ["start_date", "start_time", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="calendar_event_ends_after_start",
                violation_error_message=_("An event cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=(
                    Q(audience="school", school_class__isnull=True, section__isnull=True)
                    | Q(audience="class", school_class__isnull=False, section__isnull=True)
                    | Q(audience="section", school_class__isnull=True, section__isnull=False)
                ),
                name="calendar_event_audience_consistent",
                violation_error_message=_("The class or section does not match the audience."),
            ),
            models.CheckConstraint(
                condition=(
                    Q(all_day=True, start_time__isnull=True, end_time__isnull=True)
                    | Q(all_day=False, start_time__isnull=False, end_time__isnull=False)
                ),
                name="calendar_event_times_match_all_day",
                violation_error_message=_("A timed event needs a start and an end time."),
            ),
        ]
        indexes = [
            models.Index(fields=["school", "start_date", "end_date"], name="calevent_school_dates"),
            models.Index(fields=["school", "kind", "start_date"], name="calevent_school_kind"),
        ]
        verbose_name = _("calendar event")
        verbose_name_plural = _("calendar events")

    def __str__(self) -> str:
        return f"{self.title} ({self.start_date:%d %b %Y})" if self.start_date else self.title

    @property
    def audience_name(self) -> str:
        """ "Whole school", "Class 5" or "5-A" """
        if self.audience == Audience.SECTION and self.section_id:
            return self.section.display_name
        if self.audience == Audience.CLASS and self.school_class_id:
            return self.school_class.name
        return str(Audience.SCHOOL.label)

    def clean(self):
        super().clean()
        errors = _same_school(self, "school_class", "section", "academic_year")
        if errors:
            raise ValidationError(errors)
        if self.audience == Audience.CLASS and not self.school_class_id:
            errors["school_class"] = [_("Choose the class this event is for.")]
        if self.audience == Audience.SECTION and not self.section_id:
            errors["section"] = [_("Choose the section this event is for.")]
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = [_("An event cannot end before it starts.")]
        if self.all_day:
            for name in ("start_time", "end_time"):
                if getattr(self, name) is not None:
                    errors[name] = [_("An all-day event has no times; unset all_day first.")]
        else:
            for name in ("start_time", "end_time"):
                if getattr(self, name) is None:
                    errors[name] = [_("A timed event needs a start and an end time.")]
            if not errors and self.start_date == self.end_date and self.end_time <= self.start_time:
                errors["end_time"] = [_("The event must end after it starts.")]
        if errors:
            raise ValidationError(errors)


class ExamScheduleEntry(SchoolScopedModel):
    """One paper of an exam ("Term 1 exams"): a subject on a date at set times, for one section
    or for every section of a class. Two papers for the same section never overlap."""

    exam_name = models.CharField(_("exam"), max_length=100, help_text=_("e.g. Term 1 exams"))
    school_class = models.ForeignKey(
        "academics.SchoolClass",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="exam_schedule_entries",
        verbose_name=_("class"),
        help_text=_("For every section of the class; or choose a single section."),
    )
    section = models.ForeignKey(
        "academics.Section",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="exam_schedule_entries",
        verbose_name=_("section"),
    )
    subject = models.ForeignKey(
        "academics.Subject",
        on_delete=models.PROTECT,
        related_name="exam_schedule_entries",
        verbose_name=_("subject"),
    )
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("start time"))
    end_time = models.TimeField(_("end time"))
    room = models.CharField(_("room"), max_length=32, blank=True)
    max_marks = models.PositiveSmallIntegerField(
        _("maximum marks"), null=True, blank=True, validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["date", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")),
                name="exam_entry_ends_after_start",
                violation_error_message=_("An exam must end after it starts."),
            ),
            models.CheckConstraint(
                condition=(
                    Q(school_class__isnull=False, section__isnull=True)
                    | Q(school_class__isnull=True, section__isnull=False)
                ),
                name="exam_entry_class_or_section",
                violation_error_message=_("Choose either a class or a section."),
            ),
        ]
        indexes = [models.Index(fields=["school", "date"], name="exam_entry_school_date")]
        verbose_name = _("exam schedule entry")
        verbose_name_plural = _("exam schedule")

    def __str__(self) -> str:
        subject = self.subject.name if self.subject_id else ""
        return f"{self.exam_name}: {subject} ({self.date:%d %b %Y})" if self.date else subject

    @property
    def audience_name(self) -> str:
        if self.section_id:
            return self.section.display_name
        return self.school_class.name if self.school_class_id else ""

    @property
    def slot(self) -> str:
        """ "12 Sep 2026 09:00-12:00" """
        return (
            f"{self.date.strftime(DATE_FORMAT)} {self.start_time.strftime(TIME_FORMAT)}-"
            f"{self.end_time.strftime(TIME_FORMAT)}"
        )

    def clean(self):
        super().clean()
        errors = _same_school(self, "school_class", "section", "subject")
        if errors:
            raise ValidationError(errors)
        if bool(self.school_class_id) == bool(self.section_id):
            message = _("Choose either a class or a section.")
            raise ValidationError({"section": [message], "school_class": [message]})
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise ValidationError({"end_time": [_("An exam must end after it starts.")]})


class CalendarFeedToken(SchoolScopedModel):
    """A personal secret that authorises one user's iCalendar feed without signing in (phone
    calendars cannot send a JWT). Only the SHA-256 of the token is stored, so a leaked
    database does not expose anyone's feed; the token itself is shown once, when made."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feed_tokens",
        verbose_name=_("user"),
    )
    label = models.CharField(_("label"), max_length=100, blank=True, help_text=_("e.g. My phone"))
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    hint = models.CharField(
        _("hint"),
        max_length=8,
        editable=False,
        help_text=_("The first characters of the token, to tell tokens apart."),
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="feedtoken_user_revoked")]
        verbose_name = _("calendar feed token")
        verbose_name_plural = _("calendar feed tokens")

    def __str__(self) -> str:
        return self.label or f"{self.hint}…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
