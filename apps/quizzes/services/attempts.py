"""Writes of attempts: start one, autosave answers (through the write-behind buffer), submit and
grade, submit expired attempts, and a teacher's score override.

Everything here works on the questions frozen at publishing (`QuizQuestion`): no MongoDB.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import secrets
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.academics.models import Enrollment
from apps.accounts.models import Role, StudentProfile
from apps.core import audit, buffer
from apps.core.access import scope_queryset
from apps.core.compiled import CompiledQuery
from apps.core.exceptions import ApplicationError, ServiceUnavailable
from apps.core.services import refuse

from .. import selectors
from ..buffer_kinds import KIND
from ..models import (
    Attempt,
    AttemptAnswer,
    AttemptStatus,
    Quiz,
    QuizAccommodation,
    QuizQuestion,
    QuizStatus,
    Selection,
    answer_id,
)
from . import bank, quizzes

logger = logging.getLogger("schools24.quizzes")
CENT = Decimal("0.01")
MAX_ANSWERS_PER_SAVE = 500


MAX_ANSWER_DEPTH = 20
INT64 = 2**63


def unstorable(value: Any, depth: int = 0) -> str | None:
    """Why PostgreSQL's jsonb (or the write buffer's encoder) would refuse `value`, or None.

    jsonb refuses the NUL character (U+0000) and unpaired UTF-16 surrogates in any string
    (keys included); the buffer's encoder refuses integers beyond 64 bits and non-finite
    numbers (a JSON 1e999 parses as infinity). Checked when answers are saved, so a bad answer
    is a 400 there and never a failure at submit.
    """
    if depth > MAX_ANSWER_DEPTH:
        return _("The answer is nested too deeply.")
    if isinstance(value, str):
        return _unstorable_text(value)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return None if -INT64 <= value < INT64 else _("This number is too large.")
    if isinstance(value, float):
        return None if math.isfinite(value) else _("Numbers must be finite.")
    if isinstance(value, dict):
        children = [child for key, item in value.items() for child in (str(key), item)]
    elif isinstance(value, list | tuple):
        children = value
    else:
        return _("This answer does not fit the question's type.")
    problems = (unstorable(child, depth + 1) for child in children)
    return next((problem for problem in problems if problem), None)


def _unstorable_text(value: str) -> str | None:
    if "\x00" in value:
        return _("Text may not contain the NUL character.")
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        return _("Text must be valid Unicode (it holds a lone surrogate).")
    return None


deadline_grace = selectors.deadline_grace


def is_expired(attempt: Attempt, now: dt.datetime | None = None) -> bool:
    return (now or timezone.now()) > attempt.deadline + deadline_grace()


def _question_order(quiz: Quiz, seed: int, pool: list[str]) -> list[str]:
    """The attempt's questions: the fixed list or a draw of `draw_count` from the pool (the
    frozen question ids in position order), shuffled when the quiz asks for it."""
    import random

    rng = random.Random(seed)  # noqa: S311 - shuffling, not security
    pool = list(pool)
    if quiz.selection == Selection.RANDOM:
        drawn = rng.sample(pool, min(quiz.draw_count or 0, len(pool)))
        if not quiz.shuffle_questions:
            positions = {qid: i for i, qid in enumerate(pool)}
            drawn.sort(key=positions.__getitem__)
        return drawn
    if quiz.shuffle_questions:
        rng.shuffle(pool)
    return pool


@dataclass
class Started:
    """What `attempt_start` hands back: the attempt (its quiz and student's user attached),
    whether it was created, and, for a new attempt, its frozen questions (question id ->
    {"document", "marks"}), so the paper is shown without reading them again."""

    attempt: Attempt
    created: bool
    frozen: dict[str, dict] | None = None


def attempt_start(*, actor, quiz: Quiz) -> Started:
    """Start the actor's (a student's) next attempt at `quiz`, or resume the one in progress.

    Rules: the quiz is published and open now; the student is enrolled (current year) in one of
    its sections; the attempts made stay within `attempts_allowed` (an expired attempt in
    progress is submitted first and counts). Two parallel starts by one student are serialised
    by a lock on their profile row (taken FOR NO KEY UPDATE, so rows that merely reference the
    student are not held up), and the (quiz, student, number) constraint is the backstop. The
    deadline is ``min(now + duration + extra, closes_at + extra)``, extra being the student's
    accommodation.

    `quiz` is taken as the caller read it (status, times, settings: pass a fresh instance) and
    may carry `frozen_ids` (`selectors.quiz_to_start_queryset`); otherwise they are read.
    Queries: the lock (with enrolment and extra time), the student's attempts at the quiz, the
    paper's frozen questions and the insert, whatever the number of questions.
    """
    if actor.role != Role.STUDENT:
        raise refuse(_("Only students take quizzes."), code="not_allowed", status_code=403)
    while True:
        try:
            with transaction.atomic():
                outcome = _start(actor, quiz)
        except IntegrityError:  # the constraint caught a race the lock did not
            raise refuse(
                _("Another attempt was started at the same time; reload."),
                code="attempt_conflict",
                status_code=409,
            ) from None
        if isinstance(outcome, Started):
            return outcome
        # An expired attempt in progress: submitted (and committed, whatever the start then
        # decides) before the start is tried again.
        attempt_submit(attempt=outcome, auto=True)


def _student_for_start(actor, quiz: Quiz) -> StudentProfile | None:
    """The actor's student profile, locked for this transaction, annotated with `enrolled`
    (in one of the quiz's sections this year) and `extra` (the accommodation's minutes)."""
    sections = Quiz.sections.through.objects.filter(quiz_id=quiz.pk).values("section_id")
    enrolled = Enrollment.objects.filter(
        student_id=OuterRef("pk"), year__is_current=True, section_id__in=sections
    )
    extra = QuizAccommodation.objects.filter(quiz_id=quiz.pk, student_id=OuterRef("pk"))
    return (
        StudentProfile.objects.select_for_update(no_key=True, of=("self",))
        .filter(user_id=actor.pk)
        .only("pk", "school_id", "user_id")
        .annotate(enrolled=Exists(enrolled), extra=Subquery(extra.values("extra_minutes")[:1]))
        .first()
    )


def _start(actor, quiz: Quiz) -> Started | Attempt:
    """The start under the lock, or the expired attempt in progress to submit first."""
    student = _student_for_start(actor, quiz)
    if student is None:
        raise refuse(_("Only students take quizzes."), code="not_allowed", status_code=403)
    student.user = actor
    # Read after the lock: a start that waited sees the attempt the other one made.
    attempts = list(
        Attempt.objects.filter(quiz_id=quiz.pk, student_id=student.pk).order_by("-number")
    )
    for attempt in attempts:
        attempt.quiz, attempt.student = quiz, student
    current = next((a for a in attempts if a.status == AttemptStatus.IN_PROGRESS), None)
    if current is not None:
        return current if is_expired(current) else Started(current, False)
    now = timezone.now()
    if quiz.status != QuizStatus.PUBLISHED or not quiz.opens_at <= now < quiz.closes_at:
        raise refuse(
            _("This quiz is not open now (%(opens)s – %(closes)s).")
            % {"opens": quiz.opens_at.isoformat(), "closes": quiz.closes_at.isoformat()},
            code="quiz_not_open",
        )
    if not student.enrolled:
        raise refuse(
            _("This quiz is not set for your section."), code="not_assigned", status_code=403
        )
    made = len(attempts)
    if made >= quiz.attempts_allowed:
        raise refuse(
            _("You have used all %(n)s attempts at this quiz.") % {"n": quiz.attempts_allowed},
            code="attempt_limit",
        )
    extra_time = dt.timedelta(minutes=student.extra or 0)
    deadline = min(
        now + dt.timedelta(minutes=quiz.duration_minutes) + extra_time, quiz.closes_at + extra_time
    )
    pool = getattr(quiz, "frozen_ids", None)
    if pool is None:
        pool = QuizQuestion.objects.filter(quiz_id=quiz.pk).order_by("position")
        pool = list(pool.values_list("question_id", flat=True))
    seed = secrets.randbits(62)
    order = _question_order(quiz, seed, pool)
    frozen = selectors.frozen_questions(quiz.pk, order)
    documents = {qid: row["document"] for qid, row in frozen.items()}
    attempt = Attempt(
        school_id=quiz.school_id,
        quiz=quiz,
        student=student,
        number=made + 1,
        started_at=now,
        deadline=deadline,
        seed=seed,
        question_order=order,
        option_orders=selectors.option_orders(quiz, seed, order, documents),
    )
    # The school, quiz and student were just read: only the attempt's own fields are checked.
    attempt.full_clean(
        exclude=["school", "quiz", "student", "overridden_by"],
        validate_unique=False,
        validate_constraints=False,
    )
    attempt.save(force_insert=True)
    return Started(attempt, True, frozen)


def _check_owner(actor, attempt: Attempt) -> None:
    if attempt.student.user_id != actor.pk:
        raise refuse(
            _("Only the student taking the attempt may do this."),
            code="not_your_attempt",
            status_code=403,
        )


def attempt_refresh(attempt: Attempt) -> Attempt:
    """The attempt, submitted first if its deadline passed (the lazy half of auto-submit)."""
    if attempt.status == AttemptStatus.IN_PROGRESS and is_expired(attempt):
        return attempt_submit(attempt=attempt, auto=True)
    return attempt


def attempt_save_answers(*, actor, attempt_id, answers: list[dict]) -> Attempt:
    """Autosave answers of an attempt in progress (the last save per question wins).

    Rules: only the attempt's student; the attempt is in progress and its deadline (plus
    QUIZ_DEADLINE_GRACE_SECONDS) has not passed (an expired attempt is submitted with what was
    saved before, and the save is refused); every question is on this attempt's paper, listed
    once, and the answer has the shape its type takes (null clears an answer).

    The attempt is looked up among those `actor` may see (`scopes`), with the frozen documents
    of the questions answered, in one query compiled once per role (404 when it is not found),
    and without a lock: the answers go to the write buffer unless the attempt's submit has
    closed its answers there (`buffer.close_group`, which Redis orders atomically against the
    put), so no save lands after the answers were graded. A put the buffer refuses that way,
    and answers written straight to Postgres (the buffer off or Redis down), are decided under
    the attempt's row lock, which a submit holds until it has graded.
    """
    asked = sorted({str(entry.get("question") or "") for entry in answers})
    try:
        attempt_id = uuid.UUID(str(attempt_id))
    except ValueError:
        raise Http404 from None
    attempt = _own_attempt(actor, attempt_id, asked)
    _check_owner(actor, attempt)
    if attempt.is_submitted:
        raise _submitted()
    if is_expired(attempt):
        attempt_submit(attempt=attempt, auto=True)
        raise refuse(
            _("The time for this attempt is over; it was submitted with the answers saved."),
            code="deadline_passed",
        )
    _save(attempt, answers)
    return attempt


def _submitted() -> ApplicationError:
    return refuse(
        _("This attempt has been submitted; answers can no longer change."),
        code="attempt_submitted",
    )


_ATTEMPT_COLUMNS = tuple(f.attname for f in Attempt._meta.concrete_fields)

# The autosave's lookup, on every save: the attempt among those the caller may see, with the
# frozen documents of the questions answered. Compiled once per role and number of questions
# answered.
_own_attempt_row = CompiledQuery(
    lambda user, attempt_id, asked: (
        scope_queryset(Attempt.objects.all(), user)
        .filter(pk=attempt_id)
        .order_by()
        .annotate(documents=selectors.frozen_documents_of(OuterRef("quiz_id"), asked))
        .values(*_ATTEMPT_COLUMNS, "documents", student_user_id=F("student__user_id"))
    )
)


def _own_attempt(actor, attempt_id: uuid.UUID, asked: list[str]) -> Attempt:
    """The attempt as `attempt_save_answers` reads it (404 when `actor` may not see it)."""
    rows = _own_attempt_row.rows(actor, attempt_id=attempt_id, asked=asked)
    if not rows:
        raise Http404
    row = rows[0]
    attempt = Attempt.from_db("default", _ATTEMPT_COLUMNS, [row[n] for n in _ATTEMPT_COLUMNS])
    attempt.documents = row["documents"]
    attempt.student = StudentProfile(id=row["student_id"], user_id=row["student_user_id"])
    return attempt


def _put_locked(attempt_id: uuid.UUID, records: list[dict], *, reopen: bool = False):
    """Put answers under the attempt's row lock, refused once it is submitted: answers written
    straight to Postgres (the buffer's `through`), and a put the buffer refused because the
    group is closed. Holding the lock, no submit is under way, so a closed group whose attempt
    is still in progress was left by a submit that failed: `reopen` opens it again."""
    group = {"attempt_id": str(attempt_id)}
    with transaction.atomic():
        status = (
            Attempt.objects.select_for_update()
            .filter(pk=attempt_id)
            .values_list("status", flat=True)
            .first()
        )
        if status != AttemptStatus.IN_PROGRESS:
            raise _submitted()
        if not reopen:
            return buffer.get_kind(KIND).apply(records)
        try:
            buffer.reopen_group(KIND, **group)
        except buffer.BufferReadError as exc:  # the put below writes through, or finds it
            logger.warning("Quiz attempt %s: could not reopen its answers: %s", attempt_id, exc)
        # No `unless_closed`: while the lock is held nothing can close the group.
        return buffer.put_many(
            KIND, records, read_back=group, through=lambda rows: _put_locked(attempt_id, rows)
        )


def _save(attempt: Attempt, answers: list[dict]) -> None:
    """Check `answers` against the attempt's paper and put them in the write buffer."""
    if not answers:
        raise refuse(_("Send at least one answer."), code="no_answers", fields=["answers"])
    on_paper = set(attempt.question_order)
    documents = attempt.documents or {}
    errors, seen, records = [], set(), []
    for entry in answers:
        qid = str(entry.get("question") or "")
        found: dict[str, list] = {}
        if qid not in on_paper:
            found["question"] = [_("This question is not on your paper.")]
        elif qid in seen:
            found["question"] = [_("This question is listed more than once.")]
        elif problem := unstorable(entry.get("answer")):
            found["answer"] = [problem]
        elif not bank.answer_is_valid_shape(documents[qid], entry.get("answer")):
            found["answer"] = [_("This answer does not fit the question's type.")]
        seen.add(qid)
        errors.append(found)
        records.append(
            {
                "id": str(answer_id(attempt.pk, qid)),
                "school_id": str(attempt.school_id),
                "attempt_id": str(attempt.pk),
                "question_id": qid,
                "answer": entry.get("answer"),
            }
        )
    if any(errors):
        raise ApplicationError(
            _("Some answers cannot be saved."),
            code="invalid_answers",
            fields={"answers": errors},
        )
    # The attempt's pending answers come back in the put's round trip: what the API answers
    # with (`selectors.saved_answers(attempt, pending=attempt.pending_answers)`).
    group = {"attempt_id": str(attempt.pk)}
    try:
        stored = buffer.put_many(
            KIND,
            records,
            read_back=group,
            unless_closed=group,
            through=lambda rows: _put_locked(attempt.pk, rows),
        )
    except buffer.GroupClosed:
        stored = _put_locked(attempt.pk, records, reopen=True)
    attempt.pending_answers = stored.pending


def _grade(quiz: Quiz, frozen: QuizQuestion, answer: Any) -> tuple[float, Decimal, bool | None]:
    """(credit, marks awarded, correct) of one answer: credit x marks; a wrong non-empty answer
    loses `negative_marking` x marks; an empty one scores 0."""
    if answer in bank.EMPTY_ANSWERS:
        return 0.0, Decimal("0.00"), None
    credit = bank.grade(frozen.document, answer)
    if credit <= 0:
        penalty = -(frozen.marks * quiz.negative_marking)
        return 0.0, penalty.quantize(CENT, ROUND_HALF_UP), False
    awarded = (frozen.marks * Decimal(str(credit))).quantize(CENT, ROUND_HALF_UP)
    return credit, awarded, credit >= 1


def attempt_submit(*, attempt: Attempt, actor=None, auto: bool = False) -> Attempt:
    """Submit and grade an attempt at once; submitting twice changes nothing.

    The answers are what Postgres holds with the attempt's pending autosaves laid over, read
    under the attempt's row lock after closing its answers in the write buffer, so no autosave
    lands after them (`attempt_save_answers`). Each question on the paper is
    graded against its frozen document (`question_types.grade` x marks; negative marking for
    wrong non-empty answers), the quiz total floored at 0, and the per-question results stored
    with the answers' own write times, so the buffer's later flush of the same answers is a
    no-op. `auto` marks a submit by the deadline (the task, or the next access).

    Nothing is graded over answers that could not be read: when the write buffer's Redis fails
    while the pending autosaves are read, this raises `ServiceUnavailable` (503,
    `answers_unavailable`) and the attempt stays in progress, to be submitted once it answers.
    An answer Postgres cannot store (one that reached the buffer before save-time checks
    refused it) is graded and stored as no answer, with a warning, rather than failing the
    submit.
    """
    if actor is not None and not auto:
        _check_owner(actor, attempt)
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update(of=("self",))
            .select_related("quiz")
            .get(pk=attempt.pk)
        )
        if attempt.is_submitted:
            return attempt
        quiz = attempt.quiz
        try:
            # Autosaves put from now on are refused (and then wait for this lock), so the read
            # below sees the last answer saved. Left closed if this submit fails: the next
            # autosave finds the attempt in progress under the lock and opens it again.
            buffer.close_group(KIND, attempt_id=str(attempt.pk))
            saved = {a["question_id"]: a for a in selectors.saved_answers(attempt, strict=True)}
        except buffer.BufferReadError as exc:
            logger.warning("Quiz attempt %s not submitted: %s", attempt.pk, exc)
            raise ServiceUnavailable(
                _(
                    "Your saved answers cannot be read right now, so the attempt was not "
                    "submitted. Nothing is lost; try again in a moment."
                ),
                code="answers_unavailable",
            ) from exc
        frozen = {
            q.question_id: q
            for q in QuizQuestion.objects.filter(
                quiz_id=quiz.pk, question_id__in=attempt.question_order
            )
        }
        now = timezone.now()
        rows, total, maximum = [], Decimal("0"), Decimal("0")
        for qid in attempt.question_order:
            question = frozen[qid]
            held = saved.get(qid)
            answer = held["answer"] if held else None
            if unstorable(answer):
                logger.warning(
                    "Quiz attempt %s: the answer to %s cannot be stored; graded as none",
                    attempt.pk,
                    qid,
                )
                answer = None
            credit, awarded, correct = _grade(quiz, question, answer)
            total += awarded
            maximum += question.marks
            rows.append(
                AttemptAnswer(
                    id=answer_id(attempt.pk, qid),
                    school_id=attempt.school_id,
                    attempt_id=attempt.pk,
                    question_id=qid,
                    answer=answer,
                    ts=held["ts"] if held else buffer.now_micros(),
                    credit=credit,
                    marks_awarded=awarded,
                    is_correct=correct,
                )
            )
        AttemptAnswer.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["attempt", "question_id"],
            update_fields=["answer", "ts", "credit", "marks_awarded", "is_correct", "updated_at"],
        )
        attempt.status = AttemptStatus.SUBMITTED
        attempt.submitted_at = min(now, attempt.deadline) if auto else now
        attempt.auto_submitted = auto
        attempt.score = max(total, Decimal("0")).quantize(CENT)
        attempt.max_score = maximum.quantize(CENT)
        attempt.save(
            update_fields=[
                "status",
                "submitted_at",
                "auto_submitted",
                "score",
                "max_score",
                "updated_at",
            ]
        )
    return attempt


def attempts_submit_expired(*, limit: int = 500) -> int:
    """Submit every attempt in progress whose deadline (plus grace) has passed, oldest first, at
    most `limit`; returns how many. Safe to run twice or concurrently (a submitted attempt is
    left alone under its row lock). Raises `ServiceUnavailable` (and stops) when the pending
    answers cannot be read, leaving the rest in progress."""
    cutoff = timezone.now() - deadline_grace()
    ids = list(
        Attempt.objects.filter(status=AttemptStatus.IN_PROGRESS, deadline__lt=cutoff)
        .order_by("deadline")
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    for pk in ids:
        try:
            attempt_submit(attempt=Attempt(pk=pk), auto=True)
            done += 1
        except ServiceUnavailable:
            # The buffer cannot be read: every other attempt would fail the same way. They stay
            # in progress; the caller (the task) tries again later.
            logger.warning(
                "Auto-submit stopped: pending answers unreadable; %d expired attempt(s) left "
                "in progress",
                len(ids) - done,
            )
            raise
        except Exception:  # noqa: BLE001 - one broken attempt must not stop the others
            logger.exception("Auto-submit of quiz attempt %s failed", pk)
    return done


@transaction.atomic
def attempt_override(*, actor, attempt: Attempt, score: Decimal | None, reason: str) -> Attempt:
    """Set (or, with `score` None, remove) a teacher's score for a submitted attempt, between
    0 and the attempt's maximum, with a reason. Only a quiz manager (`scopes.can_manage_quiz`).
    Audit-logged with the values before/after."""
    attempt = (
        Attempt.objects.select_for_update(of=("self",)).select_related("quiz").get(pk=attempt.pk)
    )
    quizzes.check_manager(actor, attempt.quiz)
    if not attempt.is_submitted:
        raise refuse(
            _("Only a submitted attempt can have its score overridden."), code="not_submitted"
        )
    if not (reason or "").strip():
        raise refuse(_("Give a reason for the override."), code="no_reason", fields=["reason"])
    if score is not None and not (Decimal(0) <= score <= (attempt.max_score or Decimal(0))):
        raise refuse(
            _("The score must be between 0 and %(max)s.") % {"max": attempt.max_score},
            code="invalid_score",
            fields=["score"],
        )
    fields = ["score_override", "override_reason", "overridden_by"]
    before = audit.snapshot(attempt, fields)
    attempt.score_override = score
    attempt.override_reason = reason.strip()
    attempt.overridden_by = actor
    attempt.save(update_fields=[*fields, "updated_at"])
    audit.record(
        actor=actor,
        action="quiz.attempt.override",
        instance=attempt,
        before={**before, "score": str(attempt.score)},
        after={**audit.snapshot(attempt, fields), "score": str(attempt.score)},
    )
    return attempt
