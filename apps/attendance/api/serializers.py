"""Input serializers (the mark request, query parameters) and output serializers (marks and
summaries as the selectors shape them)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.academics.models import Section, TimetableEntry
from apps.core.api import rows
from apps.core.api.fields import SchoolRelatedField

from ..models import Status


# --- input ----------------------------------------------------------------------------------------
class MarkEntrySerializer(serializers.Serializer):
    student = serializers.UUIDField(help_text=_("Student profile id."))
    status = serializers.ChoiceField(choices=Status.choices)
    remarks = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    late_minutes = serializers.IntegerField(
        min_value=0, max_value=1440, required=False, default=0, help_text=_("More than 0 for late.")
    )
    reason = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Required for excused."),
    )


class MarkInputSerializer(serializers.Serializer):
    section = SchoolRelatedField(
        queryset=Section.objects.select_related("year", "school", "class_teacher", "school_class")
    )
    date = serializers.DateField()
    period = SchoolRelatedField(
        queryset=TimetableEntry.objects.select_related("teacher", "subject"),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Timetable entry id for period attendance; null for the daily register."),
    )
    entries = MarkEntrySerializer(many=True, allow_empty=False, max_length=500)


class ListQuerySerializer(serializers.Serializer):
    section = serializers.UUIDField(required=False)
    date = serializers.DateField(required=False)
    period = serializers.CharField(
        required=False,
        help_text=_("A timetable entry id, or 'daily' for the daily register; all when omitted."),
    )
    student = serializers.UUIDField(required=False)
    from_ = serializers.DateField(required=False, help_text=_("First day (with student)."))
    to = serializers.DateField(required=False, help_text=_("Last day (with student)."))

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class SummaryQuerySerializer(serializers.Serializer):
    student = serializers.UUIDField(
        required=False, help_text=_("Required except for a student (themself).")
    )
    from_ = serializers.DateField(required=False, help_text=_("Default: the first of the month."))
    to = serializers.DateField(required=False, help_text=_("Default: today."))

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class SectionDayQuerySerializer(serializers.Serializer):
    section = serializers.UUIDField()
    date = serializers.DateField(required=False, help_text=_("Default: today."))


class RegisterQuerySerializer(serializers.Serializer):
    section = serializers.UUIDField()
    month = serializers.RegexField(
        r"^\d{4}-(0[1-9]|1[0-2])$", required=False, help_text=_("YYYY-MM; default: this month.")
    )


class NotTakenQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text=_("Default: today."))


# --- output ---------------------------------------------------------------------------------------
class MarkSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    student = serializers.UUIDField(source="student_id")
    student_name = serializers.CharField()
    roll_number = serializers.IntegerField(allow_null=True)
    section = serializers.UUIDField(source="section_id")
    date = serializers.DateField()
    period = serializers.UUIDField(source="period_id", allow_null=True)
    period_number = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=Status.choices)
    late_minutes = serializers.IntegerField()
    reason = serializers.CharField()
    remarks = serializers.CharField()
    marked_by = serializers.UUIDField(source="marked_by_id", allow_null=True)
    ts = serializers.IntegerField(help_text=_("Write time, UTC epoch microseconds."))
    pending = serializers.BooleanField(help_text=_("Not yet written to the database."))


def mark_rows(marks: list[dict]) -> list[dict]:
    """`MarkSerializer(marks, many=True).data` for `selectors.describe()`d marks, built
    directly: a register is read far more often than it is written, and DRF's field-by-field
    walk cost more than the rest of the read (`apps.core.api.rows`). The tests check that both
    give the same."""
    return [
        {
            "id": rows.text(m["id"]),
            "student": rows.text(m["student_id"]),
            "student_name": rows.text(m["student_name"]),
            "roll_number": rows.integer(m["roll_number"]),
            "section": rows.text(m["section_id"]),
            "date": rows.iso_date(m["date"]),
            "period": rows.text(m["period_id"]),
            "period_number": rows.integer(m["period_number"]),
            "status": m["status"],
            "late_minutes": rows.integer(m["late_minutes"]),
            "reason": rows.text(m["reason"]),
            "remarks": rows.text(m["remarks"]),
            "marked_by": rows.text(m["marked_by_id"]),
            "ts": rows.integer(m["ts"]),
            "pending": rows.boolean(m["pending"]),
        }
        for m in marks
    ]


class MarkResultSerializer(serializers.Serializer):
    section = serializers.UUIDField()
    date = serializers.DateField()
    period = serializers.UUIDField(allow_null=True)
    marks = MarkSerializer(many=True)


def _counts():
    return serializers.DictField(child=serializers.IntegerField(), help_text=_("By status."))


class StudentSummarySerializer(serializers.Serializer):
    student = serializers.UUIDField()
    from_ = serializers.DateField()
    to = serializers.DateField()
    days_marked = serializers.IntegerField()
    counts = _counts()
    percentage = serializers.FloatField(allow_null=True)
    periods_marked = serializers.IntegerField()
    period_counts = _counts()
    period_percentage = serializers.FloatField(allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class PeriodSummarySerializer(serializers.Serializer):
    period = serializers.UUIDField()
    number = serializers.IntegerField()
    subject = serializers.CharField()
    teacher = serializers.CharField()
    marked = serializers.IntegerField()
    counts = _counts()


class SectionDaySummarySerializer(serializers.Serializer):
    section = serializers.UUIDField()
    date = serializers.DateField()
    enrolled = serializers.IntegerField()
    marked = serializers.IntegerField()
    not_marked = serializers.IntegerField()
    counts = _counts()
    percentage = serializers.FloatField(allow_null=True)
    periods = PeriodSummarySerializer(many=True)


class RegisterRowSerializer(serializers.Serializer):
    student = serializers.UUIDField()
    name = serializers.CharField()
    roll_number = serializers.IntegerField(allow_null=True)
    days = serializers.ListField(
        child=serializers.CharField(allow_blank=True),
        help_text=_("One code per day: P, A, L, E; H for a holiday; empty when not marked."),
    )
    counts = _counts()
    percentage = serializers.FloatField(allow_null=True)


class RegisterSerializer(serializers.Serializer):
    section = serializers.UUIDField()
    section_name = serializers.CharField()
    month = serializers.CharField()
    days = serializers.ListField(child=serializers.DateField())
    holidays = serializers.ListField(child=serializers.DateField())
    students = RegisterRowSerializer(many=True)


class NotTakenSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(source="display_name")
    class_teacher = serializers.UUIDField(source="class_teacher_id", allow_null=True)
    class_teacher_name = serializers.CharField(
        source="class_teacher.user.full_name", default=None, allow_null=True
    )
