"""Output serializers (read-only) and input serializers (related ids looked up inside the
caller's school) of the exams API."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.academics.models import AcademicYear, SchoolClass, Section, Subject, Term
from apps.calendar.models import ExamScheduleEntry
from apps.core import uploads
from apps.core.api.fields import SchoolRelatedField

from ..models import (
    AssessmentPlan,
    Component,
    ComponentKind,
    CoScholasticArea,
    Exam,
    GradeBand,
    GradeScale,
    MarkAdjustment,
    MarkStatus,
    Part,
    PlanTerm,
    Promotion,
    ReportCard,
    ScaleKind,
    StudentResult,
)

PERCENT = {"max_digits": 5, "decimal_places": 2, "min_value": Decimal("0"),
           "max_value": Decimal("100")}  # fmt: skip
MARKS = {"max_digits": 6, "decimal_places": 2}


# --- scales -------------------------------------------------------------------------------------
class GradeBandSerializer(serializers.ModelSerializer):
    class Meta:
        model = GradeBand
        fields = ["min_percent", "letter", "descriptor", "grade_point", "is_pass"]


class GradeScaleSerializer(serializers.ModelSerializer):
    bands = GradeBandSerializer(many=True, read_only=True)
    is_frozen = serializers.BooleanField(read_only=True)

    class Meta:
        model = GradeScale
        fields = ["id", "code", "name", "kind", "version", "is_frozen", "frozen_at", "bands"]
        read_only_fields = fields


class BandInputSerializer(serializers.Serializer):
    min_percent = serializers.DecimalField(**PERCENT)
    letter = serializers.CharField(max_length=8, allow_blank=True, default="")
    descriptor = serializers.CharField(max_length=64, allow_blank=True, default="")
    grade_point = serializers.DecimalField(max_digits=4, decimal_places=2, required=False,
                                           allow_null=True, default=None)  # fmt: skip
    is_pass = serializers.BooleanField(default=True)


class GradeScaleInputSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=32)
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(ScaleKind.choices)
    bands = BandInputSerializer(many=True, allow_empty=False)


class GradeScaleUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    bands = BandInputSerializer(many=True, allow_empty=False, required=False)


class NewVersionSerializer(serializers.Serializer):
    bands = BandInputSerializer(many=True, allow_empty=False, required=False)


# --- plans --------------------------------------------------------------------------------------
class ComponentSerializer(serializers.ModelSerializer):
    group = serializers.CharField(source="group.name", read_only=True, allow_null=True,
                                  default=None)  # fmt: skip

    class Meta:
        model = Component
        fields = ["id", "name", "kind", "part", "max_marks", "weight", "group", "order"]
        read_only_fields = fields


class GroupSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    best_n = serializers.IntegerField(read_only=True)
    weight = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True)


class PlanTermSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="term.name", read_only=True)
    components = ComponentSerializer(many=True, read_only=True)
    groups = GroupSerializer(many=True, read_only=True)

    class Meta:
        model = PlanTerm
        fields = ["id", "term", "name", "weight", "order", "is_final", "groups", "components"]
        read_only_fields = fields


class PlanSubjectSerializer(serializers.Serializer):
    subject = serializers.UUIDField(source="subject_id", read_only=True)
    name = serializers.CharField(source="subject.name", read_only=True)
    is_main = serializers.BooleanField(read_only=True)


class AssessmentPlanSerializer(serializers.ModelSerializer):
    subjects = PlanSubjectSerializer(many=True, read_only=True)
    terms = PlanTermSerializer(many=True, read_only=True)

    class Meta:
        model = AssessmentPlan
        fields = ["id", "name", "school_class", "year", "scale", "pass_percent",
                  "written_pass_percent", "internal_pass_percent", "subjects", "terms"]  # fmt: skip
        read_only_fields = fields


class ComponentInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(ComponentKind.choices)
    part = serializers.ChoiceField(Part.choices, default=Part.WRITTEN)
    max_marks = serializers.DecimalField(**MARKS, min_value=Decimal("1"))
    weight = serializers.DecimalField(**PERCENT, required=False, allow_null=True, default=None)
    group = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class GroupInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    best_n = serializers.IntegerField(min_value=1)
    weight = serializers.DecimalField(**PERCENT)


class PlanTermInputSerializer(serializers.Serializer):
    term = SchoolRelatedField(queryset=Term.objects.all())
    weight = serializers.DecimalField(**PERCENT)
    is_final = serializers.BooleanField(default=False)
    groups = GroupInputSerializer(many=True, default=list)
    components = ComponentInputSerializer(many=True, allow_empty=False)


class PlanSubjectInputSerializer(serializers.Serializer):
    subject = SchoolRelatedField(queryset=Subject.objects.all())
    is_main = serializers.BooleanField(default=True)


class AssessmentPlanInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    school_class = SchoolRelatedField(queryset=SchoolClass.objects.all())
    year = SchoolRelatedField(queryset=AcademicYear.objects.all())
    scale = SchoolRelatedField(queryset=GradeScale.objects.all())
    pass_percent = serializers.DecimalField(**PERCENT, default=Decimal("33"))
    written_pass_percent = serializers.DecimalField(**PERCENT, required=False, allow_null=True,
                                                    default=None)  # fmt: skip
    internal_pass_percent = serializers.DecimalField(**PERCENT, required=False, allow_null=True,
                                                     default=None)  # fmt: skip
    subjects = PlanSubjectInputSerializer(many=True, allow_empty=False)
    terms = PlanTermInputSerializer(many=True, allow_empty=False)


# --- exams --------------------------------------------------------------------------------------
class PaperSerializer(serializers.ModelSerializer):
    subject_name = serializers.CharField(source="subject.name", read_only=True)

    class Meta:
        model = ExamScheduleEntry
        fields = ["id", "subject", "subject_name", "date", "start_time", "end_time", "room",
                  "max_marks", "section", "school_class"]  # fmt: skip
        read_only_fields = fields


class ExamSerializer(serializers.ModelSerializer):
    papers = PaperSerializer(source="schedule_entries", many=True, read_only=True)
    component_name = serializers.CharField(source="component.name", read_only=True)
    max_marks = serializers.DecimalField(source="component.max_marks", **MARKS, read_only=True)
    is_locked = serializers.SerializerMethodField()

    class Meta:
        model = Exam
        fields = ["id", "name", "plan_term", "component", "component_name", "max_marks",
                  "entry_opens", "entry_closes", "locked_at", "is_locked", "papers"]  # fmt: skip
        read_only_fields = fields

    def get_is_locked(self, obj) -> bool:
        return obj.locked_at is not None


class ExamInputSerializer(serializers.Serializer):
    component = SchoolRelatedField(queryset=Component.objects.all())
    name = serializers.CharField(max_length=100)
    entry_opens = serializers.DateField()
    entry_closes = serializers.DateField()
    schedule_entries = SchoolRelatedField(queryset=ExamScheduleEntry.objects.all(), many=True,
                                          required=False, default=list)  # fmt: skip


class ExamUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    entry_opens = serializers.DateField(required=False)
    entry_closes = serializers.DateField(required=False)
    schedule_entries = SchoolRelatedField(queryset=ExamScheduleEntry.objects.all(), many=True,
                                          required=False)  # fmt: skip


class LockSerializer(serializers.Serializer):
    locked = serializers.BooleanField(default=True)


# --- marks --------------------------------------------------------------------------------------
class MarkEntryInputSerializer(serializers.Serializer):
    student = serializers.UUIDField()
    marks = serializers.DecimalField(**MARKS, allow_null=True, required=False, default=None)
    status = serializers.ChoiceField(MarkStatus.choices, default=MarkStatus.PRESENT)
    remarks = serializers.CharField(max_length=200, allow_blank=True, default="")


class PaperQuerySerializer(serializers.Serializer):
    exam = SchoolRelatedField(queryset=Exam.objects.all())
    section = serializers.UUIDField()
    subject = SchoolRelatedField(queryset=Subject.objects.all())


class MarksInputSerializer(PaperQuerySerializer):
    entries = MarkEntryInputSerializer(many=True, allow_empty=False)
    reason = serializers.CharField(max_length=200, allow_blank=True, default="",
                                   help_text=_("Required for changes after the entry window or "
                                               "the lock (school admins)."))  # fmt: skip


class MarkRowSerializer(serializers.Serializer):
    id = serializers.UUIDField(allow_null=True)
    student = serializers.UUIDField()
    student_name = serializers.CharField()
    roll_number = serializers.IntegerField(allow_null=True)
    marks = serializers.DecimalField(**MARKS, allow_null=True)
    status = serializers.ChoiceField(MarkStatus.choices, allow_null=True)
    remarks = serializers.CharField()
    adjustment = serializers.DecimalField(**MARKS, allow_null=True)


class PaperMarksSerializer(serializers.Serializer):
    exam = serializers.UUIDField()
    section = serializers.UUIDField()
    subject = serializers.UUIDField()
    max_marks = serializers.DecimalField(**MARKS)
    entry_open = serializers.BooleanField()
    locked = serializers.BooleanField()
    entries = MarkRowSerializer(many=True)


class HomeworkImportInputSerializer(serializers.Serializer):
    section = serializers.UUIDField()
    subject = SchoolRelatedField(queryset=Subject.objects.all())
    dry_run = serializers.BooleanField(default=True,
                                       help_text=_("True (the default): propose, write nothing."))  # fmt: skip
    reason = serializers.CharField(max_length=200, allow_blank=True, default="",
                                   help_text=_("Required for changes after the entry window or "
                                               "the lock (school admins)."))  # fmt: skip


class HomeworkMarkSerializer(serializers.Serializer):
    student = serializers.UUIDField()
    student_name = serializers.CharField()
    roll_number = serializers.IntegerField(allow_null=True)
    counted = serializers.IntegerField(help_text="Homework counted (released grades and missing).")
    missing = serializers.IntegerField(help_text="Missing work, counted as zero.")
    excused = serializers.IntegerField(help_text="Excused work, left out.")
    percent = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    marks = serializers.DecimalField(**MARKS, allow_null=True,
                                     help_text="Null: nothing counted, no mark (not zero).")  # fmt: skip


class HomeworkImportSerializer(serializers.Serializer):
    exam = serializers.UUIDField()
    section = serializers.UUIDField()
    subject = serializers.UUIDField()
    max_marks = serializers.DecimalField(**MARKS)
    dry_run = serializers.BooleanField()
    amendment = serializers.BooleanField(help_text="A change after the window or the lock.")
    changed = serializers.IntegerField(help_text="Marks written (or, in a dry run, to write).")
    entries = HomeworkMarkSerializer(many=True)


class AdjustmentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(MarkAdjustment.Kind.choices)
    delta = serializers.DecimalField(**MARKS)
    reason = serializers.CharField(max_length=200)


class AdjustmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = MarkAdjustment
        fields = ["id", "mark", "kind", "delta", "reason", "approved_by", "created_at"]
        read_only_fields = fields


# --- remarks, co-scholastic -----------------------------------------------------------------------
class RemarkEntrySerializer(serializers.Serializer):
    student = serializers.UUIDField()
    text = serializers.CharField(max_length=500)


class RemarksInputSerializer(serializers.Serializer):
    section = serializers.UUIDField()
    plan_term = SchoolRelatedField(queryset=PlanTerm.objects.all())
    entries = RemarkEntrySerializer(many=True, allow_empty=False)


class CoScholasticEntrySerializer(serializers.Serializer):
    student = serializers.UUIDField()
    grade = serializers.CharField(max_length=8)


class CoScholasticInputSerializer(RemarksInputSerializer):
    area = SchoolRelatedField(queryset=CoScholasticArea.objects.all())
    entries = CoScholasticEntrySerializer(many=True, allow_empty=False)


class CountSerializer(serializers.Serializer):
    saved = serializers.IntegerField()


# --- results ------------------------------------------------------------------------------------
class ComputeInputSerializer(serializers.Serializer):
    school_class = SchoolRelatedField(queryset=SchoolClass.objects.all())
    plan_term = SchoolRelatedField(queryset=PlanTerm.objects.all())


class PublishInputSerializer(ComputeInputSerializer):
    visible_from = serializers.DateTimeField(
        required=False, allow_null=True, default=None,
        help_text=_("The embargo: families see the results from this moment (default: now)."),
    )  # fmt: skip


class RunSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    computed_at = serializers.DateTimeField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    visible_from = serializers.DateTimeField(allow_null=True)


class ExamJobStartedSerializer(serializers.Serializer):
    job = serializers.UUIDField()
    status = serializers.CharField()
    url = serializers.CharField()


class ComponentResultSerializer(serializers.Serializer):
    component = serializers.CharField()
    marks = serializers.CharField(allow_null=True, help_text=_("As counted (adjustments in)."))
    adjustment = serializers.CharField(allow_null=True, required=False,
                                       help_text=_("Moderation and grace marks added."))  # fmt: skip
    max_marks = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    counted = serializers.BooleanField()


class SubjectResultSerializer(serializers.Serializer):
    subject = serializers.CharField()
    name = serializers.CharField()
    code = serializers.CharField()
    is_main = serializers.BooleanField()
    components = ComponentResultSerializer(many=True)
    percent = serializers.CharField(allow_null=True)
    grade = serializers.CharField()
    grade_point = serializers.CharField(allow_null=True)
    parts = serializers.DictField(child=serializers.CharField(allow_null=True))
    passed = serializers.BooleanField()
    year_percent = serializers.CharField(allow_null=True)
    year_grade = serializers.CharField()


class CoScholasticResultSerializer(serializers.Serializer):
    area = serializers.CharField()
    grade = serializers.CharField()


class StudentResultSerializer(serializers.ModelSerializer):
    student_name = serializers.CharField(source="student.user.full_name", read_only=True)
    section_name = serializers.CharField(source="section.display_name", read_only=True)
    plan_term = serializers.UUIDField(source="run.plan_term_id", read_only=True)
    status = serializers.CharField(source="run.status", read_only=True)
    subjects = serializers.SerializerMethodField()
    co_scholastic = CoScholasticResultSerializer(many=True, read_only=True)
    section_rank = serializers.SerializerMethodField()
    class_rank = serializers.SerializerMethodField()
    promotion = serializers.ChoiceField(Promotion.choices, allow_blank=True, read_only=True)

    class Meta:
        model = StudentResult
        fields = ["id", "student", "student_name", "section", "section_name", "plan_term",
                  "status", "subjects", "percent", "grade", "cgpa", "year_percent", "year_grade",
                  "section_rank", "class_rank", "rank_excluded", "passed", "failed_subjects",
                  "promotion", "working_days", "days_present", "attendance_percent", "remarks",
                  "co_scholastic"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(SubjectResultSerializer(many=True))
    def get_subjects(self, obj):
        return obj.subjects

    def _show_rank(self) -> bool:
        return bool(self.context.get("show_rank"))

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_section_rank(self, obj):
        return obj.section_rank if self._show_rank() else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_class_rank(self, obj):
        return obj.class_rank if self._show_rank() else None


# --- report cards -------------------------------------------------------------------------------
class ReportCardSerializer(serializers.ModelSerializer):
    student_name = serializers.CharField(source="student.user.full_name", read_only=True)
    section_name = serializers.CharField(source="section.display_name", read_only=True)

    class Meta:
        model = ReportCard
        fields = ["id", "student", "student_name", "section", "section_name", "plan_term",
                  "version", "language", "created_at"]  # fmt: skip
        read_only_fields = fields


class GenerateCardsInputSerializer(serializers.Serializer):
    section = serializers.UUIDField()
    plan_term = SchoolRelatedField(queryset=PlanTerm.objects.all())


def section_or_404(user, pk) -> Section:
    from .. import scopes

    return scopes.readable_section(user, pk)


class MarksUploadSerializer(PaperQuerySerializer):
    file = serializers.FileField(help_text=_("The downloaded sheet, filled in (CSV, UTF-8)."),
                                 validators=[uploads.check_text_upload])  # fmt: skip
    dry_run = serializers.BooleanField(default=False)
    reason = serializers.CharField(max_length=200, allow_blank=True, default="")


class RowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class MarksUploadReportSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    dry_run = serializers.BooleanField()
    rows = serializers.IntegerField()
    errors = RowErrorSerializer(many=True)
