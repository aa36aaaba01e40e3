"""Quizzes (Postgres): the quiz and its settings, the questions frozen when it is published,
per-student extra time, attempts and the answers given in them.

The question bank lives in MongoDB (`question_bank`); a quiz only names bank questions until it
is published. Publishing copies every question it may use into `QuizQuestion` (the whole
document, its version and the marks), and from then on papers, autosaves and grading read only
that snapshot: a later edit in the bank never changes how an attempt is graded.

Answers reach `AttemptAnswer` through the write-behind buffer (`buffer_kinds`, kind
"quiz_answer"); the row's primary key is derived from its natural key (`answer_id`), so an
answer has the same id while it waits in Redis as after the flush. Submitting writes the graded
rows directly.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.models import SchoolScopedModel

# Namespace of the ids derived from (attempt, question); never change it.
ANSWER_NAMESPACE = uuid.UUID("0b7f6a39-2c7e-4f55-8a0c-6d3e1f9b2a47")
MARKS = {"max_digits": 7, "decimal_places": 2}


def answer_id(attempt_id, question_id) -> uuid.UUID:
    """The primary key of the answer to `question_id` in `attempt_id` (same before and after a
    flush)."""
    return uuid.uuid5(ANSWER_NAMESPACE, answer_name(attempt_id, question_id))


def answer_name(attempt_id, question_id) -> str:
    """The name `answer_id` hashes (UUID5 in ANSWER_NAMESPACE)."""
    return f"{attempt_id}|{question_id}"


class GradingRule(models.TextChoices):
    HIGHEST = "highest", _("Highest attempt")
    LAST = "last", _("Last attempt")
    AVERAGE = "average", _("Average of attempts")


class Selection(models.TextChoices):
    FIXED = "fixed", _("Fixed list of questions")
    RANDOM = "random", _("Random draw from a pool")


class ReleasePolicy(models.TextChoices):
    ON_SUBMIT = "on_submit", _("When the attempt is submitted")
    AFTER_CLOSE = "after_close", _("After the quiz closes")
    MANUAL = "manual", _("When a teacher releases them")


class AnswersPolicy(models.TextChoices):
    """When students and parents see the correct answers, explanations and per-question marks
    of their attempts. Never while the student has attempts left or any attempt of the quiz can
    still run (see `selectors.answers_visible`)."""

    AFTER_CLOSE = "after_close", _("After the quiz closes and every attempt has ended")
    MANUAL = "manual", _("When a teacher releases them, after every attempt has ended")
    NEVER = "never", _("Never")


class QuizStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CLOSED = "closed", _("Closed")


class Quiz(SchoolScopedModel):
    """A quiz for some sections in one subject, open between `opens_at` and `closes_at`.

    Question selection: `fixed` takes `questions` (ordered ``[{"question": id, "marks": n}]``);
    `random` draws `draw_count` questions per attempt from the bank questions matching
    `pool_filter` (subject/class/topic/tags/difficulty), each worth `draw_marks`.
    `negative_marking` is the fraction of a question's marks taken off for a wrong, non-empty
    answer (the quiz total never goes below 0). `pass_mark` is a percentage of the total.
    """

    title = models.CharField(_("title"), max_length=200)
    instructions = models.TextField(_("instructions"), blank=True)
    subject = models.ForeignKey(
        "academics.Subject",
        on_delete=models.PROTECT,
        related_name="quizzes",
        verbose_name=_("subject"),
    )
    sections = models.ManyToManyField(
        "academics.Section", related_name="quizzes", verbose_name=_("sections"), blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"), validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    attempts_allowed = models.PositiveSmallIntegerField(
        _("attempts allowed"), default=1, validators=[MinValueValidator(1)]
    )
    grading_rule = models.CharField(
        _("grading rule"), max_length=8, choices=GradingRule.choices, default=GradingRule.HIGHEST
    )
    shuffle_questions = models.BooleanField(_("shuffle questions"), default=False)
    shuffle_options = models.BooleanField(_("shuffle options"), default=False)
    selection = models.CharField(
        _("question selection"), max_length=8, choices=Selection.choices, default=Selection.FIXED
    )
    questions = models.JSONField(
        _("questions"),
        default=list,
        blank=True,
        help_text=_('Fixed selection: [{"question": id, "marks": n}, ...] in order.'),
    )
    pool_filter = models.JSONField(
        _("pool filter"),
        default=dict,
        blank=True,
        help_text=_("Random draw: subject, class, topic, tags, difficulty of the pool."),
    )
    draw_count = models.PositiveSmallIntegerField(
        _("questions drawn per attempt"), null=True, blank=True
    )
    draw_marks = models.DecimalField(
        _("marks per drawn question"),
        default=Decimal("1"),
        validators=[MinValueValidator(0)],
        **MARKS,
    )
    negative_marking = models.DecimalField(
        _("negative marking"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("Fraction of a question's marks taken off for a wrong answer (0 to 1)."),
    )
    pass_mark = models.DecimalField(
        _("pass mark (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    release_policy = models.CharField(
        _("result release"),
        max_length=12,
        choices=ReleasePolicy.choices,
        default=ReleasePolicy.ON_SUBMIT,
    )
    results_released = models.BooleanField(_("results released"), default=False)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    answers_policy = models.CharField(
        _("correct answers shown"),
        max_length=12,
        choices=AnswersPolicy.choices,
        default=AnswersPolicy.AFTER_CLOSE,
        help_text=_(
            "When students see the correct answers, explanations and per-question marks. "
            "`release_policy` governs the score alone."
        ),
    )
    answers_released = models.BooleanField(_("correct answers released"), default=False)
    answers_released_at = models.DateTimeField(
        _("correct answers released at"), null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=QuizStatus.choices, default=QuizStatus.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        ordering = ["-opens_at", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")),
                name="quiz_closes_after_opening",
                violation_error_message=_("The quiz must close after it opens."),
            ),
            models.CheckConstraint(
                condition=Q(negative_marking__gte=0) & Q(negative_marking__lte=1),
                name="quiz_negative_marking_fraction",
            ),
            models.CheckConstraint(
                condition=Q(attempts_allowed__gte=1), name="quiz_attempts_allowed_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["school", "status", "closes_at"], name="quiz_school_status"),
        ]
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")

    def __str__(self) -> str:
        return self.title

    def clean(self):
        super().clean()
        errors: dict[str, list] = {}
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors["closes_at"] = [_("The quiz must close after it opens.")]
        if self.subject_id and self.school_id and self.subject.school_id != self.school_id:
            errors["subject"] = [_("Not found in your school.")]
        if self.selection == Selection.RANDOM and self.draw_count is not None:
            if self.draw_count < 1:
                errors["draw_count"] = [_("Draw at least one question.")]
        if errors:
            raise ValidationError(errors)

    @property
    def is_open(self) -> bool:
        now = timezone.now()
        return self.status == QuizStatus.PUBLISHED and self.opens_at <= now < self.closes_at

    def results_visible(self, *, now=None) -> bool:
        """May students and parents see the score of submitted attempts (`release_policy`)?
        `on_submit`: yes; `after_close`: once the quiz has closed; `manual`: once released. A
        teacher's release opens them under every policy. Correct answers and per-question marks
        follow `answers_policy` instead (`selectors.answers_visible`)."""
        if self.results_released or self.release_policy == ReleasePolicy.ON_SUBMIT:
            return True
        if self.release_policy == ReleasePolicy.AFTER_CLOSE:
            return self.status == QuizStatus.CLOSED or (now or timezone.now()) >= self.closes_at
        return False


class QuizQuestion(SchoolScopedModel):
    """A bank question as it was when the quiz was published: the whole document, its version
    and its marks. Papers and grading read only this."""

    quiz = models.ForeignKey(
        Quiz, on_delete=models.CASCADE, related_name="frozen_questions", verbose_name=_("quiz")
    )
    question_id = models.CharField(_("question id"), max_length=64)
    version = models.PositiveIntegerField(_("version"), default=1)
    document = models.JSONField(_("document"))
    marks = models.DecimalField(_("marks"), validators=[MinValueValidator(0)], **MARKS)
    position = models.PositiveIntegerField(_("position"))

    class Meta:
        ordering = ["quiz", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["quiz", "question_id"], name="quiz_question_unique_in_quiz"
            ),
            models.UniqueConstraint(fields=["quiz", "position"], name="quiz_question_position"),
        ]
        verbose_name = _("frozen quiz question")
        verbose_name_plural = _("frozen quiz questions")

    def __str__(self) -> str:
        return f"{self.quiz_id} #{self.position}: {self.question_id} v{self.version}"


class QuizAccommodation(SchoolScopedModel):
    """Extra time for one student in one quiz (added to the duration and to the closing time)."""

    quiz = models.ForeignKey(
        Quiz, on_delete=models.CASCADE, related_name="accommodations", verbose_name=_("quiz")
    )
    student = models.ForeignKey(
        "accounts.StudentProfile",
        on_delete=models.CASCADE,
        related_name="quiz_accommodations",
        verbose_name=_("student"),
    )
    extra_minutes = models.PositiveIntegerField(
        _("extra minutes"), validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )

    class Meta:
        ordering = ["quiz", "student"]
        constraints = [
            models.UniqueConstraint(
                fields=["quiz", "student"], name="quiz_accommodation_unique_student"
            )
        ]
        verbose_name = _("quiz accommodation")
        verbose_name_plural = _("quiz accommodations")

    def __str__(self) -> str:
        return f"+{self.extra_minutes} min"


class AttemptStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted")


class Attempt(SchoolScopedModel):
    """One student's attempt at a quiz: its paper (question order and shuffling seed), its
    deadline, and once submitted its grade. `score_override` (with a reason) replaces `score`
    where results are shown."""

    quiz = models.ForeignKey(
        Quiz, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("quiz")
    )
    student = models.ForeignKey(
        "accounts.StudentProfile",
        on_delete=models.CASCADE,
        related_name="quiz_attempts",
        verbose_name=_("student"),
    )
    number = models.PositiveSmallIntegerField(_("attempt number"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=AttemptStatus.choices,
        default=AttemptStatus.IN_PROGRESS,
    )
    started_at = models.DateTimeField(_("started at"))
    deadline = models.DateTimeField(_("deadline"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    auto_submitted = models.BooleanField(_("submitted automatically"), default=False)
    seed = models.BigIntegerField(_("shuffle seed"))
    question_order = models.JSONField(_("question order"), default=list)
    option_orders = models.JSONField(
        _("option orders"),
        default=dict,
        blank=True,
        help_text=_("Per question, the order its options are shown in."),
    )
    score = models.DecimalField(_("score"), null=True, blank=True, **MARKS)
    max_score = models.DecimalField(_("maximum score"), null=True, blank=True, **MARKS)
    score_override = models.DecimalField(_("overridden score"), null=True, blank=True, **MARKS)
    override_reason = models.CharField(_("override reason"), max_length=500, blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("overridden by"),
    )

    class Meta:
        ordering = ["quiz", "student", "number"]
        constraints = [
            # The backstop of the attempt limit: two parallel starts cannot both be attempt n.
            models.UniqueConstraint(
                fields=["quiz", "student", "number"], name="attempt_number_unique"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="attempt_number_positive"),
        ]
        indexes = [
            models.Index(fields=["status", "deadline"], name="attempt_status_deadline"),
            models.Index(fields=["student", "quiz"], name="attempt_student_quiz"),
        ]
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")

    def __str__(self) -> str:
        return f"{self.quiz_id} attempt {self.number}"

    @property
    def final_score(self) -> Decimal | None:
        return self.score_override if self.score_override is not None else self.score

    @property
    def is_submitted(self) -> bool:
        return self.status == AttemptStatus.SUBMITTED


class AttemptAnswer(SchoolScopedModel):
    """The answer to one question of an attempt, saved by autosave (through the write buffer)
    and graded on submit (`credit` in [0, 1], `marks_awarded` after negative marking).

    `ts` is the write time from the buffer (UTC epoch microseconds): a newer write wins, an
    older or replayed one changes nothing.
    """

    attempt = models.ForeignKey(
        Attempt,
        on_delete=models.CASCADE,
        related_name="answers",
        verbose_name=_("attempt"),
        db_index=False,  # leading column of attempt_answer_unique
    )
    question_id = models.CharField(_("question id"), max_length=64)
    answer = models.JSONField(_("answer"), null=True, blank=True)
    ts = models.BigIntegerField(_("written at (epoch µs)"))
    credit = models.FloatField(_("credit"), null=True, blank=True)
    marks_awarded = models.DecimalField(_("marks awarded"), null=True, blank=True, **MARKS)
    is_correct = models.BooleanField(_("correct"), null=True, blank=True)

    class Meta:
        ordering = ["attempt", "question_id"]
        constraints = [
            # The buffer's upsert targets exactly these columns (ON CONFLICT).
            models.UniqueConstraint(
                fields=["attempt", "question_id"], name="attempt_answer_unique"
            ),
        ]
        verbose_name = _("attempt answer")
        verbose_name_plural = _("attempt answers")

    def __str__(self) -> str:
        return f"{self.attempt_id}: {self.question_id}"
