"""Reads of quizzes and attempts: querysets with their joins, an attempt's paper and saved
answers (pending autosaves laid over Postgres), results tables and item analytics.

Papers, answers and grading read the questions frozen at publishing (`QuizQuestion`), never the
bank. Who may see what is decided by the caller with `apps.core.access`.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import (
    Aggregate,
    F,
    JSONField,
    Max,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from apps.academics.models import Enrollment, Section, section_display_name
from apps.core import buffer
from apps.core.access import scope_queryset
from apps.core.compiled import CompiledQuery, Page

from .buffer_kinds import KIND
from .models import (
    AnswersPolicy,
    Attempt,
    AttemptAnswer,
    AttemptStatus,
    GradingRule,
    Quiz,
    QuizAccommodation,
    QuizQuestion,
    QuizStatus,
)
from .services import bank

UPPER_LOWER_SHARE = 0.27
DISTRIBUTION_BUCKETS = 10


def quiz_queryset() -> QuerySet[Quiz]:
    return Quiz.objects.select_related("subject", "created_by").prefetch_related(
        Prefetch("sections", queryset=Section.objects.select_related("school_class"))
    )


def quiz_list_queryset() -> QuerySet[Quiz]:
    """Quizzes as a list shows them (`QuizSummarySerializer`): subject and sections joined."""
    return Quiz.objects.select_related("subject").prefetch_related(
        Prefetch("sections", queryset=Section.objects.select_related("school_class"))
    )


# --- a list's summaries, compiled once per role (the hot path of a student's quizzes) -----------
SUMMARY_FIELDS = (
    "id",
    "title",
    "subject_id",
    "status",
    "opens_at",
    "closes_at",
    "duration_minutes",
    "attempts_allowed",
    "selection",
    "draw_count",
    "questions",
    "results_released",
    "release_policy",
    "published_at",
)
LIST_ORDER = ("-opens_at", "title")

_summary_rows = CompiledQuery(
    lambda user: (
        scope_queryset(Quiz.objects.all(), user)
        .order_by(*LIST_ORDER)
        .values(*SUMMARY_FIELDS, subject_name=F("subject__name"))
    )
)
_summary_sections = CompiledQuery(
    lambda quiz_ids: (
        Quiz.sections.through.objects.filter(quiz_id__in=quiz_ids)
        .order_by("section__school_class__order", "section__school_class__name", "section__name")
        .values(
            "quiz_id",
            "section_id",
            section_name=F("section__name"),
            class_name=F("section__school_class__name"),
            class_short_name=F("section__school_class__short_name"),
        )
    )
)


def quiz_summary_page(user) -> Page:
    """The quizzes `user` sees, as a list orders them (newest opening first), as rows for
    `with_sections` and `QuizSummaryRowSerializer`; paged by LIMIT/OFFSET."""
    return Page(_summary_rows, user)


def with_sections(rows: list[dict]) -> list[dict]:
    """`rows` with `sections` ([{id, display_name}], in the sections' order): one query."""
    if not rows:
        return rows
    by_quiz: dict = defaultdict(list)
    for link in _summary_sections.rows(quiz_ids=sorted(row["id"] for row in rows)):
        name = section_display_name(
            link["class_name"], link["class_short_name"], link["section_name"]
        )
        by_quiz[link["quiz_id"]].append({"id": link["section_id"], "display_name": name})
    for row in rows:
        row["sections"] = by_quiz[row["id"]]
    return rows


def quiz_to_start_queryset() -> QuerySet[Quiz]:
    """Quizzes as starting an attempt reads them: the row alone, with `frozen_ids` (the ids of
    its frozen questions in position order), so a start reads the documents of its own paper
    only, never a random draw's whole pool."""
    return Quiz.objects.annotate(
        frozen_ids=Subquery(
            QuizQuestion.objects.filter(quiz_id=OuterRef("pk"))
            .order_by()
            .values("quiz_id")
            .annotate(ids=ArrayAgg("question_id", order_by="position"))
            .values("ids")
        )
    )


def attempt_queryset() -> QuerySet[Attempt]:
    return Attempt.objects.select_related("quiz__subject", "student__user", "overridden_by")


def attempt_detail_queryset() -> QuerySet[Attempt]:
    """Attempts with what their detail shows (quiz, student's name), nothing more."""
    return Attempt.objects.select_related("quiz", "student__user")


# --- papers ------------------------------------------------------------------------------------
def option_rng(seed: int, question_id: str) -> random.Random:
    """The rng that orders one question's options (and a matching question's right-hand items)
    in one attempt: seeded, so every reload shows the same order."""
    return random.Random(f"{seed}:{question_id}")  # noqa: S311 - shuffling, not security


def shown(quiz: Quiz, seed: int, question_id: str, document: dict, marks) -> dict[str, Any]:
    """`question_types.paper` of a frozen question in one attempt: options shuffled when the
    quiz or the question asks for it, the quiz's marks for the question."""
    if quiz.shuffle_options and not document.get("shuffle_options"):
        document = {**document, "shuffle_options": True}
    content = bank.paper(document, option_rng(seed, question_id))
    content["marks"] = None if marks is None else float(marks)
    return content


def option_orders(
    quiz: Quiz, seed: int, order: Iterable[str], documents: dict[str, dict]
) -> dict[str, list[str]]:
    """Per question with options (or matching items), the ids in the order this attempt shows
    them: stored on the attempt so the order is on record, not only reproducible. `documents`:
    the frozen documents by question id (`frozen_questions`)."""
    out: dict[str, list[str]] = {}
    for qid in order:
        content = shown(quiz, seed, qid, documents[qid], None)
        items = content.get("options") or content.get("right") or []
        if items:
            out[qid] = [str(item.get("id")) for item in items if isinstance(item, dict)]
    return out


class _JSONBObjectAgg(Aggregate):
    function = "JSONB_OBJECT_AGG"
    output_field = JSONField()


def frozen_documents_of(quiz_id, question_ids: Iterable[str]) -> Subquery:
    """{question id: document} of the named frozen questions of `quiz_id` (an `OuterRef`) as a
    subquery, to annotate a row already being read (the autosave's locked attempt) instead of
    a second query."""
    return Subquery(
        QuizQuestion.objects.filter(quiz_id=quiz_id, question_id__in=list(question_ids))
        .order_by()
        .values("quiz_id")
        .annotate(documents=_JSONBObjectAgg("question_id", "document"))
        .values("documents")
    )


def frozen_questions(quiz_id, question_ids: Iterable[str]) -> dict[str, dict]:
    """Question id -> {"document", "marks"} of the named frozen questions. One query."""
    rows = QuizQuestion.objects.filter(quiz_id=quiz_id, question_id__in=list(question_ids))
    rows = rows.order_by()  # the default ordering would join the quiz
    return {row["question_id"]: row for row in rows.values("question_id", "document", "marks")}


ANSWER_COLUMNS = ("answer", "ts", "credit", "marks_awarded", "is_correct")


def attempt_sheet(attempt: Attempt) -> list[dict[str, Any]]:
    """Per question on the attempt's paper, in its order: the frozen document and marks with
    the answer saved so far (`ts` None: none saved) and, once graded, its credit, marks awarded
    and correctness. An attempt in progress has its pending autosaves laid over (Redis read
    first, as `saved_answers`). One query: the answer columns are subqueries on the
    (attempt, question) unique index, so the cost does not grow with the answers saved."""
    # order_by(): the models' default orderings would join the attempt and quiz tables.
    answer = AttemptAnswer.objects.filter(
        attempt_id=attempt.pk, question_id=OuterRef("question_id")
    ).order_by()
    columns = {name: Subquery(answer.values(name)[:1]) for name in ANSWER_COLUMNS}
    query = (
        QuizQuestion.objects.filter(quiz_id=attempt.quiz_id, question_id__in=attempt.question_order)
        .order_by()
        .values("question_id", "document", "marks")
        .annotate(**columns)
    )
    attempt_id = str(attempt.pk)

    def rows() -> list[dict]:
        return [{**row, "attempt_id": attempt_id} for row in query]

    if attempt.status == AttemptStatus.SUBMITTED:
        held = rows()  # graded rows are final; pending copies are replays
    else:
        held = buffer.overlay(KIND, rows, attempt_id=attempt_id)
    by_id = {row["question_id"]: row for row in held}
    return [by_id[qid] for qid in attempt.question_order if qid in by_id]


def attempt_paper(attempt: Attempt, frozen: dict[str, dict]) -> list[dict[str, Any]]:
    """The attempt's questions in its order, as `question_types.paper` shows them (no answers,
    no explanations), each with its position and marks; `frozen`: question id ->
    {"document", "marks"} (`frozen_questions` or `attempt_sheet` rows). No query."""
    quiz = attempt.quiz
    out = []
    for position, qid in enumerate(attempt.question_order, start=1):
        document, marks = frozen[qid]["document"], frozen[qid]["marks"]
        out.append(
            {
                "question": qid,
                "position": position,
                "marks": marks,
                "content": shown(quiz, attempt.seed, qid, document, marks),
            }
        )
    return out


# An attempt's answers, read after every autosave: compiled once.
_answers_of = CompiledQuery(
    lambda attempt_id: (
        AttemptAnswer.objects.filter(attempt_id=attempt_id)
        .order_by("question_id")  # not the default, which joins the attempt
        .values(
            "attempt_id", "question_id", "answer", "ts", "credit", "marks_awarded", "is_correct"
        )
    )
)


def _answer_rows(attempt: Attempt) -> list[dict]:
    out = []
    for row in _answers_of.rows(attempt_id=attempt.pk):
        row["attempt_id"] = str(row["attempt_id"])
        row["pending"] = False
        out.append(row)
    return out


def saved_answers(
    attempt: Attempt, *, strict: bool = False, pending: list[dict] | None = None
) -> list[dict]:
    """The attempt's answers: what Postgres holds with its pending autosaves laid over
    (read-your-writes before any flush). Redis is read first, then one query. `strict`: raise
    `buffer.BufferReadError` when the pending autosaves cannot be read (grading must not go on
    without them) instead of showing what Postgres holds. `pending`: the pending autosaves
    already read (an autosave reads them back in its put's round trip)."""
    if attempt.status == AttemptStatus.SUBMITTED:
        return _answer_rows(attempt)  # graded rows are final; pending copies are replays
    return buffer.overlay(
        KIND,
        lambda: _answer_rows(attempt),
        strict=strict,
        pending_records=pending,
        attempt_id=str(attempt.pk),
    )


# --- what students see after an attempt -------------------------------------------------------
def deadline_grace() -> dt.timedelta:
    """Autosaves arriving this long after the deadline still count (network latency)."""
    return dt.timedelta(seconds=int(settings.QUIZ_DEADLINE_GRACE_SECONDS))


def attempts_run_until(quiz: Quiz) -> dt.datetime | None:
    """Until when an attempt at `quiz` may still be running (answers still saved): the closing
    time plus the largest extra time of any student (an attempt started just before the close),
    or the latest deadline of an attempt in progress if later (a quiz closed early keeps their
    deadlines), plus the autosave grace. None for a draft (no attempt can run). Two queries."""
    if quiz.status == QuizStatus.DRAFT:
        return None
    figures = Attempt.objects.filter(quiz_id=quiz.pk, status=AttemptStatus.IN_PROGRESS).aggregate(
        latest=Max("deadline")
    )
    extra = QuizAccommodation.objects.filter(quiz_id=quiz.pk).aggregate(most=Max("extra_minutes"))
    end = quiz.closes_at + dt.timedelta(minutes=extra["most"] or 0)
    if figures["latest"] is not None and figures["latest"] > end:
        end = figures["latest"]
    return end + deadline_grace()


def answers_visible(quiz: Quiz, *, now: dt.datetime | None = None) -> bool:
    """May students and parents see correct answers, explanations and per-question marks of
    their submitted attempts at `quiz`?

    Never while any attempt can still run (`attempts_run_until`): a student who still has
    attempts left could otherwise take the next one with the answers in hand, and a classmate
    with extra time could be told them. That also covers every student with attempts left,
    since attempts can only start before the closing time. After that: `after_close` yes,
    `manual` once a teacher released them, `never` no.
    """
    if quiz.answers_policy == AnswersPolicy.NEVER:
        return False
    if quiz.answers_policy == AnswersPolicy.MANUAL and not quiz.answers_released:
        return False
    until = attempts_run_until(quiz)
    return until is not None and (now or timezone.now()) >= until


def answer_review(sheet: list[dict]) -> list[dict]:
    """Per question of a submitted attempt (`attempt_sheet`): the answer given, credit, marks
    awarded, and the frozen question's correct answer and explanation (for whoever may see
    them: staff, and students and parents once `answers_visible`). No query."""
    out = []
    for row in sheet:
        document = row.get("document") or {}
        out.append(
            {
                "question": row["question_id"],
                "answer": row.get("answer"),
                "credit": row.get("credit"),
                "marks_awarded": row.get("marks_awarded"),
                "is_correct": row.get("is_correct"),
                "correct_answer": document.get("correct_answer"),
                "explanation": document.get("explanation"),
            }
        )
    return out


# --- results -----------------------------------------------------------------------------------
def _final(attempt: Attempt) -> Decimal:
    return attempt.final_score if attempt.final_score is not None else Decimal(0)


def counted_score(quiz: Quiz, attempts: list[Attempt]) -> Decimal | None:
    """The student's score by the quiz's grading rule over their submitted attempts."""
    done = [a for a in attempts if a.is_submitted]
    if not done:
        return None
    if quiz.grading_rule == GradingRule.HIGHEST:
        return max(_final(a) for a in done)
    if quiz.grading_rule == GradingRule.LAST:
        return _final(max(done, key=lambda a: a.number))
    return (sum(_final(a) for a in done) / len(done)).quantize(Decimal("0.01"))


def counted_attempt(quiz: Quiz, attempts: list[Attempt]) -> Attempt | None:
    """The one attempt per student item analytics uses: the best under `highest`, else the
    last submitted."""
    done = [a for a in attempts if a.is_submitted]
    if not done:
        return None
    if quiz.grading_rule == GradingRule.HIGHEST:
        return max(done, key=lambda a: (_final(a), -a.number))
    return max(done, key=lambda a: a.number)


def _percent(score: Decimal | None, maximum: Decimal | None) -> float | None:
    if score is None or not maximum:
        return None
    return round(float(score) / float(maximum) * 100, 2)


def quiz_results(quiz: Quiz, student_ids: Iterable | None = None) -> list[dict[str, Any]]:
    """One row per student enrolled in the quiz's sections (optionally only `student_ids`):
    attempts made and submitted, the score by the grading rule, its percentage and pass.
    Two queries."""
    enrollments = Enrollment.objects.filter(
        section_id__in=quiz.sections.values("pk")
    ).select_related("student__user", "section__school_class")
    attempts = Attempt.objects.filter(quiz_id=quiz.pk)
    if student_ids is not None:  # a list or a values() subquery
        enrollments = enrollments.filter(student_id__in=student_ids)
        attempts = attempts.filter(student_id__in=student_ids)
    by_student: dict[Any, list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        by_student[attempt.student_id].append(attempt)
    rows = []
    for enrollment in sorted(enrollments, key=lambda e: (e.section.display_name, e.roll_number)):
        mine = by_student.get(enrollment.student_id, [])
        score = counted_score(quiz, mine)
        maximum = next((a.max_score for a in mine if a.max_score is not None), None)
        percent = _percent(score, maximum)
        rows.append(
            {
                "student": enrollment.student_id,
                "name": enrollment.student.user.full_name,
                "section": enrollment.section.display_name,
                "roll_number": enrollment.roll_number,
                "attempts": len(mine),
                "submitted": sum(1 for a in mine if a.is_submitted),
                "score": score,
                "max_score": maximum,
                "percent": percent,
                "passed": None
                if percent is None or quiz.pass_mark is None
                else percent >= float(quiz.pass_mark),
            }
        )
    return rows


def _discrimination(upper: list[float], lower: list[float]) -> float | None:
    if not upper or not lower:
        return None
    return round(statistics.fmean(upper) - statistics.fmean(lower), 4)


def quiz_analytics(quiz: Quiz) -> dict[str, Any]:
    """Score distribution (ten 10% buckets of the counted attempts) and per question: how many
    answered it, the facility index (mean credit), the discrimination index (mean credit of the
    top 27% of students by score minus that of the bottom 27%) and how often each option was
    chosen. One attempt per student counts (`counted_attempt`). Three queries."""
    by_student: dict[Any, list[Attempt]] = defaultdict(list)
    for attempt in Attempt.objects.filter(quiz_id=quiz.pk, status=AttemptStatus.SUBMITTED):
        by_student[attempt.student_id].append(attempt)
    counted = [a for a in (counted_attempt(quiz, v) for v in by_student.values()) if a]
    counted.sort(key=lambda a: (_final(a), str(a.pk)), reverse=True)

    buckets = [0] * DISTRIBUTION_BUCKETS
    for attempt in counted:
        percent = _percent(_final(attempt), attempt.max_score) or 0.0
        buckets[min(int(percent // (100 / DISTRIBUTION_BUCKETS)), DISTRIBUTION_BUCKETS - 1)] += 1
    distribution = [
        {"from": i * 10, "to": (i + 1) * 10, "count": count} for i, count in enumerate(buckets)
    ]

    group = max(1, round(len(counted) * UPPER_LOWER_SHARE)) if counted else 0
    upper = {a.pk for a in counted[:group]}
    lower = {a.pk for a in counted[-group:]} if group else set()

    answers: dict[str, list[AttemptAnswer]] = defaultdict(list)
    for answer in AttemptAnswer.objects.filter(attempt_id__in=[a.pk for a in counted]):
        answers[answer.question_id].append(answer)

    questions = []
    for frozen in QuizQuestion.objects.filter(quiz_id=quiz.pk).order_by("position"):
        given = answers.get(frozen.question_id, [])
        credits = [a.credit or 0.0 for a in given]
        choices: Counter = Counter()
        for a in given:
            values = a.answer if isinstance(a.answer, list) else [a.answer]
            for value in values:
                if value not in bank.EMPTY_ANSWERS and not isinstance(value, dict):
                    choices[str(value)] += 1
        questions.append(
            {
                "question": frozen.question_id,
                "position": frozen.position,
                "marks": frozen.marks,
                "seen": len(given),
                "answered": sum(1 for a in given if a.answer not in bank.EMPTY_ANSWERS),
                "facility": round(statistics.fmean(credits), 4) if credits else None,
                "discrimination": _discrimination(
                    [a.credit or 0.0 for a in given if a.attempt_id in upper],
                    [a.credit or 0.0 for a in given if a.attempt_id in lower],
                ),
                "option_counts": dict(sorted(choices.items())),
            }
        )
    return {
        "attempts": len(counted),
        "mean_percent": round(
            statistics.fmean(_percent(_final(a), a.max_score) or 0.0 for a in counted), 2
        )
        if counted
        else None,
        "distribution": distribution,
        "questions": questions,
    }
