"""Homework: what a teacher sets for sections in a subject, what each student hands in, and
the grade they get.

- `Assignment`: set for one or more sections in one subject, with a due date-time, an optional
  cut-off after which nothing is accepted, a late policy, what may be handed in (text, files,
  both or nothing) and, for files, which kinds and how large. Draft, scheduled (published by
  beat at `publish_at`) or published.
- `Extension`: one student's own due date and cut-off (audited by the service).
- `Submission`: one student's work for one assignment: a draft until turned in; each turn-in
  is kept as a `SubmissionVersion`; files (`SubmissionFile`) are never deleted, so every
  version keeps its files.
- `Grade`: marks and comment, the late penalty applied; a draft, visible only to teachers,
  until released.

A graded homework may name the internal-assessment component of the exams plan it counts
toward (`counts_toward`); `apps.exams.services.homework` turns released grades into marks.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from apps.core.models import SchoolScopedModel


class AssignmentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")


class LatePolicy(models.TextChoices):
    ACCEPT = "accept", _("Accept and flag as late")
    PENALTY = "penalty", _("Penalty per day late, with a cap")
    REFUSE = "refuse", _("Refuse after the due date")


class SubmissionType(models.TextChoices):
    TEXT = "text", _("Text")
    FILES = "files", _("Files")
    BOTH = "both", _("Text and files")
    NONE = "none", _("Nothing to hand in (done in class)")


class FileKind(models.TextChoices):
    PDF = "pdf", _("PDF")
    IMAGE = "image", _("Image (JPEG, PNG, WebP, GIF, HEIC)")
    DOCUMENT = "document", _("Office document (Word, Excel, PowerPoint, OpenDocument)")
    AUDIO = "audio", _("Audio")
    VIDEO = "video", _("Video")
    TEXT = "text", _("Plain text")


def default_kinds() -> list[str]:
    return [FileKind.PDF, FileKind.IMAGE, FileKind.DOCUMENT]


def default_max_file_bytes() -> int:
    return settings.HOMEWORK_DEFAULT_FILE_BYTES


class Assignment(SchoolScopedModel):
    """Homework for some sections in one subject (see the module docstring)."""

    subject = models.ForeignKey(
        "academics.Subject", on_delete=models.PROTECT, related_name="+", verbose_name=_("subject")
    )
    sections = models.ManyToManyField(
        "academics.Section", related_name="homework", verbose_name=_("sections")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("set by"),
    )
    title = models.CharField(_("title"), max_length=200)
    instructions = models.TextField(_("instructions"), blank=True)
    instructions_markdown = models.BooleanField(_("instructions are Markdown"), default=False)
    assigned_on = models.DateField(_("assigned on"))
    due_at = models.DateTimeField(_("due at"))
    cutoff_at = models.DateTimeField(
        _("cut-off"),
        null=True,
        blank=True,
        help_text=_("Nothing is accepted after this moment."),
    )
    max_marks = models.DecimalField(
        _("maximum marks"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Empty: ungraded."),
    )
    late_policy = models.CharField(
        _("late policy"), max_length=16, choices=LatePolicy.choices, default=LatePolicy.ACCEPT
    )
    penalty_percent_per_day = models.DecimalField(
        _("penalty per day (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    penalty_cap_percent = models.DecimalField(
        _("penalty cap (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("100"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    submission_type = models.CharField(
        _("submission type"),
        max_length=8,
        choices=SubmissionType.choices,
        default=SubmissionType.BOTH,
    )
    allowed_kinds = models.JSONField(_("allowed file kinds"), default=default_kinds, blank=True)
    max_file_bytes = models.PositiveIntegerField(
        _("largest file (bytes)"), default=default_max_file_bytes
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=AssignmentStatus.choices,
        default=AssignmentStatus.DRAFT,
        db_index=True,
    )
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    counts_toward = models.ForeignKey(
        "exams.Component",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="homework",
        verbose_name=_("counts toward"),
        help_text=_(
            "An internal-assessment component of the class's assessment plan: its marks can "
            "be imported from this homework's released grades."
        ),
    )

    class Meta:
        ordering = ["-due_at", "-created_at"]
        indexes = [
            models.Index(fields=["school", "status", "due_at"], name="homework_school_status_due"),
            models.Index(fields=["status", "publish_at"], name="homework_scheduled"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(cutoff_at__isnull=True) | Q(cutoff_at__gte=F("due_at")),
                name="homework_cutoff_after_due",
                violation_error_message=_("The cut-off cannot be before the due date."),
            ),
        ]
        verbose_name = _("homework")
        verbose_name_plural = _("homework")

    def __str__(self) -> str:
        return self.title

    @property
    def graded(self) -> bool:
        return self.max_marks is not None

    def clean(self):
        super().clean()
        errors: dict[str, list] = {}
        if self.subject_id and self.school_id and self.subject.school_id != self.school_id:
            errors["subject"] = [_("Not found in your school.")]
        if (
            self.counts_toward_id
            and self.school_id
            and self.counts_toward.school_id != self.school_id
        ):
            errors["counts_toward"] = [_("Not found in your school.")]
        if self.due_at and self.cutoff_at and self.cutoff_at < self.due_at:
            errors["cutoff_at"] = [_("The cut-off cannot be before the due date.")]
        if self.due_at and self.assigned_on and self.due_at.date() < self.assigned_on:
            errors["due_at"] = [_("The due date cannot be before the day it is assigned.")]
        if self.late_policy == LatePolicy.REFUSE and self.cutoff_at:
            # "Refuse" means nothing after the due date: a later cut-off would contradict it.
            errors["cutoff_at"] = [
                _("With the refuse policy nothing is accepted after the due date.")
            ]
        unknown = [k for k in (self.allowed_kinds or []) if k not in FileKind.values]
        if unknown or not isinstance(self.allowed_kinds, list):
            errors["allowed_kinds"] = [_("Unknown file kind.")]
        if self.max_file_bytes and self.max_file_bytes > settings.HOMEWORK_MAX_FILE_BYTES:
            errors["max_file_bytes"] = [
                _("At most %(limit)d bytes on this platform.")
                % {"limit": settings.HOMEWORK_MAX_FILE_BYTES}
            ]
        if self.status == AssignmentStatus.SCHEDULED and not self.publish_at:
            errors["publish_at"] = [_("A scheduled homework needs a time to publish.")]
        if errors:
            raise ValidationError(errors)


def _attachment_path(instance, filename: str) -> str:
    return f"homework/{instance.school_id}/{instance.assignment_id}/attachments/{filename}"


def _submission_path(instance, filename: str) -> str:
    return f"homework/{instance.school_id}/{instance.submission.assignment_id}/{filename}"


class Attachment(SchoolScopedModel):
    """A file the teacher attached to the homework (a worksheet, a picture)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=_attachment_path, max_length=300)
    name = models.CharField(_("name"), max_length=120)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("homework attachment")
        verbose_name_plural = _("homework attachments")

    def __str__(self) -> str:
        return self.name


class Extension(SchoolScopedModel):
    """One student's own due date (and cut-off) for one homework."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="extensions")
    student = models.ForeignKey(
        "accounts.StudentProfile", on_delete=models.CASCADE, related_name="+"
    )
    due_at = models.DateTimeField(_("due at"))
    cutoff_at = models.DateTimeField(_("cut-off"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "student"],
                name="homework_extension_one_per_student",
                violation_error_message=_("This student already has an extension."),
            ),
            models.CheckConstraint(
                condition=Q(cutoff_at__isnull=True) | Q(cutoff_at__gte=F("due_at")),
                name="homework_extension_cutoff_after_due",
                violation_error_message=_("The cut-off cannot be before the due date."),
            ),
        ]
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")

    def __str__(self) -> str:
        return f"{self.assignment} / {self.student_id}"


class SubmissionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ON_TIME = "on_time", _("Turned in on time")
    LATE = "late", _("Turned in late")
    RETURNED = "returned", _("Returned for revision")
    MISSING = "missing", _("Missing")
    EXCUSED = "excused", _("Excused")


TURNED_IN = (SubmissionStatus.ON_TIME, SubmissionStatus.LATE)


class Submission(SchoolScopedModel):
    """One student's work for one homework (see the module docstring)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="submissions")
    student = models.ForeignKey(
        "accounts.StudentProfile", on_delete=models.CASCADE, related_name="+"
    )
    section = models.ForeignKey(
        "academics.Section", on_delete=models.PROTECT, related_name="+", verbose_name=_("section")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=SubmissionStatus.choices, default=SubmissionStatus.DRAFT
    )
    text = models.TextField(_("text"), blank=True)
    turned_in_at = models.DateTimeField(_("turned in at"), null=True, blank=True)
    days_late = models.PositiveIntegerField(_("days late"), default=0)
    version = models.PositiveIntegerField(_("versions turned in"), default=0)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "student"], name="homework_submission_one_per_student"
            )
        ]
        indexes = [models.Index(fields=["assignment", "status"], name="homework_sub_status")]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")

    def __str__(self) -> str:
        return f"{self.assignment} / {self.student_id}"

    @property
    def is_late(self) -> bool:
        return self.status == SubmissionStatus.LATE


class SubmissionFile(SchoolScopedModel):
    """A file handed in; `removed` files are out of the draft but stay with old versions."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(_("file"), upload_to=_submission_path, max_length=300)
    name = models.CharField(_("name"), max_length=120)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    removed = models.BooleanField(_("removed"), default=False)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("submitted file")
        verbose_name_plural = _("submitted files")

    def __str__(self) -> str:
        return self.name


class SubmissionVersion(SchoolScopedModel):
    """What was turned in at one turn-in: the text and the files then attached."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("number"))
    text = models.TextField(_("text"), blank=True)
    file_ids = models.JSONField(_("files"), default=list)
    turned_in_at = models.DateTimeField(_("turned in at"))
    late = models.BooleanField(_("late"), default=False)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "number"], name="homework_version_unique")
        ]
        verbose_name = _("submission version")
        verbose_name_plural = _("submission versions")

    def __str__(self) -> str:
        return f"v{self.number}"


class Grade(SchoolScopedModel):
    """A student's marks for a homework: `marks` as given, `final_marks` after the late
    penalty; unreleased (`released_at` empty) grades are the teachers' only."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="grades")
    student = models.ForeignKey(
        "accounts.StudentProfile", on_delete=models.CASCADE, related_name="+"
    )
    marks = models.DecimalField(
        _("marks"), max_digits=6, decimal_places=2, validators=[MinValueValidator(0)]
    )
    penalty_percent = models.DecimalField(
        _("late penalty (%)"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    final_marks = models.DecimalField(_("final marks"), max_digits=6, decimal_places=2)
    comment = models.TextField(_("comment"), blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "student"], name="homework_grade_one_per_student"
            ),
            models.CheckConstraint(
                condition=Q(marks__gte=0) & Q(final_marks__gte=0), name="homework_grade_positive"
            ),
        ]
        verbose_name = _("homework grade")
        verbose_name_plural = _("homework grades")

    def __str__(self) -> str:
        return f"{self.assignment} / {self.student_id}: {self.final_marks}"
