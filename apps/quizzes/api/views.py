"""Quizzes API: quizzes (drafts, publish, close, release, extra time, results, analytics) and
attempts (start, paper, autosave, submit, override).

Who may call what is in each view's `roles`; which quizzes and attempts a caller finds is decided
by `apps.core.access` (rules in `apps.quizzes.scopes`): another school's, another class's or
another child's quiz or attempt is a 404. Writes go through `apps.quizzes.services`; reads of
papers, answers, results and analytics through `apps.quizzes.selectors`.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from apps.accounts.models import Role
from apps.core import csv_export
from apps.core.access import is_platform_superuser
from apps.core.api.views import ScopedViewSetMixin
from apps.core.compiled import compiles_for
from apps.core.pagination import asks_only_for_a_page

from .. import scopes, selectors, services
from ..models import Attempt, Quiz
from . import serializers as s
from .filters import AttemptFilter, QuizFilter

A, T, ST, P, SF = Role.ADMIN, Role.TEACHER, Role.STUDENT, Role.PARENT, Role.STAFF
AUTHORS = {A, T}


class ResultsCSVRenderer(BaseRenderer):
    """A quiz's results table as CSV (`?format=csv` or Accept: text/csv)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        out = io.StringIO()
        writer = csv_export.writer(out)
        if not isinstance(data, dict) or "rows" not in data:
            error = (data or {}).get("error", {}) if isinstance(data, dict) else {}
            writer.writerow([_("Error"), error.get("message", "")])
            return out.getvalue().encode(self.charset)
        writer.writerow([data["title"]])
        writer.writerow(
            [_("Section"), _("Roll number"), _("Student"), _("Attempts"), _("Submitted")]
            + [_("Score"), _("Maximum"), _("Percent"), _("Passed")]
        )
        for row in data["rows"]:
            writer.writerow(
                [row["section"], row["roll_number"], row["name"], row["attempts"]]
                + [row["submitted"], row["score"] or "", row["max_score"] or ""]
                + ["" if row["percent"] is None else row["percent"]]
                + ["" if row["passed"] is None else (_("yes") if row["passed"] else _("no"))]
            )
        return out.getvalue().encode(self.charset)


def _staff_view(user) -> bool:
    """Admins, teachers and staff see how questions are chosen and every score."""
    return is_platform_superuser(user) or user.role in (A, T, SF)


MANAGERS = (
    "Roles: school admin, the quiz's author, or a teacher of its subject in every one of its "
    "sections; another teacher who sees the quiz (a colleague teaching another subject in one "
    "of its sections) gets 403 `not_quiz_manager`."
)
READ = (
    "Roles: school admin (whole school), teacher (quizzes they made or set for a section they "
    "teach), student (published quizzes of their section), parent (their children's), staff "
    "with the view permission. Students and parents do not see the question list or pool."
)


@extend_schema_view(
    list=extend_schema(
        description=READ + " A list shows each quiz's summary; its detail has the rest.",
        responses=s.QuizSummarySerializer(many=True),
    ),
    retrieve=extend_schema(description=READ),
)
@extend_schema(tags=["quizzes"])
class QuizViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = s.QuizSerializer
    permission_model = Quiz
    filterset_class = QuizFilter
    search_fields = ["title"]
    ordering_fields = ["opens_at", "closes_at", "title", "created_at"]
    ordering = ["-opens_at", "title"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    roles = {
        "list": {A, T, ST, P, SF},
        "retrieve": {A, T, ST, P, SF},
        "create": AUTHORS,
        "partial_update": AUTHORS,
        "destroy": AUTHORS,
        "publish": AUTHORS,
        "close": AUTHORS,
        "release": AUTHORS,
        "accommodations": AUTHORS,
        "start": {ST},
        "results": {A, T, ST, P},
        "analytics": AUTHORS,
    }

    def base_queryset(self):
        if self.action == "start":
            return selectors.quiz_to_start_queryset()
        if self.action == "list":
            return selectors.quiz_list_queryset()
        return selectors.quiz_queryset()

    def get_serializer_class(self):
        return s.QuizSummarySerializer if self.action == "list" else s.QuizSerializer

    def list(self, request, *args, **kwargs):
        # Asked with no filter, search or ordering, a list is read through SQL compiled once
        # per role (`selectors.quiz_summary_page`); the answer is the same (tests compare both).
        if not (asks_only_for_a_page(request) and compiles_for(request.user)):
            return super().list(request, *args, **kwargs)
        page = self.paginate_queryset(selectors.quiz_summary_page(request.user))
        rows = selectors.with_sections(page)
        return self.get_paginated_response(s.QuizSummaryRowSerializer(rows, many=True).data)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "staff_view": _staff_view(self.request.user)}

    def _managed_object(self) -> Quiz:
        """The quiz, if the caller may manage it (before any input is validated)."""
        quiz = self.get_object()
        services.check_manager(self.request.user, quiz)
        return quiz

    def _out(self, quiz: Quiz, code: int = status.HTTP_200_OK) -> Response:
        quiz = selectors.quiz_queryset().get(pk=quiz.pk)
        return Response(s.QuizSerializer(quiz, context=self.get_serializer_context()).data, code)

    @extend_schema(
        request=s.QuizInputSerializer,
        responses={201: s.QuizSerializer},
        description="Roles: school admin (any subject and section of the school), teacher (a "
        "subject they teach in every section named). Makes a draft. `selection` 'fixed' takes "
        "`questions` ([{question, marks}] in order); 'random' draws `draw_count` questions per "
        "attempt (each worth `draw_marks`) from the bank questions matching `pool_filter`. "
        "`release_policy` says when students and parents see the score, `answers_policy` when "
        "they see the correct answers, explanations and per-question marks (never while an "
        "attempt of the quiz can still run).",
    )
    def create(self, request):
        data = s.QuizInputSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        sections = values.pop("sections")
        quiz = services.quiz_create(
            actor=request.user,
            school=request.user.school or values["subject"].school,
            sections=sections,
            **values,
        )
        return self._out(quiz, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.QuizInputSerializer(partial=True),
        responses=s.QuizSerializer,
        description="Roles: school admin, teacher (of the subject in every section). A draft "
        "changes freely; a published quiz only its title, instructions, closing time (to a "
        "later time; 409 `answers_shown` once students can see the correct answers), "
        "`release_policy` and `answers_policy`. Only a quiz manager (see publish).",
    )
    def partial_update(self, request, pk=None):
        quiz = self.get_object()
        data = s.QuizInputSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        sections = values.pop("sections", None)
        quiz = services.quiz_update(actor=request.user, quiz=quiz, sections=sections, **values)
        return self._out(quiz)

    @extend_schema(
        responses={204: None},
        description="Roles: school admin, teacher (of the subject). Only drafts are deleted.",
    )
    def destroy(self, request, pk=None):
        services.quiz_delete(actor=request.user, quiz=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses=s.QuizSerializer,
        description=MANAGERS + " Publishes a draft: it needs a section, a closing time in the "
        "future and at least one question "
        "(a random draw: a pool at least as big as the draw). Every question it may use is "
        "frozen (document, version, marks), so later bank edits never change grading. 503 if "
        "the question bank is down.",
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._out(services.quiz_publish(actor=request.user, quiz=self._managed_object()))

    @extend_schema(
        request=None,
        responses=s.QuizSerializer,
        description=MANAGERS + " Closes a published quiz now (no new attempts; attempts in "
        "progress keep their deadline). Audit-logged.",
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._out(services.quiz_close(actor=request.user, quiz=self._managed_object()))

    @extend_schema(
        request=s.ReleaseInputSerializer,
        responses={
            200: s.QuizSerializer,
            400: OpenApiResponse(
                description="`answers_never_shown`: the answers policy is 'never'; "
                "`not_published`: a draft."
            ),
            403: OpenApiResponse(description="`not_quiz_manager`."),
            409: OpenApiResponse(
                description="`attempts_running`: an attempt can still run (closing time plus "
                "the largest extra time, or a later deadline of an attempt in progress)."
            ),
        },
        description=MANAGERS + " Shows students and parents the scores (`released`) and, "
        "separately, the correct answers with explanations and per-question marks "
        "(`answers`); `false` hides either again, an omitted one stays as it is (an empty body "
        "releases the scores). Correct answers are released only once no attempt can still "
        "run (409 `attempts_running` before). Audit-logged.",
    )
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        quiz = self._managed_object()
        data = s.ReleaseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        quiz = services.quiz_release_results(
            actor=request.user,
            quiz=quiz,
            released=values.get("released", None if "answers" in values else True),
            answers=values.get("answers"),
        )
        return self._out(quiz)

    @extend_schema(
        methods=["GET"],
        responses=s.AccommodationSerializer(many=True),
        description="Roles: school admin, teacher. Students with extra time in this quiz.",
    )
    @extend_schema(
        methods=["POST"],
        request=s.AccommodationInputSerializer,
        responses=s.AccommodationSerializer(many=True),
        description=MANAGERS + " Sets a student's extra minutes (0 removes them); the student "
        "must be in one of the quiz's sections. Applies to attempts started afterwards: "
        "deadline = min(start + duration + extra, closes_at + extra). Audit-logged.",
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)  # one list, no pages
    def accommodations(self, request, pk=None):
        quiz = self._managed_object() if request.method == "POST" else self.get_object()
        if request.method == "POST":
            data = s.AccommodationInputSerializer(
                data=request.data, context=self.get_serializer_context()
            )
            data.is_valid(raise_exception=True)
            services.accommodation_set(actor=request.user, quiz=quiz, **data.validated_data)
        rows = quiz.accommodations.select_related("student__user").order_by(
            "student__user__full_name"
        )
        return Response(s.AccommodationSerializer(rows, many=True).data)

    @extend_schema(
        request=None,
        responses={201: s.AttemptDetailSerializer, 200: s.AttemptDetailSerializer},
        description="Roles: student (enrolled in one of the quiz's sections). Starts the next "
        "attempt (201) while the quiz is open and attempts remain, or resumes the one in "
        "progress (200). The server fixes the deadline: min(now + duration + extra, closes_at "
        "+ extra). Returns the paper (in this attempt's order, options shuffled as set) and "
        "no answers.",
    )
    @action(detail=True, methods=["post"], url_path="attempts")
    def start(self, request, pk=None):
        started = services.attempt_start(actor=request.user, quiz=self.get_object())
        context = self.get_serializer_context()
        if started.created:  # the paper from the questions in hand; nothing saved yet
            return Response(
                _attempt_detail(started.attempt, context, frozen=started.frozen),
                status.HTTP_201_CREATED,
            )
        return Response(_attempt_detail(started.attempt, context))

    @extend_schema(
        responses={
            200: OpenApiResponse(s.ResultsSerializer, description="JSON, or CSV with ?format=csv")
        },
        description="Roles: school admin and teacher (every student of the quiz's sections), "
        "parent (their children) and student (themself) once results are released by the "
        "quiz's policy (an empty table before). One row per student: attempts, the score by "
        "the grading rule (highest, last, average), percentage and pass. `?format=csv` "
        "downloads it.",
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, ResultsCSVRenderer])
    def results(self, request, pk=None, format=None):
        quiz = self.get_object()
        rows = selectors.quiz_results(quiz, scopes.result_student_ids(request.user, quiz))
        data = s.ResultsSerializer(
            {
                "quiz": quiz.pk,
                "title": quiz.title,
                "grading_rule": quiz.grading_rule,
                "pass_mark": quiz.pass_mark,
                "rows": rows,
            }
        ).data
        response = Response(data)
        if request.accepted_renderer.format == "csv":
            response["Content-Disposition"] = f'attachment; filename="quiz-{quiz.pk}-results.csv"'
        return response

    @extend_schema(
        responses=s.AnalyticsSerializer,
        description="Roles: school admin, teacher. Score distribution (10% buckets) and per "
        "question: facility index (mean credit), discrimination index (mean credit of the top "
        "27% of students by score minus the bottom 27%) and option choice counts. One attempt "
        "per student counts: the best under 'highest', else the last submitted.",
    )
    @action(detail=True, methods=["get"])
    def analytics(self, request, pk=None):
        return Response(s.AnalyticsSerializer(selectors.quiz_analytics(self.get_object())).data)


def _attempt_detail(attempt: Attempt, context: dict, *, frozen: dict | None = None) -> dict:
    """An attempt with its paper and saved answers; the per-question review (correct answers,
    explanations, marks) only for staff, or once `selectors.answers_visible` (the score follows
    the quiz's `release_policy` in `AttemptSerializer`). `frozen`: a new attempt's questions
    (`services.Started`), which has no answers yet; otherwise `selectors.attempt_sheet` reads
    questions and answers in one query."""
    if frozen is not None:
        sheet, answers = frozen, {}
    else:
        rows = selectors.attempt_sheet(attempt)
        sheet = {row["question_id"]: row for row in rows}
        answers = {row["question_id"]: row["answer"] for row in rows if row["ts"] is not None}
    shown = attempt.is_submitted and (
        bool(context.get("staff_view")) or selectors.answers_visible(attempt.quiz)
    )
    review = selectors.answer_review(list(sheet.values())) if shown else None
    return {
        **s.AttemptSerializer(attempt, context=context).data,
        "answers_visible": shown,
        "paper": s.PaperQuestionSerializer(selectors.attempt_paper(attempt, sheet), many=True).data,
        "answers": answers,
        "review": None if review is None else s.ReviewSerializer(review, many=True).data,
    }


ATTEMPT_READ = (
    "Roles: school admin, teacher (attempts at quizzes they may see), student (their own), "
    "parent (their children's). Students and parents see the score once the quiz's "
    "`release_policy` allows, and the review (correct answers, explanations, per-question "
    "marks) once its `answers_policy` allows and no attempt of the quiz can still run."
)


@extend_schema_view(
    list=extend_schema(description=ATTEMPT_READ),
)
@extend_schema(tags=["quizzes"])
class AttemptViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = s.AttemptSerializer
    permission_model = Attempt
    filterset_class = AttemptFilter
    search_fields: list[str] = []
    ordering_fields = ["started_at", "submitted_at", "number"]
    ordering = ["-started_at"]
    http_method_names = ["get", "post", "put", "head", "options"]
    roles = {
        "list": {A, T, ST, P},
        "retrieve": {A, T, ST, P},
        "answers": {ST},
        "submit": {ST},
        "override": AUTHORS,
    }

    def base_queryset(self):
        if self.action == "answers":
            return Attempt.objects.all()  # the service adds its lock and joins
        if self.action in ("retrieve", "submit"):
            return selectors.attempt_detail_queryset()
        return selectors.attempt_queryset()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "staff_view": _staff_view(self.request.user)}

    @extend_schema(
        responses=s.AttemptDetailSerializer,
        description=ATTEMPT_READ + " The paper (in this attempt's order, never answers or "
        "explanations) and the answers saved so far, autosaves not yet flushed included. An "
        "attempt past its deadline is submitted on this read (503 `answers_unavailable`, the "
        "attempt left open, when its saved answers cannot be read).",
    )
    def retrieve(self, request, pk=None):
        attempt = self.get_object()
        refreshed = services.attempt_refresh(attempt)
        if refreshed is not attempt:  # submitted on this read: show it as it is now
            attempt = selectors.attempt_detail_queryset().get(pk=attempt.pk)
        return Response(_attempt_detail(attempt, self.get_serializer_context()))

    @extend_schema(
        request=s.AnswersInputSerializer,
        responses=s.SavedAnswersSerializer,
        description="Roles: student (their own attempt). Autosaves one or many answers "
        '(`{"answers": [{"question": id, "answer": ...}]}`; null clears one); the last save '
        "per question wins. 400: a question not on this paper or listed twice, an answer of "
        "the wrong shape for the question's type or text PostgreSQL cannot store (a NUL "
        "character, a lone surrogate, a number beyond 64 bits) - per-answer field errors - or "
        "an attempt submitted or past its deadline (which is then submitted with the answers "
        "saved before). Returns every saved answer.",
    )
    @action(detail=True, methods=["put"])
    def answers(self, request, pk=None):
        data = s.AnswersInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The service finds the attempt among the caller's (a 404 otherwise) in one query and
        # puts the answers unless a submit closed them (no lock on the way).
        attempt = services.attempt_save_answers(
            actor=request.user,
            attempt_id=pk,
            answers=data.validated_data["answers"],
        )
        saved = selectors.saved_answers(attempt, pending=getattr(attempt, "pending_answers", None))
        return Response(s.saved_answers_data(attempt, saved))

    @extend_schema(
        request=None,
        responses={
            200: s.AttemptDetailSerializer,
            503: OpenApiResponse(
                description="`answers_unavailable`: the saved answers cannot be read now; the "
                "attempt stays in progress and nothing is graded."
            ),
        },
        description="Roles: student (their own attempt). Submits and grades at once (answers "
        "saved so far, autosaves not yet flushed included): credit x marks per question, "
        "negative marking for wrong answers, the total never below 0. Submitting again "
        "changes nothing. The score shows as `release_policy` allows, the review as "
        "`answers_policy` allows. 503 `answers_unavailable` (the attempt stays in progress, "
        "nothing graded) when the saved answers cannot be read; try again.",
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        attempt = services.attempt_submit(attempt=self.get_object(), actor=request.user)
        attempt = selectors.attempt_detail_queryset().get(pk=attempt.pk)
        return Response(_attempt_detail(attempt, self.get_serializer_context()))

    @extend_schema(
        request=s.OverrideInputSerializer,
        responses=s.AttemptSerializer,
        description=MANAGERS + " Replaces a submitted attempt's score (0..maximum; null removes "
        "the override) with a reason. Audit-logged.",
    )
    @action(detail=True, methods=["post"])
    def override(self, request, pk=None):
        attempt = self.get_object()
        services.check_manager(request.user, attempt.quiz)
        data = s.OverrideInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attempt = services.attempt_override(
            actor=request.user,
            attempt=attempt,
            score=data.validated_data["score"],
            reason=data.validated_data["reason"],
        )
        attempt = selectors.attempt_queryset().get(pk=attempt.pk)
        return Response(s.AttemptSerializer(attempt, context=self.get_serializer_context()).data)
