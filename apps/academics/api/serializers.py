"""Output serializers (read-only, flat: ids with the names a screen shows) and input serializers
(plain fields; related ids are looked up inside the caller's school)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.accounts.models import StudentProfile, TeacherProfile
from apps.core.api.fields import SchoolRelatedField

from ..models import (
    AcademicYear,
    Enrollment,
    SchoolClass,
    Section,
    Subject,
    TeachingAssignment,
    Term,
    TimetableEntry,
    Weekday,
)

TIME_FORMAT = "%H:%M"


# --- Years and terms ------------------------------------------------------------------------------
class AcademicYearSerializer(serializers.ModelSerializer):
    class Meta:
        model = AcademicYear
        fields = ["id", "name", "start_date", "end_date", "is_current", "created_at", "updated_at"]
        read_only_fields = fields


class AcademicYearInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=32)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    is_current = serializers.BooleanField(
        default=False, help_text=_("Make this the school's current year.")
    )


class AcademicYearUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=32, required=False)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)


class TermSerializer(serializers.ModelSerializer):
    year_name = serializers.CharField(source="year.name", read_only=True)

    class Meta:
        model = Term
        fields = ["id", "year", "year_name", "name", "start_date", "end_date", "created_at"]
        read_only_fields = fields


class TermInputSerializer(serializers.Serializer):
    year = SchoolRelatedField(queryset=AcademicYear.objects.all())
    name = serializers.CharField(max_length=64)
    start_date = serializers.DateField()
    end_date = serializers.DateField()


class TermUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64, required=False)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)


# --- Classes, sections, subjects ------------------------------------------------------------------
class SchoolClassSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True, help_text=_('Short form, e.g. "5".'))

    class Meta:
        model = SchoolClass
        fields = ["id", "name", "short_name", "label", "order", "created_at"]
        read_only_fields = fields


class SchoolClassInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    short_name = serializers.CharField(max_length=16, required=False, allow_blank=True)
    order = serializers.IntegerField(min_value=0, max_value=32767, required=False)


class SchoolClassUpdateSerializer(SchoolClassInputSerializer):
    name = serializers.CharField(max_length=64, required=False)


class SectionSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(read_only=True, help_text=_('e.g. "5-A".'))
    school_class_name = serializers.CharField(source="school_class.name", read_only=True)
    year_name = serializers.CharField(source="year.name", read_only=True)
    class_teacher_name = serializers.CharField(
        source="class_teacher.user.full_name", read_only=True, default=None
    )
    enrolled_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Section
        fields = [
            "id", "display_name", "name", "school_class", "school_class_name", "year",
            "year_name", "class_teacher", "class_teacher_name", "room", "capacity",
            "enrolled_count", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class SectionInputSerializer(serializers.Serializer):
    school_class = SchoolRelatedField(queryset=SchoolClass.objects.all())
    year = SchoolRelatedField(queryset=AcademicYear.objects.all())
    name = serializers.CharField(max_length=16)
    class_teacher = SchoolRelatedField(
        queryset=TeacherProfile.objects.all(), required=False, allow_null=True
    )
    room = serializers.CharField(max_length=32, required=False, allow_blank=True)
    capacity = serializers.IntegerField(min_value=1, max_value=32767, required=False)


class SectionUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=16, required=False)
    class_teacher = SchoolRelatedField(
        queryset=TeacherProfile.objects.all(), required=False, allow_null=True
    )
    room = serializers.CharField(max_length=32, required=False, allow_blank=True)
    capacity = serializers.IntegerField(min_value=1, max_value=32767, required=False)


class SectionStudentSerializer(serializers.ModelSerializer):
    """One row of a section's roster."""

    enrollment = serializers.UUIDField(source="id", read_only=True)
    full_name = serializers.CharField(source="student.user.full_name", read_only=True)
    admission_number = serializers.CharField(source="student.admission_number", read_only=True)

    class Meta:
        model = Enrollment
        fields = ["enrollment", "roll_number", "student", "full_name", "admission_number"]
        read_only_fields = fields


class SubjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = Subject
        fields = ["id", "name", "code", "created_at"]
        read_only_fields = fields


class SubjectInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    code = serializers.CharField(max_length=16, help_text=_("Stored upper-case, e.g. MATH."))


class SubjectUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    code = serializers.CharField(max_length=16, required=False)


# --- Teaching assignments and enrollments ---------------------------------------------------------
class TeachingAssignmentSerializer(serializers.ModelSerializer):
    teacher_name = serializers.CharField(source="teacher.user.full_name", read_only=True)
    section_name = serializers.CharField(source="section.display_name", read_only=True)
    subject_name = serializers.CharField(source="subject.name", read_only=True)
    year_name = serializers.CharField(source="year.name", read_only=True)

    class Meta:
        model = TeachingAssignment
        fields = [
            "id", "teacher", "teacher_name", "section", "section_name", "subject",
            "subject_name", "year", "year_name", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class TeachingAssignmentInputSerializer(serializers.Serializer):
    teacher = SchoolRelatedField(queryset=TeacherProfile.objects.all())
    section = SchoolRelatedField(queryset=Section.objects.all())
    subject = SchoolRelatedField(queryset=Subject.objects.all())


class EnrollmentSerializer(serializers.ModelSerializer):
    student_name = serializers.CharField(source="student.user.full_name", read_only=True)
    admission_number = serializers.CharField(source="student.admission_number", read_only=True)
    section_name = serializers.CharField(source="section.display_name", read_only=True)
    year_name = serializers.CharField(source="year.name", read_only=True)

    class Meta:
        model = Enrollment
        fields = [
            "id", "student", "student_name", "admission_number", "section", "section_name",
            "year", "year_name", "roll_number", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class EnrollmentInputSerializer(serializers.Serializer):
    student = SchoolRelatedField(queryset=StudentProfile.objects.all())
    section = SchoolRelatedField(queryset=Section.objects.all())
    roll_number = serializers.IntegerField(
        min_value=1,
        max_value=32767,
        required=False,
        help_text=_("Without one, the next free number in the section."),
    )


class EnrollmentUpdateSerializer(serializers.Serializer):
    section = SchoolRelatedField(
        queryset=Section.objects.all(),
        required=False,
        help_text=_("Move the student to another section of the same year."),
    )
    roll_number = serializers.IntegerField(min_value=1, max_value=32767, required=False)


# --- Timetable ------------------------------------------------------------------------------------
class TimetableEntrySerializer(serializers.ModelSerializer):
    section_name = serializers.CharField(source="section.display_name", read_only=True)
    year = serializers.UUIDField(source="section.year_id", read_only=True)
    weekday_name = serializers.CharField(source="get_weekday_display", read_only=True)
    start_time = serializers.TimeField(format=TIME_FORMAT, read_only=True)
    end_time = serializers.TimeField(format=TIME_FORMAT, read_only=True)
    subject_name = serializers.CharField(source="subject.name", read_only=True)
    teacher_name = serializers.CharField(source="teacher.user.full_name", read_only=True)

    class Meta:
        model = TimetableEntry
        fields = [
            "id", "section", "section_name", "year", "weekday", "weekday_name", "period",
            "start_time", "end_time", "subject", "subject_name", "teacher", "teacher_name",
            "room",
        ]  # fmt: skip
        read_only_fields = fields


class TimetableEntryUpdateSerializer(serializers.Serializer):
    weekday = serializers.ChoiceField(
        choices=Weekday.choices, required=False, help_text=_("0 = Monday … 6 = Sunday.")
    )
    period = serializers.IntegerField(min_value=1, max_value=32767, required=False)
    start_time = serializers.TimeField(required=False, help_text=_("HH:MM"))
    end_time = serializers.TimeField(required=False, help_text=_("HH:MM"))
    subject = SchoolRelatedField(queryset=Subject.objects.all(), required=False)
    teacher = SchoolRelatedField(queryset=TeacherProfile.objects.all(), required=False)
    room = serializers.CharField(max_length=32, required=False, allow_blank=True)


class TimetableEntryInputSerializer(TimetableEntryUpdateSerializer):
    section = SchoolRelatedField(queryset=Section.objects.all())
    weekday = serializers.ChoiceField(
        choices=Weekday.choices, help_text=_("0 = Monday … 6 = Sunday.")
    )
    period = serializers.IntegerField(min_value=1, max_value=32767)
    start_time = serializers.TimeField(help_text=_("HH:MM"))
    end_time = serializers.TimeField(help_text=_("HH:MM"))
    subject = SchoolRelatedField(queryset=Subject.objects.all())
    teacher = SchoolRelatedField(queryset=TeacherProfile.objects.all())
    room = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text=_("Without one, the section's own room."),
    )
