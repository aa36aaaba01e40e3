from __future__ import annotations

from rest_framework import serializers

SECTION_HELP = {
    "attendance": "Admin: today's registers (sections marked and not, present %, absentees). "
    "Teacher: registers still to mark, today's figures, the trend of their sections. "
    "Parent/student: each child's month.",
    "fees": "Admin/accountant: collected today and this month against the month's target, "
    "overdue total, top defaulters. Parent/student: each child's dues.",
    "upcoming": "Everyone: events and exam papers of the next 14 days they may read.",
    "homework": "Admin: homework due this week per class. Teacher: work waiting to be graded. "
    "Parent/student: per child, work due, missing and recent grades.",
    "quizzes": "Teacher: open quizzes and results to release. Parent/student: open quizzes and "
    "each child's released results.",
    "results": "Admin: result runs published and to publish, pass count and average. "
    "Parent/student: each child's latest published results.",
    "timetable": "Teacher: their periods today. Parent/student: the children's periods today.",
    "children": "Parent/student: the children (a student: themself) and their sections.",
    "transport": "Admin/transport manager: trips, today's runs, vehicle papers expiring. "
    "Parent/student: each child's bus today.",
    "stock": "Admin/store manager: items at or below their reorder level.",
    "charts": "Admin: attendance trend, fee collection per day and month, results "
    "distribution (the admin index's charts).",
    "alerts": "Things needing attention raised by the other sections (kind, count).",
}


class DashboardSectionsSerializer(serializers.Serializer):
    """The sections of the caller's dashboard; a section of an app that is not installed, or
    not for the caller's role or duty, is absent."""

    attendance = serializers.JSONField(required=False, help_text=SECTION_HELP["attendance"])
    fees = serializers.JSONField(required=False, help_text=SECTION_HELP["fees"])
    upcoming = serializers.JSONField(required=False, help_text=SECTION_HELP["upcoming"])
    homework = serializers.JSONField(required=False, help_text=SECTION_HELP["homework"])
    quizzes = serializers.JSONField(required=False, help_text=SECTION_HELP["quizzes"])
    results = serializers.JSONField(required=False, help_text=SECTION_HELP["results"])
    timetable = serializers.JSONField(required=False, help_text=SECTION_HELP["timetable"])
    children = serializers.JSONField(required=False, help_text=SECTION_HELP["children"])
    transport = serializers.JSONField(required=False, help_text=SECTION_HELP["transport"])
    stock = serializers.JSONField(required=False, help_text=SECTION_HELP["stock"])
    charts = serializers.JSONField(required=False, help_text=SECTION_HELP["charts"])
    alerts = serializers.JSONField(required=False, help_text=SECTION_HELP["alerts"])


class DashboardSchoolSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class DashboardSerializer(serializers.Serializer):
    role = serializers.CharField(help_text="The caller's role: admin, teacher, student, parent "
                                 "or staff (a staff member's sections follow their duties).")  # fmt: skip
    school = DashboardSchoolSerializer()
    date = serializers.DateField(help_text="Today where the school is.")
    cached_at = serializers.DateTimeField(help_text="When these figures were computed.")
    sections = DashboardSectionsSerializer()
