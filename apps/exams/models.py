"""Exams, the gradebook and report cards.

- A **grade scale** maps a percentage to a band by lower bound only: the highest band whose
  `min_percent` is at most the (already rounded) percentage. A band at 0 is required, so every
  percentage finds one; there are no upper bounds to leave gaps between (90.5 is never lost
  between "81-90" and "91-100"). A scale used by published results is frozen: it changes only
  by a new version.
- An **assessment plan** says, for a class in a year, how each term is assessed: components
  (periodic tests, notebook, enrichment, the term exam, practical ...) with maximum marks and a
  weight, best-N-of-M groups (the best two of three periodic tests), weights adding up to 100
  per term and across the terms for the year, and a pass rule per part (written and internal).
- An **exam** is one component's sitting in a term; its papers are the calendar's exam schedule
  entries (date, room, maximum marks). A **mark** is one student's in one paper: a number of at
  most the paper's maximum, or a status (absent, medical, exempt) with no number: absent is
  never stored as zero.
- **Results** are computed per class and term into a snapshot (`ResultRun` and its
  `StudentResult` rows: subject names, maxima, weights and the scale as they were) and are
  published with an embargo; **report cards** are PDFs rendered from that snapshot, kept in
  versions (a published card is never overwritten).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.models import SchoolScopedModel

ZERO = Decimal("0")
HUNDRED = Decimal("100")


def _same_school(instance: models.Model, *fields: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name in fields:
        related_id = getattr(instance, f"{name}_id", None)
        if related_id is None or instance.school_id is None:
            continue
        if getattr(instance, name).school_id != instance.school_id:
            errors[name] = [_("Not found in your school.")]
    return errors


# --- Settings -----------------------------------------------------------------------------------
class RoundingMode(models.TextChoices):
    HALF_UP = "half_up", _("Round half up (90.5 → 91)")
    HALF_EVEN = "half_even", _("Round half to even (90.5 → 90)")


class TieRule(models.TextChoices):
    COMPETITION = "competition", _("Competition (1, 2, 2, 4)")
    DENSE = "dense", _("Dense (1, 1, 2)")


class MissingRule(models.TextChoices):
    ZERO = "zero", _("Counts as zero")
    EXCLUDE = "exclude", _("Left out (its weight goes to the other components)")


class CardLanguage(models.TextChoices):
    ENGLISH = "en", _("English")
    HINDI = "hi", _("Hindi")
    BILINGUAL = "bilingual", _("English and Hindi")


class ExamSettings(SchoolScopedModel):
    """How a school computes and shows results (one row per school; defaults when absent)."""

    rounding_places = models.PositiveSmallIntegerField(
        _("decimal places"),
        default=0,
        validators=[MaxValueValidator(2)],
        help_text=_("Percentages are rounded to this many places before the grade is looked up."),
    )
    rounding_mode = models.CharField(
        _("rounding"), max_length=16, choices=RoundingMode.choices, default=RoundingMode.HALF_UP
    )
    absent_rule = models.CharField(
        _("absent"), max_length=16, choices=MissingRule.choices, default=MissingRule.ZERO
    )
    medical_rule = models.CharField(
        _("medical leave"), max_length=16, choices=MissingRule.choices, default=MissingRule.EXCLUDE
    )
    show_rank = models.BooleanField(_("show rank"), default=False)
    rank_tie_rule = models.CharField(
        _("rank ties"), max_length=16, choices=TieRule.choices, default=TieRule.COMPETITION
    )
    rank_excludes_medical = models.BooleanField(
        _("no rank after medical leave"),
        default=True,
        help_text=_("A student on medical leave during a paper of the term is not ranked."),
    )
    min_attendance_percent = models.DecimalField(
        _("minimum attendance %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("75"),
        validators=[MinValueValidator(ZERO), MaxValueValidator(HUNDRED)],
    )
    compartment_max_subjects = models.PositiveSmallIntegerField(
        _("compartment up to"),
        default=2,
        help_text=_("A student failing at most this many subjects gets a compartment."),
    )
    show_grace_on_card = models.BooleanField(_("show grace marks on cards"), default=False)
    card_language = models.CharField(
        _("report card language"),
        max_length=16,
        choices=CardLanguage.choices,
        default=CardLanguage.BILINGUAL,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school"], name="exam_settings_one_per_school")
        ]
        verbose_name = _("exam settings")
        verbose_name_plural = _("exam settings")

    def __str__(self) -> str:
        return str(_("Exam settings"))


# --- Grade scales ---------------------------------------------------------------------------------
class ScaleKind(models.TextChoices):
    GRADES = "grades", _("Grades")
    PERCENTAGE = "percentage", _("Percentage")


class GradeScale(SchoolScopedModel):
    """A set of bands; `code` + `version` name one version of a school's scale."""

    code = models.SlugField(_("code"), max_length=32, help_text=_("e.g. cbse-8"))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=ScaleKind.choices)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    frozen_at = models.DateTimeField(
        _("frozen"),
        null=True,
        blank=True,
        help_text=_("Used by published results: change it by making a new version."),
    )

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "code", "version"],
                name="grade_scale_version_unique",
                violation_error_message=_("This scale already has this version."),
            )
        ]
        verbose_name = _("grade scale")
        verbose_name_plural = _("grade scales")

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None


class GradeBand(SchoolScopedModel):
    """A band of a scale: every percentage ≥ `min_percent` (and below the next band up)."""

    scale = models.ForeignKey(
        GradeScale, on_delete=models.CASCADE, related_name="bands", verbose_name=_("scale")
    )
    min_percent = models.DecimalField(
        _("from %"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(ZERO), MaxValueValidator(HUNDRED)],
    )
    letter = models.CharField(_("grade"), max_length=8, blank=True)
    descriptor = models.CharField(_("descriptor"), max_length=64, blank=True)
    grade_point = models.DecimalField(
        _("grade point"), max_digits=4, decimal_places=2, null=True, blank=True
    )
    is_pass = models.BooleanField(_("pass"), default=True)

    class Meta:
        ordering = ["-min_percent"]
        constraints = [
            models.UniqueConstraint(
                fields=["scale", "min_percent"],
                name="grade_band_threshold_unique",
                violation_error_message=_("Two bands of a scale cannot start at the same %."),
            ),
            models.CheckConstraint(
                condition=Q(min_percent__gte=0, min_percent__lte=100),
                name="grade_band_threshold_range",
            ),
        ]
        verbose_name = _("grade band")
        verbose_name_plural = _("grade bands")

    def __str__(self) -> str:
        return f"≥{self.min_percent}: {self.letter or self.descriptor}"


# --- Assessment plans ---------------------------------------------------------------------------
class AssessmentPlan(SchoolScopedModel):
    """How a class is assessed in a year: its subjects, terms and their components."""

    school_class = models.ForeignKey(
        "academics.SchoolClass",
        on_delete=models.PROTECT,
        related_name="assessment_plans",
        verbose_name=_("class"),
    )
    year = models.ForeignKey(
        "academics.AcademicYear",
        on_delete=models.PROTECT,
        related_name="assessment_plans",
        verbose_name=_("year"),
    )
    name = models.CharField(_("name"), max_length=100)
    scale = models.ForeignKey(
        GradeScale, on_delete=models.PROTECT, related_name="+", verbose_name=_("grade scale")
    )
    pass_percent = models.DecimalField(
        _("pass %"), max_digits=5, decimal_places=2, default=Decimal("33")
    )
    written_pass_percent = models.DecimalField(
        _("pass % in the written part"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Where the board requires a pass in the written exam on its own."),
    )
    internal_pass_percent = models.DecimalField(
        _("pass % in internal assessment"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["school_class__order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school_class", "year"],
                name="assessment_plan_one_per_class_year",
                violation_error_message=_("This class already has a plan for this year."),
            )
        ]
        verbose_name = _("assessment plan")
        verbose_name_plural = _("assessment plans")

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        errors = _same_school(self, "school_class", "year", "scale")
        if errors:
            raise ValidationError(errors)


class PlanSubject(SchoolScopedModel):
    plan = models.ForeignKey(AssessmentPlan, on_delete=models.CASCADE, related_name="subjects")
    subject = models.ForeignKey(
        "academics.Subject", on_delete=models.PROTECT, related_name="+", verbose_name=_("subject")
    )
    is_main = models.BooleanField(
        _("main subject"), default=True, help_text=_("Counts in the total, the rank and the CGPA.")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "subject__name"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "subject"], name="plan_subject_unique")
        ]
        verbose_name = _("plan subject")
        verbose_name_plural = _("plan subjects")

    def __str__(self) -> str:
        return str(self.subject_id)


class PlanTerm(SchoolScopedModel):
    """A term of the plan, with its weight in the year's result."""

    plan = models.ForeignKey(AssessmentPlan, on_delete=models.CASCADE, related_name="terms")
    term = models.ForeignKey(
        "academics.Term", on_delete=models.PROTECT, related_name="+", verbose_name=_("term")
    )
    weight = models.DecimalField(_("weight in the year"), max_digits=5, decimal_places=2)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_final = models.BooleanField(
        _("final term"), default=False, help_text=_("Its results decide promotion.")
    )

    class Meta:
        ordering = ["order"]
        constraints = [models.UniqueConstraint(fields=["plan", "term"], name="plan_term_unique")]
        verbose_name = _("plan term")
        verbose_name_plural = _("plan terms")

    def __str__(self) -> str:
        return f"{self.plan.name}: {self.term.name}" if self.plan_id and self.term_id else ""


class ComponentGroup(SchoolScopedModel):
    """Components of which only the best `best_n` count (CBSE: best 2 of 3 periodic tests),
    averaged and weighted as one."""

    plan_term = models.ForeignKey(PlanTerm, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("name"), max_length=100)
    best_n = models.PositiveSmallIntegerField(_("best of"), validators=[MinValueValidator(1)])
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2)

    class Meta:
        ordering = ["name"]
        verbose_name = _("best-of group")
        verbose_name_plural = _("best-of groups")

    def __str__(self) -> str:
        return self.name


class ComponentKind(models.TextChoices):
    PERIODIC_TEST = "periodic_test", _("Periodic test")
    NOTEBOOK = "notebook", _("Notebook")
    ENRICHMENT = "enrichment", _("Subject enrichment")
    HALF_YEARLY = "half_yearly", _("Half-yearly exam")
    ANNUAL = "annual", _("Annual exam")
    PRACTICAL = "practical", _("Practical")
    OTHER = "other", _("Other")


class Part(models.TextChoices):
    WRITTEN = "written", _("Written")
    INTERNAL = "internal", _("Internal assessment")


class Component(SchoolScopedModel):
    """One assessed piece of a term, out of `max_marks`; its `weight` is its share of the term
    (in a best-of group the group carries the weight)."""

    plan_term = models.ForeignKey(PlanTerm, on_delete=models.CASCADE, related_name="components")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=ComponentKind.choices)
    part = models.CharField(_("part"), max_length=16, choices=Part.choices, default=Part.WRITTEN)
    max_marks = models.DecimalField(
        _("maximum marks"), max_digits=6, decimal_places=2, validators=[MinValueValidator(1)]
    )
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2, null=True, blank=True)
    group = models.ForeignKey(
        ComponentGroup,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="components",
        verbose_name=_("best-of group"),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(group__isnull=True, weight__isnull=False)
                | Q(group__isnull=False, weight__isnull=True),
                name="component_weight_or_group",
                violation_error_message=_("A component has a weight or a best-of group."),
            )
        ]
        verbose_name = _("component")
        verbose_name_plural = _("components")

    def __str__(self) -> str:
        return self.name


# --- Exams and marks ------------------------------------------------------------------------------
class Exam(SchoolScopedModel):
    """One component's sitting ("Half-yearly exam", "Periodic test 1") for the plan's class; its
    papers are exam schedule entries of the calendar."""

    plan_term = models.ForeignKey(
        PlanTerm, on_delete=models.PROTECT, related_name="exams", verbose_name=_("term")
    )
    component = models.OneToOneField(
        Component, on_delete=models.PROTECT, related_name="exam", verbose_name=_("component")
    )
    name = models.CharField(_("name"), max_length=100)
    schedule_entries = models.ManyToManyField(
        "school_calendar.ExamScheduleEntry",
        blank=True,
        related_name="exams",
        verbose_name=_("papers"),
        help_text=_("The exam schedule's papers (date, room, maximum marks)."),
    )
    entry_opens = models.DateField(_("marks entry opens"))
    entry_closes = models.DateField(_("marks entry closes"))
    locked_at = models.DateTimeField(_("locked"), null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("locked by"),
    )

    class Meta:
        ordering = ["plan_term__order", "component__order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(entry_closes__gte=models.F("entry_opens")),
                name="exam_entry_window_order",
                violation_error_message=_("Marks entry must close after it opens."),
            )
        ]
        verbose_name = _("exam")
        verbose_name_plural = _("exams")

    def __str__(self) -> str:
        return self.name


class MarkStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    ABSENT = "absent", _("Absent")
    MEDICAL = "medical", _("Medical leave")
    EXEMPT = "exempt", _("Exempt")


class Mark(SchoolScopedModel):
    """A student's marks in one paper (exam × subject; the section is where they sat it)."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="marks")
    section = models.ForeignKey("academics.Section", on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey("academics.Subject", on_delete=models.PROTECT, related_name="+")
    student = models.ForeignKey(
        "accounts.StudentProfile", on_delete=models.CASCADE, related_name="exam_marks"
    )
    marks = models.DecimalField(_("marks"), max_digits=6, decimal_places=2, null=True, blank=True)
    max_marks = models.DecimalField(_("out of"), max_digits=6, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=16, choices=MarkStatus.choices, default=MarkStatus.PRESENT
    )
    remarks = models.CharField(_("remarks"), max_length=200, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["exam", "subject", "student"]
        constraints = [
            models.UniqueConstraint(
                fields=["exam", "subject", "student"], name="mark_one_per_paper_student"
            ),
            models.CheckConstraint(
                condition=Q(status="present", marks__isnull=False)
                | (~Q(status="present") & Q(marks__isnull=True)),
                name="mark_number_only_when_present",
            ),
            models.CheckConstraint(
                condition=Q(marks__isnull=True) | Q(marks__gte=0, marks__lte=models.F("max_marks")),
                name="mark_within_maximum",
            ),
        ]
        indexes = [models.Index(fields=["exam", "section", "subject"], name="mark_paper")]
        verbose_name = _("mark")
        verbose_name_plural = _("marks")

    def __str__(self) -> str:
        return f"{self.marks if self.marks is not None else self.status}/{self.max_marks}"


class MarkAdjustment(SchoolScopedModel):
    """Moderation or grace marks on top of a raw mark: never an edit of the mark itself."""

    class Kind(models.TextChoices):
        MODERATION = "moderation", _("Moderation")
        GRACE = "grace", _("Grace")

    mark = models.ForeignKey(Mark, on_delete=models.CASCADE, related_name="adjustments")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    delta = models.DecimalField(_("marks added"), max_digits=6, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=200)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("mark adjustment")
        verbose_name_plural = _("mark adjustments")

    def __str__(self) -> str:
        return f"{self.kind} {self.delta:+}"


# --- Co-scholastic areas and remarks ------------------------------------------------------------
class CoScholasticArea(SchoolScopedModel):
    name = models.CharField(_("name"), max_length=100)
    scale = models.ForeignKey(GradeScale, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="coscholastic_area_unique")
        ]
        verbose_name = _("co-scholastic area")
        verbose_name_plural = _("co-scholastic areas")

    def __str__(self) -> str:
        return self.name


class CoScholasticGrade(SchoolScopedModel):
    area = models.ForeignKey(CoScholasticArea, on_delete=models.CASCADE, related_name="grades")
    plan_term = models.ForeignKey(PlanTerm, on_delete=models.CASCADE, related_name="+")
    student = models.ForeignKey(
        "accounts.StudentProfile", on_delete=models.CASCADE, related_name="+"
    )
    grade = models.CharField(_("grade"), max_length=8)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["area", "plan_term", "student"], name="coscholastic_grade_unique"
            )
        ]
        verbose_name = _("co-scholastic grade")
        verbose_name_plural = _("co-scholastic grades")

    def __str__(self) -> str:
        return self.grade


class TeacherRemark(SchoolScopedModel):
    """The class teacher's remark on a student for a term."""

    plan_term = models.ForeignKey(PlanTerm, on_delete=models.CASCADE, related_name="+")
    student = models.ForeignKey(
        "accounts.StudentProfile", on_delete=models.CASCADE, related_name="+"
    )
    text = models.CharField(_("remark"), max_length=500)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan_term", "student"], name="teacher_remark_unique")
        ]
        verbose_name = _("class-teacher remark")
        verbose_name_plural = _("class-teacher remarks")

    def __str__(self) -> str:
        return self.text[:50]


# --- Results ----------------------------------------------------------------------------------
class RunStatus(models.TextChoices):
    COMPUTING = "computing", _("Computing")
    COMPUTED = "computed", _("Computed")
    PUBLISHED = "published", _("Published")


class ResultRun(SchoolScopedModel):
    """The results of a class for a term, as computed (a snapshot) and, later, published."""

    school_class = models.ForeignKey(
        "academics.SchoolClass", on_delete=models.PROTECT, related_name="+"
    )
    plan_term = models.ForeignKey(PlanTerm, on_delete=models.PROTECT, related_name="runs")
    status = models.CharField(
        _("status"), max_length=16, choices=RunStatus.choices, default=RunStatus.COMPUTING
    )
    job = models.ForeignKey(
        "core.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    computed_at = models.DateTimeField(_("computed"), null=True, blank=True)
    snapshot = models.JSONField(
        _("snapshot"), default=dict, blank=True, help_text=_("Subjects, maxima, weights, scale.")
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    visible_from = models.DateTimeField(
        _("visible to families from"),
        null=True,
        blank=True,
        help_text=_("The embargo: students and parents see nothing before this moment."),
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["school_class", "plan_term"], name="result_run_one_per_class_term"
            )
        ]
        verbose_name = _("result run")
        verbose_name_plural = _("result runs")

    def __str__(self) -> str:
        return f"{self.plan_term} ({self.get_status_display()})" if self.plan_term_id else ""


class Promotion(models.TextChoices):
    PROMOTED = "promoted", _("Promoted")
    DETAINED = "detained", _("Detained")
    COMPARTMENT = "compartment", _("Compartment")


class StudentResult(SchoolScopedModel):
    run = models.ForeignKey(ResultRun, on_delete=models.CASCADE, related_name="results")
    student = models.ForeignKey(
        "accounts.StudentProfile", on_delete=models.CASCADE, related_name="exam_results"
    )
    section = models.ForeignKey("academics.Section", on_delete=models.PROTECT, related_name="+")
    subjects = models.JSONField(_("subjects"), default=list)
    percent = models.DecimalField(_("%"), max_digits=6, decimal_places=2, null=True)
    grade = models.CharField(_("grade"), max_length=8, blank=True)
    cgpa = models.DecimalField(_("CGPA"), max_digits=4, decimal_places=2, null=True)
    year_percent = models.DecimalField(_("year %"), max_digits=6, decimal_places=2, null=True)
    year_grade = models.CharField(_("year grade"), max_length=8, blank=True)
    section_rank = models.PositiveIntegerField(_("rank in section"), null=True)
    class_rank = models.PositiveIntegerField(_("rank in class"), null=True)
    rank_excluded = models.BooleanField(_("not ranked"), default=False)
    passed = models.BooleanField(_("passed"), default=False)
    failed_subjects = models.PositiveSmallIntegerField(_("subjects failed"), default=0)
    promotion = models.CharField(
        _("promotion"), max_length=16, choices=Promotion.choices, blank=True
    )
    working_days = models.PositiveIntegerField(_("working days"), default=0)
    days_present = models.PositiveIntegerField(_("days present"), default=0)
    attendance_percent = models.DecimalField(
        _("attendance %"), max_digits=5, decimal_places=2, null=True
    )
    remarks = models.CharField(_("remarks"), max_length=500, blank=True)
    co_scholastic = models.JSONField(_("co-scholastic grades"), default=list)

    class Meta:
        ordering = ["section", "-percent"]
        constraints = [
            models.UniqueConstraint(fields=["run", "student"], name="student_result_unique")
        ]
        verbose_name = _("student result")
        verbose_name_plural = _("student results")

    def __str__(self) -> str:
        return f"{self.percent}% {self.grade}"


# --- Report cards -------------------------------------------------------------------------------
class ReportCard(SchoolScopedModel):
    """One student's card for a term, in versions: a new generation never overwrites a file."""

    result = models.ForeignKey(StudentResult, on_delete=models.CASCADE, related_name="cards")
    student = models.ForeignKey(
        "accounts.StudentProfile", on_delete=models.CASCADE, related_name="+"
    )
    section = models.ForeignKey("academics.Section", on_delete=models.PROTECT, related_name="+")
    plan_term = models.ForeignKey(PlanTerm, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveSmallIntegerField(_("version"))
    language = models.CharField(_("language"), max_length=16, choices=CardLanguage.choices)
    file = models.FileField(_("file"), upload_to="report-cards/%Y/")
    job = models.ForeignKey(
        "core.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["section", "student", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "plan_term", "version"], name="report_card_version_unique"
            )
        ]
        verbose_name = _("report card")
        verbose_name_plural = _("report cards")

    def __str__(self) -> str:
        return f"{self.file.name} v{self.version}"


class ReportCardBatch(SchoolScopedModel):
    """Every card of a section in one PDF (for printing), in versions like the cards."""

    section = models.ForeignKey("academics.Section", on_delete=models.PROTECT, related_name="+")
    plan_term = models.ForeignKey(PlanTerm, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveSmallIntegerField(_("version"))
    file = models.FileField(_("file"), upload_to="report-cards/%Y/", blank=True)
    cards = models.PositiveIntegerField(_("cards"), default=0)
    job = models.ForeignKey(
        "core.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["section", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["section", "plan_term", "version"], name="report_card_batch_unique"
            )
        ]
        verbose_name = _("report card batch")
        verbose_name_plural = _("report card batches")

    def __str__(self) -> str:
        return f"{self.section_id} v{self.version}"
