"""Output serializers (read-only, flat: ids with the names a screen shows) and input serializers
(plain fields; related ids are looked up inside the caller's school, so another school's id is
a 400 "Not found in your school." on that field)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.academics.models import AcademicYear, SchoolClass, Section, Subject
from apps.core.api.fields import SchoolRelatedField

from ..models import Audience, CalendarEvent, CalendarFeedToken, EventKind, ExamScheduleEntry

TIME_FORMAT = "%H:%M"


# --- Events -------------------------------------------------------------------------------------
class CalendarEventSerializer(serializers.ModelSerializer):
    kind_name = serializers.CharField(source="get_kind_display", read_only=True)
    audience_name = serializers.CharField(read_only=True, help_text=_('e.g. "5-A".'))
    school_class_name = serializers.CharField(
        source="school_class.name", read_only=True, default=None
    )
    section_name = serializers.CharField(
        source="section.display_name", read_only=True, default=None
    )
    academic_year_name = serializers.CharField(
        source="academic_year.name", read_only=True, default=None
    )
    start_time = serializers.TimeField(format=TIME_FORMAT, read_only=True)
    end_time = serializers.TimeField(format=TIME_FORMAT, read_only=True)

    class Meta:
        model = CalendarEvent
        fields = [
            "id", "title", "description", "kind", "kind_name", "start_date", "end_date",
            "all_day", "start_time", "end_time", "audience", "audience_name", "school_class",
            "school_class_name", "section", "section_name", "academic_year",
            "academic_year_name", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class CalendarEventUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=EventKind.choices, required=False)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False, help_text=_("The last day (inclusive)."))
    all_day = serializers.BooleanField(required=False)
    start_time = serializers.TimeField(required=False, allow_null=True, help_text=_("HH:MM"))
    end_time = serializers.TimeField(required=False, allow_null=True, help_text=_("HH:MM"))
    audience = serializers.ChoiceField(choices=Audience.choices, required=False)
    school_class = SchoolRelatedField(
        queryset=SchoolClass.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("With audience=class."),
    )
    section = SchoolRelatedField(
        queryset=Section.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("With audience=section."),
    )
    academic_year = SchoolRelatedField(
        queryset=AcademicYear.objects.all(), required=False, allow_null=True
    )


class CalendarEventInputSerializer(CalendarEventUpdateSerializer):
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=EventKind.choices)
    start_date = serializers.DateField()
    end_date = serializers.DateField(
        required=False, help_text=_("The last day (inclusive); by default the first day.")
    )
    all_day = serializers.BooleanField(
        required=False, help_text=_("By default true unless times are given.")
    )
    audience = serializers.ChoiceField(choices=Audience.choices, default=Audience.SCHOOL)
    academic_year = SchoolRelatedField(
        queryset=AcademicYear.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("By default the section's year, else the year containing the first day."),
    )


# --- Exam schedule ------------------------------------------------------------------------------
class ExamScheduleEntrySerializer(serializers.ModelSerializer):
    audience_name = serializers.CharField(read_only=True, help_text=_('"5-A" or "Class 5".'))
    school_class_name = serializers.CharField(
        source="school_class.name", read_only=True, default=None
    )
    section_name = serializers.CharField(
        source="section.display_name", read_only=True, default=None
    )
    subject_name = serializers.CharField(source="subject.name", read_only=True)
    start_time = serializers.TimeField(format=TIME_FORMAT, read_only=True)
    end_time = serializers.TimeField(format=TIME_FORMAT, read_only=True)

    class Meta:
        model = ExamScheduleEntry
        fields = [
            "id", "exam_name", "school_class", "school_class_name", "section", "section_name",
            "audience_name", "subject", "subject_name", "date", "start_time", "end_time", "room",
            "max_marks", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class ExamScheduleEntryUpdateSerializer(serializers.Serializer):
    exam_name = serializers.CharField(max_length=100, required=False)
    section = SchoolRelatedField(queryset=Section.objects.all(), required=False, allow_null=True)
    school_class = SchoolRelatedField(
        queryset=SchoolClass.objects.all(), required=False, allow_null=True
    )
    subject = SchoolRelatedField(queryset=Subject.objects.all(), required=False)
    date = serializers.DateField(required=False)
    start_time = serializers.TimeField(required=False, help_text=_("HH:MM"))
    end_time = serializers.TimeField(required=False, help_text=_("HH:MM"))
    room = serializers.CharField(max_length=32, required=False, allow_blank=True)
    max_marks = serializers.IntegerField(
        min_value=1, max_value=32767, required=False, allow_null=True
    )


class ExamScheduleEntryInputSerializer(ExamScheduleEntryUpdateSerializer):
    exam_name = serializers.CharField(max_length=100, help_text=_("e.g. Term 1 exams"))
    section = SchoolRelatedField(
        queryset=Section.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("One section; or give school_class for all its sections."),
    )
    subject = SchoolRelatedField(queryset=Subject.objects.all())
    date = serializers.DateField()
    start_time = serializers.TimeField(help_text=_("HH:MM"))
    end_time = serializers.TimeField(help_text=_("HH:MM"))
    room = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text=_("Without one, the section's own room."),
    )


# --- Feed tokens --------------------------------------------------------------------------------
class CalendarFeedTokenSerializer(serializers.ModelSerializer):
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = CalendarFeedToken
        fields = ["id", "label", "hint", "is_active", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = fields


class CalendarFeedTokenInputSerializer(serializers.Serializer):
    label = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text=_("e.g. My phone")
    )


class CalendarFeedTokenCreatedSerializer(CalendarFeedTokenSerializer):
    """The new token, with the secret and the links to subscribe to: shown this once only."""

    token = serializers.SerializerMethodField(help_text=_("The secret; it is not shown again."))
    feed_url = serializers.SerializerMethodField(help_text=_("Subscribe to this address."))
    webcal_url = serializers.SerializerMethodField(
        help_text=_("The same address for phones: opening it offers to subscribe.")
    )

    class Meta(CalendarFeedTokenSerializer.Meta):
        fields = [*CalendarFeedTokenSerializer.Meta.fields, "token", "feed_url", "webcal_url"]
        read_only_fields = fields

    def get_token(self, obj) -> str:
        return self.context["plain_token"]

    def get_feed_url(self, obj) -> str:
        path = reverse("api:calendar-feed", kwargs={"token": self.context["plain_token"]})
        return self.context["request"].build_absolute_uri(path)

    def get_webcal_url(self, obj) -> str:
        url = self.get_feed_url(obj)
        return "webcal://" + url.split("://", 1)[1]
