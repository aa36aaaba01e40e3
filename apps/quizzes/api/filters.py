"""Query filters of the quiz and attempt lists."""

from __future__ import annotations

import django_filters

from ..models import Attempt, AttemptStatus, Quiz, QuizStatus


class QuizFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=QuizStatus.choices)
    subject = django_filters.UUIDFilter(field_name="subject_id")
    section = django_filters.UUIDFilter(field_name="sections", distinct=True)

    class Meta:
        model = Quiz
        fields = ["status", "subject", "section"]


class AttemptFilter(django_filters.FilterSet):
    quiz = django_filters.UUIDFilter(field_name="quiz_id")
    student = django_filters.UUIDFilter(field_name="student_id")
    status = django_filters.ChoiceFilter(choices=AttemptStatus.choices)

    class Meta:
        model = Attempt
        fields = ["quiz", "student", "status"]
