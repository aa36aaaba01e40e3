"""Shapes of the homework API."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.academics.models import Section, Subject
from apps.accounts.models import StudentProfile
from apps.core.api.fields import SchoolRelatedField
from apps.exams.models import Component

from ..models import (
    Assignment,
    AssignmentStatus,
    Attachment,
    FileKind,
    Grade,
    LatePolicy,
    Submission,
    SubmissionFile,
    SubmissionStatus,
    SubmissionType,
    SubmissionVersion,
)


def _absolute(context, name: str, pk) -> str:
    url = reverse(f"api:{name}", args=[pk])
    request = context.get("request")
    return request.build_absolute_uri(url) if request else url


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "name", "content_type", "size", "url"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return _absolute(self.context, "homework-attachment-detail", obj.pk)


class HomeworkSectionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(source="display_name")


class FamilyWorkSerializer(serializers.Serializer):
    submission = serializers.UUIDField(source="id")
    student = serializers.UUIDField(source="student_id")
    status = serializers.ChoiceField(choices=SubmissionStatus.choices)
    days_late = serializers.IntegerField()
    turned_in_at = serializers.DateTimeField(allow_null=True)


class AssignmentSerializer(serializers.ModelSerializer):
    subject_name = serializers.CharField(source="subject.name", read_only=True)
    sections = HomeworkSectionSerializer(many=True, read_only=True)
    set_by = serializers.CharField(source="created_by.full_name", read_only=True, default=None)
    attachments = AttachmentSerializer(many=True, read_only=True)
    work = serializers.SerializerMethodField(
        help_text="Students and parents: the status of their own (children's) work on this "
        "homework (a child with nothing yet has no entry). Null for teachers and admins."
    )
    counts = serializers.SerializerMethodField(
        help_text="Turned in, late and missing work: teachers and school admins only (null "
        "for students and parents)."
    )

    class Meta:
        model = Assignment
        fields = [
            "id", "title", "instructions", "instructions_markdown", "subject", "subject_name",
            "sections", "set_by", "assigned_on", "due_at", "cutoff_at", "max_marks",
            "late_policy", "penalty_percent_per_day", "penalty_cap_percent", "submission_type",
            "allowed_kinds", "max_file_bytes", "status", "publish_at", "published_at",
            "attachments", "work", "counts", "counts_toward", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(FamilyWorkSerializer(many=True, allow_null=True))
    def get_work(self, obj):
        rows = getattr(obj, "family_work", None)
        return None if rows is None else FamilyWorkSerializer(rows, many=True).data

    @extend_schema_field(
        {"type": "object", "nullable": True, "properties": {
            "turned_in": {"type": "integer"}, "late": {"type": "integer"},
            "missing": {"type": "integer"}}}
    )  # fmt: skip
    def get_counts(self, obj):
        if not self.context.get("staff_view"):
            return None
        return {
            "turned_in": getattr(obj, "turned_in_count", 0),
            "late": getattr(obj, "late_count", 0),
            "missing": getattr(obj, "missing_count", 0),
        }


class AssignmentInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    instructions = serializers.CharField(required=False, allow_blank=True, default="")
    instructions_markdown = serializers.BooleanField(required=False, default=False)
    subject = SchoolRelatedField(queryset=Subject.objects.all())
    sections = SchoolRelatedField(queryset=Section.objects.select_related("year"),
                                            many=True)  # fmt: skip
    assigned_on = serializers.DateField(required=False)
    due_at = serializers.DateTimeField()
    cutoff_at = serializers.DateTimeField(required=False, allow_null=True)
    max_marks = serializers.DecimalField(max_digits=6, decimal_places=2, required=False,
                                         allow_null=True, min_value=0)  # fmt: skip
    late_policy = serializers.ChoiceField(choices=LatePolicy.choices, required=False)
    penalty_percent_per_day = serializers.DecimalField(max_digits=5, decimal_places=2,
                                                       min_value=0, max_value=100, required=False)  # fmt: skip
    penalty_cap_percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0,
                                                   max_value=100, required=False)  # fmt: skip
    submission_type = serializers.ChoiceField(choices=SubmissionType.choices, required=False)
    allowed_kinds = serializers.ListField(child=serializers.ChoiceField(choices=FileKind.choices),
                                          required=False)  # fmt: skip
    max_file_bytes = serializers.IntegerField(min_value=1, required=False)
    status = serializers.ChoiceField(choices=AssignmentStatus.choices, required=False)
    publish_at = serializers.DateTimeField(required=False, allow_null=True)
    counts_toward = SchoolRelatedField(
        queryset=Component.objects.select_related("plan_term__plan"), required=False,
        allow_null=True,
        help_text="The internal-assessment component (exams plan) this graded homework counts "
        "toward; its marks can then be imported from the released grades.",
    )  # fmt: skip


class AssignmentUpdateSerializer(AssignmentInputSerializer):
    subject = None  # the subject is fixed once set


class ExtensionInputSerializer(serializers.Serializer):
    student = SchoolRelatedField(queryset=StudentProfile.objects.all())
    due_at = serializers.DateTimeField()
    cutoff_at = serializers.DateTimeField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=300)


class ExtensionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    student = serializers.UUIDField(source="student_id")
    due_at = serializers.DateTimeField()
    cutoff_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()


class SubmissionFileSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = SubmissionFile
        fields = ["id", "name", "content_type", "size", "removed", "url", "created_at"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return _absolute(self.context, "homework-file-detail", obj.pk)


class VersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubmissionVersion
        fields = ["number", "text", "file_ids", "turned_in_at", "late"]
        read_only_fields = fields


class GradeSerializer(serializers.ModelSerializer):
    released = serializers.SerializerMethodField()

    class Meta:
        model = Grade
        fields = ["marks", "penalty_percent", "final_marks", "comment", "released",
                  "released_at"]  # fmt: skip
        read_only_fields = fields

    def get_released(self, obj) -> bool:
        return obj.released_at is not None


class SubmissionSerializer(serializers.ModelSerializer):
    student_name = serializers.CharField(source="student.user.full_name", read_only=True)
    section_name = serializers.CharField(source="section.display_name", read_only=True)
    files = SubmissionFileSerializer(many=True, read_only=True)
    versions = VersionSerializer(many=True, read_only=True)
    grade = serializers.SerializerMethodField(
        help_text="Null until graded; for students and parents null until released."
    )

    class Meta:
        model = Submission
        fields = ["id", "assignment", "student", "student_name", "section", "section_name",
                  "status", "text", "turned_in_at", "days_late", "version", "files",
                  "versions", "grade"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(GradeSerializer(allow_null=True))
    def get_grade(self, obj):
        grade = self.context.get("grades", {}).get((obj.assignment_id, obj.student_id))
        return GradeSerializer(grade).data if grade is not None else None


class SubmissionInputSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, max_length=50_000)
    files = serializers.ListField(child=serializers.FileField(), required=False)
    remove_files = serializers.ListField(child=serializers.UUIDField(), required=False)
    turn_in = serializers.BooleanField(required=False, default=False)


class ReturnInputSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class GradeRowSerializer(serializers.Serializer):
    student = serializers.UUIDField()
    marks = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=0, allow_null=True,
                                     required=False)  # fmt: skip
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    excused = serializers.BooleanField(required=False, default=False)


class GradesInputSerializer(serializers.Serializer):
    grades = GradeRowSerializer(many=True, allow_empty=False, max_length=500)


class RosterRowSerializer(serializers.Serializer):
    student = serializers.UUIDField()
    name = serializers.CharField()
    admission_number = serializers.CharField()
    section = serializers.CharField()
    roll_number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=SubmissionStatus.choices, allow_null=True)
    days_late = serializers.IntegerField()
    submission = serializers.UUIDField(allow_null=True)
    grade = GradeSerializer(allow_null=True)


class GradeReleaseSerializer(serializers.Serializer):
    students = serializers.ListField(child=serializers.UUIDField(), required=False,
                                     help_text="Only these students; all graded when absent.")  # fmt: skip


class ReleasedSerializer(serializers.Serializer):
    released = serializers.IntegerField()


class CsvUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class ImportedSerializer(serializers.Serializer):
    saved = serializers.IntegerField()


class ZipJobSerializer(serializers.Serializer):
    job = serializers.UUIDField()
    status = serializers.CharField()
    url = serializers.CharField()
