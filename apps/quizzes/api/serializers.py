"""Input serializers (quiz settings, answers, overrides, accommodations) and output serializers
(quizzes, attempts with their paper, results and analytics as the selectors shape them)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.academics.models import Section, Subject
from apps.accounts.models import StudentProfile
from apps.core.api.fields import SchoolRelatedField

from .. import question_types as qt
from ..models import AnswersPolicy, GradingRule, Quiz, QuizStatus, ReleasePolicy, Selection

MARKS = {"max_digits": 7, "decimal_places": 2}


# --- quizzes -------------------------------------------------------------------------------------
class QuestionItemSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=64, help_text=_("Question bank id."))
    marks = serializers.DecimalField(min_value=0, default=1, **MARKS)


class PoolFilterSerializer(serializers.Serializer):
    subject = serializers.UUIDField(required=False)
    class_ = serializers.UUIDField(required=False)
    topic = serializers.CharField(required=False, max_length=100)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False)
    difficulty = serializers.ChoiceField(choices=["easy", "medium", "hard"], required=False)
    type = serializers.CharField(required=False, max_length=20)

    def get_fields(self):
        fields = super().get_fields()
        fields["class"] = fields.pop("class_")
        return fields

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        return {k: str(v) if k in ("subject", "class") else v for k, v in value.items()}


@extend_schema_field(QuestionItemSerializer(many=True))
class QuestionListField(serializers.JSONField):
    """The fixed selection as stored: `[{"question": id, "marks": "1"}, ...]` in order."""


@extend_schema_field(PoolFilterSerializer)
class PoolFilterField(serializers.JSONField):
    """The random draw's pool as stored (subject, class, topic, tags, difficulty, type)."""


class QuizInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    instructions = serializers.CharField(required=False, allow_blank=True, default="")
    subject = SchoolRelatedField(queryset=Subject.objects.all())
    sections = SchoolRelatedField(
        queryset=Section.objects.select_related("school_class"), many=True, allow_empty=False
    )
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField(min_value=1, max_value=24 * 60)
    attempts_allowed = serializers.IntegerField(min_value=1, max_value=100, default=1)
    grading_rule = serializers.ChoiceField(choices=GradingRule.choices, default=GradingRule.HIGHEST)
    shuffle_questions = serializers.BooleanField(default=False)
    shuffle_options = serializers.BooleanField(default=False)
    selection = serializers.ChoiceField(choices=Selection.choices, default=Selection.FIXED)
    questions = QuestionItemSerializer(many=True, required=False, default=list, max_length=500)
    pool_filter = PoolFilterSerializer(required=False, default=dict)
    draw_count = serializers.IntegerField(
        min_value=1, max_value=500, required=False, allow_null=True
    )
    draw_marks = serializers.DecimalField(min_value=0, required=False, **MARKS)
    negative_marking = serializers.DecimalField(
        max_digits=5, decimal_places=4, min_value=0, max_value=1, required=False
    )
    pass_mark = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, allow_null=True
    )
    release_policy = serializers.ChoiceField(
        choices=ReleasePolicy.choices,
        default=ReleasePolicy.ON_SUBMIT,
        help_text=_("When students and parents see the score."),
    )
    answers_policy = serializers.ChoiceField(
        choices=AnswersPolicy.choices,
        default=AnswersPolicy.AFTER_CLOSE,
        help_text=_(
            "When students and parents see the correct answers, explanations and per-question "
            "marks; never while an attempt of the quiz can still run."
        ),
    )

    def validate(self, attrs):
        opens, closes = attrs.get("opens_at"), attrs.get("closes_at")
        if opens and closes and closes <= opens:
            raise serializers.ValidationError(
                {"closes_at": [_("The quiz must close after it opens.")]}
            )
        if "questions" in attrs:
            attrs["questions"] = [
                {"question": q["question"], "marks": str(q["marks"])} for q in attrs["questions"]
            ]
        return attrs


class SectionBriefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(source="display_name")


class QuizSerializer(serializers.ModelSerializer):
    # Students and parents see the quiz, not how its questions are chosen.
    role_dependent_fields = ("questions", "pool_filter")

    questions = QuestionListField(
        read_only=True, help_text=Quiz._meta.get_field("questions").help_text
    )
    pool_filter = PoolFilterField(
        read_only=True, help_text=Quiz._meta.get_field("pool_filter").help_text
    )
    subject_name = serializers.CharField(source="subject.name", read_only=True)
    sections = SectionBriefSerializer(many=True, read_only=True)
    question_count = serializers.SerializerMethodField()
    created_by_name = serializers.CharField(
        source="created_by.full_name", read_only=True, default=None
    )
    results_visible = serializers.SerializerMethodField()

    class Meta:
        model = Quiz
        fields = [
            "id",
            "title",
            "instructions",
            "subject",
            "subject_name",
            "sections",
            "status",
            "opens_at",
            "closes_at",
            "duration_minutes",
            "attempts_allowed",
            "grading_rule",
            "shuffle_questions",
            "shuffle_options",
            "selection",
            "questions",
            "pool_filter",
            "draw_count",
            "draw_marks",
            "negative_marking",
            "pass_mark",
            "release_policy",
            "results_released",
            "results_visible",
            "answers_policy",
            "answers_released",
            "question_count",
            "published_at",
            "created_by",
            "created_by_name",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_question_count(self, quiz) -> int | None:
        """Questions per attempt: the fixed list's length or the draw count."""
        if quiz.selection == Selection.RANDOM:
            return quiz.draw_count
        return len(quiz.questions or [])

    @extend_schema_field(serializers.BooleanField())
    def get_results_visible(self, quiz) -> bool:
        return quiz.results_visible()

    def to_representation(self, quiz):
        data = super().to_representation(quiz)
        if not self.context.get("staff_view"):
            data.pop("questions", None)
            data.pop("pool_filter", None)
        return data


class QuizSummarySerializer(serializers.Serializer):
    """A quiz in a list: what a row shows (the detail has its settings and questions)."""

    id = serializers.UUIDField()
    title = serializers.CharField()
    subject = serializers.UUIDField(source="subject_id")
    subject_name = serializers.CharField(source="subject.name")
    sections = SectionBriefSerializer(many=True)
    status = serializers.ChoiceField(choices=QuizStatus.choices)
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField()
    attempts_allowed = serializers.IntegerField()
    question_count = serializers.SerializerMethodField()
    results_visible = serializers.SerializerMethodField()
    published_at = serializers.DateTimeField(allow_null=True)

    get_question_count = QuizSerializer.get_question_count
    get_results_visible = QuizSerializer.get_results_visible


class SectionRowSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(source="display_name")


class QuizSummaryRowSerializer(QuizSummarySerializer):
    """`QuizSummarySerializer`'s very output, from `selectors.quiz_summary_page` rows (dicts)."""

    subject_name = serializers.CharField()
    sections = SectionRowSerializer(many=True)

    def get_question_count(self, row) -> int | None:
        if row["selection"] == Selection.RANDOM:
            return row["draw_count"]
        return len(row["questions"] or [])

    def get_results_visible(self, row) -> bool:
        fields = ("results_released", "release_policy", "status", "closes_at")
        return Quiz(**{name: row[name] for name in fields}).results_visible()


class AccommodationInputSerializer(serializers.Serializer):
    student = SchoolRelatedField(queryset=StudentProfile.objects.select_related("user"))
    extra_minutes = serializers.IntegerField(
        min_value=0, max_value=24 * 60, help_text=_("0 removes the extra time.")
    )


class AccommodationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    student = serializers.UUIDField(source="student_id")
    student_name = serializers.CharField(source="student.user.full_name")
    extra_minutes = serializers.IntegerField()


class ReleaseInputSerializer(serializers.Serializer):
    released = serializers.BooleanField(
        required=False,
        help_text=_(
            "Show (true) or hide (false) the scores; omitted: unchanged, or shown when "
            "`answers` is omitted too."
        ),
    )
    answers = serializers.BooleanField(
        required=False,
        help_text=_(
            "Show (true) or hide (false) the correct answers, explanations and per-question "
            "marks; omitted: unchanged."
        ),
    )


# --- attempts ------------------------------------------------------------------------------------
class AttemptSerializer(serializers.Serializer):
    """An attempt; its score only where results may be shown to the caller (`results_visible`)."""

    id = serializers.UUIDField()
    quiz = serializers.UUIDField(source="quiz_id")
    quiz_title = serializers.CharField(source="quiz.title")
    student = serializers.UUIDField(source="student_id")
    student_name = serializers.CharField(source="student.user.full_name")
    number = serializers.IntegerField()
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    auto_submitted = serializers.BooleanField()
    results_visible = serializers.SerializerMethodField()
    score = serializers.SerializerMethodField()
    max_score = serializers.SerializerMethodField()
    percent = serializers.SerializerMethodField()
    passed = serializers.SerializerMethodField()
    score_override = serializers.SerializerMethodField()
    override_reason = serializers.SerializerMethodField()

    def _visible(self, attempt) -> bool:
        if not attempt.is_submitted:
            return False
        return bool(self.context.get("staff_view")) or attempt.quiz.results_visible()

    @extend_schema_field(serializers.BooleanField())
    def get_results_visible(self, attempt) -> bool:
        return self._visible(attempt)

    @extend_schema_field(serializers.DecimalField(allow_null=True, **MARKS))
    def get_score(self, attempt):
        return None if not self._visible(attempt) else str(attempt.final_score)

    @extend_schema_field(serializers.DecimalField(allow_null=True, **MARKS))
    def get_max_score(self, attempt):
        return None if not self._visible(attempt) else str(attempt.max_score)

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_percent(self, attempt):
        if not self._visible(attempt) or not attempt.max_score:
            return None
        return round(float(attempt.final_score) / float(attempt.max_score) * 100, 2)

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_passed(self, attempt):
        percent = self.get_percent(attempt)
        if percent is None or attempt.quiz.pass_mark is None:
            return None
        return percent >= float(attempt.quiz.pass_mark)

    @extend_schema_field(serializers.DecimalField(allow_null=True, **MARKS))
    def get_score_override(self, attempt):
        if not self._visible(attempt) or attempt.score_override is None:
            return None
        return str(attempt.score_override)

    @extend_schema_field(serializers.CharField())
    def get_override_reason(self, attempt) -> str:
        return attempt.override_reason if self._visible(attempt) else ""


class PaperItemSerializer(serializers.Serializer):
    id = serializers.CharField()
    text = serializers.CharField()


class PaperContentSerializer(serializers.Serializer):
    """A question as a student sees it (`question_types.paper`): never its answer."""

    id = serializers.CharField()
    type = serializers.ChoiceField(choices=qt.TYPES)
    question_text = serializers.CharField()
    marks = serializers.FloatField()
    media_urls = serializers.ListField(child=serializers.CharField())
    options = PaperItemSerializer(many=True, required=False, help_text="single, multiple")
    left = PaperItemSerializer(many=True, required=False, help_text="matching: items to pair")
    right = PaperItemSerializer(many=True, required=False, help_text="matching: their partners")


@extend_schema_field(PaperContentSerializer)
class PaperContentField(serializers.DictField):
    """The paper's question as stored on the attempt (the shape of `PaperContentSerializer`)."""


class PaperQuestionSerializer(serializers.Serializer):
    question = serializers.CharField()
    position = serializers.IntegerField()
    marks = serializers.DecimalField(**MARKS)
    content = PaperContentField(
        help_text=_("The question as question_types.paper shows it: no answer, no explanation.")
    )


class ReviewSerializer(serializers.Serializer):
    question = serializers.CharField()
    answer = serializers.JSONField(allow_null=True)
    credit = serializers.FloatField(allow_null=True)
    marks_awarded = serializers.DecimalField(allow_null=True, **MARKS)
    is_correct = serializers.BooleanField(allow_null=True)
    correct_answer = serializers.JSONField(allow_null=True)
    explanation = serializers.CharField(allow_null=True)


class AttemptDetailSerializer(AttemptSerializer):
    """An attempt with its paper, the answers saved so far (pending autosaves included) and,
    once the correct answers may be shown (`answers_visible`), the per-question review."""

    answers_visible = serializers.BooleanField(
        help_text=_(
            "Whether `review` (correct answers, explanations, per-question marks) is shown: "
            "always to staff; to students and parents once the quiz's answers policy allows "
            "and no attempt of the quiz can still run."
        )
    )
    paper = PaperQuestionSerializer(many=True)
    answers = serializers.DictField(
        child=serializers.JSONField(allow_null=True), help_text=_("Question id -> saved answer.")
    )
    review = ReviewSerializer(
        many=True, allow_null=True, help_text=_("null until `answers_visible`.")
    )


class AnswerEntrySerializer(serializers.Serializer):
    question = serializers.CharField(max_length=64)
    answer = serializers.JSONField(allow_null=True)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if isinstance(data, dict) and "answer" not in data:
            raise serializers.ValidationError({"answer": [_("This field is required.")]})
        return value


class AnswersInputSerializer(serializers.Serializer):
    answers = AnswerEntrySerializer(many=True, allow_empty=False, max_length=500)


class SavedAnswersSerializer(serializers.Serializer):
    attempt = serializers.UUIDField()
    deadline = serializers.DateTimeField()
    answers = serializers.DictField(child=serializers.JSONField(allow_null=True))


_DEADLINE = serializers.DateTimeField()


def saved_answers_data(attempt, saved: list[dict]) -> dict:
    """`SavedAnswersSerializer`'s data for an autosave's answer, built directly: it answers
    every save, and DRF's fields would be copied and walked each time. The tests compare both."""
    return {
        "attempt": str(attempt.pk),
        "deadline": _DEADLINE.to_representation(attempt.deadline),
        "answers": {a["question_id"]: a["answer"] for a in saved},
    }


class OverrideInputSerializer(serializers.Serializer):
    score = serializers.DecimalField(
        allow_null=True, min_value=0, help_text=_("null removes the override."), **MARKS
    )
    reason = serializers.CharField(max_length=500)


# --- results and analytics -----------------------------------------------------------------------
class ResultRowSerializer(serializers.Serializer):
    student = serializers.UUIDField()
    name = serializers.CharField()
    section = serializers.CharField()
    roll_number = serializers.IntegerField()
    attempts = serializers.IntegerField()
    submitted = serializers.IntegerField()
    score = serializers.DecimalField(allow_null=True, **MARKS)
    max_score = serializers.DecimalField(allow_null=True, **MARKS)
    percent = serializers.FloatField(allow_null=True)
    passed = serializers.BooleanField(allow_null=True)


class ResultsSerializer(serializers.Serializer):
    quiz = serializers.UUIDField()
    title = serializers.CharField()
    grading_rule = serializers.CharField()
    pass_mark = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    rows = ResultRowSerializer(many=True)


class BucketSerializer(serializers.Serializer):
    from_ = serializers.IntegerField()
    to = serializers.IntegerField()
    count = serializers.IntegerField()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class QuestionAnalyticsSerializer(serializers.Serializer):
    question = serializers.CharField()
    position = serializers.IntegerField()
    marks = serializers.DecimalField(**MARKS)
    seen = serializers.IntegerField(help_text=_("Counted attempts whose paper had it."))
    answered = serializers.IntegerField()
    facility = serializers.FloatField(allow_null=True, help_text=_("Mean credit, 0..1."))
    discrimination = serializers.FloatField(
        allow_null=True, help_text=_("Mean credit of the top 27% minus the bottom 27%.")
    )
    option_counts = serializers.DictField(child=serializers.IntegerField())


class AnalyticsSerializer(serializers.Serializer):
    attempts = serializers.IntegerField()
    mean_percent = serializers.FloatField(allow_null=True)
    distribution = BucketSerializer(many=True)
    questions = QuestionAnalyticsSerializer(many=True)
