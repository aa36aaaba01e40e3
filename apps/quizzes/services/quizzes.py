"""Writes of quizzes: create and edit drafts, publish (freezing the questions), close, release
results, and per-student extra time."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.academics.models import Enrollment, Section, Subject
from apps.accounts.models import Role, StudentProfile
from apps.core import audit
from apps.core.access import is_platform_superuser
from apps.core.events import notify_on_commit
from apps.core.exceptions import ApplicationError
from apps.core.services import apply_fields, refuse
from apps.core.signals import announce_change

from .. import scopes, selectors
from ..models import (
    AnswersPolicy,
    Quiz,
    QuizAccommodation,
    QuizQuestion,
    QuizStatus,
    Selection,
)
from . import bank

EDITABLE = (
    "title",
    "instructions",
    "subject",
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
    "answers_policy",
)
PUBLISHED_EDITABLE = ("title", "instructions", "closes_at", "release_policy", "answers_policy")
POOL_KEYS = ("subject", "class", "topic", "tags", "difficulty", "type")


def is_admin(actor) -> bool:
    return is_platform_superuser(actor) or actor.role == Role.ADMIN


def _check_teaches(actor, subject: Subject, sections: list[Section]) -> None:
    """Admins set quizzes for anything in their school; a teacher only in a subject they teach
    in every one of the sections (a teaching assignment in the section's year)."""
    if is_admin(actor):
        return
    if actor.role != Role.TEACHER:
        raise refuse(_("Your role may not set quizzes."), code="not_allowed", status_code=403)
    missing_ids = scopes.sections_not_taught(actor, subject.pk, [s.pk for s in sections])
    missing = [s.display_name for s in sections if s.pk in missing_ids]
    if missing or not sections:
        raise refuse(
            _("You do not teach %(subject)s in %(sections)s.")
            % {"subject": subject.name, "sections": ", ".join(missing) or "-"},
            code="not_your_subject",
            fields=["sections"],
            status_code=403,
        )


def check_manager(actor, quiz: Quiz) -> None:
    """Refuse (403 `not_quiz_manager`) anyone `scopes.can_manage_quiz` says no to."""
    if not scopes.can_manage_quiz(actor, quiz):
        raise refuse(
            _(
                "Only a school admin, the quiz's author or a teacher of its subject in every "
                "one of its sections may do this."
            ),
            code="not_quiz_manager",
            status_code=403,
        )


def _normalise_questions(items: list[dict]) -> list[dict]:
    out, seen, errors = [], set(), []
    for item in items or []:
        found: dict[str, list] = {}
        qid = str(item.get("question") or "").strip()
        try:
            marks = Decimal(str(item.get("marks", 1)))
            if marks < 0 or marks.as_tuple().exponent < -2:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            found["marks"] = [_("Marks are a number of at least 0 with up to 2 decimals.")]
            marks = Decimal(0)
        if not qid:
            found["question"] = [_("Give the question's id.")]
        elif qid in seen:
            found["question"] = [_("This question is listed more than once.")]
        seen.add(qid)
        errors.append(found)
        out.append({"question": qid, "marks": str(marks)})
    if any(errors):
        raise ApplicationError(
            _("Some questions cannot be used."),
            code="invalid_questions",
            fields={"questions": errors},
        )
    return out


def _normalise_pool(flt: dict | None) -> dict:
    flt = dict(flt or {})
    unknown = sorted(set(flt) - set(POOL_KEYS))
    if unknown:
        raise refuse(
            _("Unknown pool filter keys: %(keys)s.") % {"keys": ", ".join(unknown)},
            code="invalid_pool_filter",
            fields=["pool_filter"],
        )
    return {k: v for k, v in flt.items() if v not in (None, "", [])}


def _apply(quiz: Quiz, data: dict[str, Any]) -> None:
    apply_fields(quiz, EDITABLE, data)
    if "questions" in data:
        quiz.questions = _normalise_questions(data["questions"])
    if "pool_filter" in data:
        quiz.pool_filter = _normalise_pool(data["pool_filter"])


@transaction.atomic
def quiz_create(*, actor, school, sections: list[Section], **data: Any) -> Quiz:
    """A draft quiz. Teachers only for a subject they teach in every assigned section."""
    _check_teaches(actor, data["subject"], sections)
    quiz = Quiz(school=school, created_by=actor)
    _apply(quiz, data)
    quiz.full_clean()
    quiz.save()
    quiz.sections.set(sections)
    return quiz


@transaction.atomic
def quiz_update(*, actor, quiz: Quiz, sections: list[Section] | None = None, **data: Any) -> Quiz:
    """Edit a draft. A published quiz is frozen: only its title, instructions, closing time
    (later, never earlier than now; not once students can see the correct answers) and its score
    and answer release policies may change. Only a quiz manager
    (`scopes.can_manage_quiz`), and a teacher only for a subject they teach in every section the
    quiz then has."""
    quiz = Quiz.objects.select_for_update().get(pk=quiz.pk)
    check_manager(actor, quiz)
    if quiz.status != QuizStatus.DRAFT:
        frozen = set(data) - set(PUBLISHED_EDITABLE)
        if sections is not None or frozen:
            raise refuse(
                _(
                    "A published quiz can only change its title, instructions, closing time and "
                    "when scores and answers are shown."
                ),
                code="quiz_frozen",
                fields=sorted(frozen) or ["sections"],
            )
        if "closes_at" in data and data["closes_at"] <= timezone.now():
            raise refuse(
                _("The new closing time must be in the future."),
                code="invalid_times",
                fields=["closes_at"],
            )
        if "closes_at" in data and selectors.answers_visible(quiz):
            # Reopening would let students take attempts with the correct answers in hand.
            raise refuse(
                _("Students can see this quiz's correct answers, so it cannot be reopened."),
                code="answers_shown",
                fields=["closes_at"],
                status_code=409,
            )
    subject = data.get("subject", quiz.subject)
    new_sections = sections if sections is not None else list(quiz.sections.all())
    _check_teaches(actor, subject, new_sections)
    _apply(quiz, data)
    quiz.full_clean()
    quiz.save()
    if sections is not None:
        quiz.sections.set(sections)
    return quiz


@transaction.atomic
def quiz_delete(*, actor, quiz: Quiz) -> None:
    """Only drafts are deleted, by a quiz manager (`scopes.can_manage_quiz`); a published quiz
    holds attempts (close it instead)."""
    check_manager(actor, quiz)
    if quiz.status != QuizStatus.DRAFT:
        raise refuse(
            _("Only a draft quiz can be deleted; close a published one."), code="quiz_published"
        )
    quiz.delete()


def _frozen_rows(quiz: Quiz) -> list[QuizQuestion]:
    if quiz.selection == Selection.FIXED:
        ids = [item["question"] for item in quiz.questions]
        if not ids:
            raise refuse(
                _("Add at least one question before publishing."),
                code="no_questions",
                fields=["questions"],
            )
        documents = bank.get_many(quiz.school_id, ids)
        missing = [qid for qid in ids if qid not in documents]
        if missing:
            raise refuse(
                _("These questions are not in your school's question bank: %(ids)s.")
                % {"ids": ", ".join(missing)},
                code="unknown_questions",
                fields=["questions"],
            )
        marks = {item["question"]: Decimal(str(item["marks"])) for item in quiz.questions}
        chosen = [(qid, documents[qid], marks[qid]) for qid in ids]
    else:
        if not quiz.draw_count:
            raise refuse(
                _("Say how many questions each attempt draws."),
                code="no_questions",
                fields=["draw_count"],
            )
        documents = bank.pool(quiz.school_id, quiz.pool_filter)
        if len(documents) < quiz.draw_count:
            raise refuse(
                _("The pool holds %(found)s questions; each attempt draws %(count)s.")
                % {"found": len(documents), "count": quiz.draw_count},
                code="pool_too_small",
                fields=["draw_count", "pool_filter"],
            )
        chosen = [(bank.question_id(d), d, quiz.draw_marks) for d in documents]
    return [
        QuizQuestion(
            school_id=quiz.school_id,
            quiz=quiz,
            question_id=qid,
            version=bank.version_of(document),
            document=document,
            marks=marks,
            position=position,
        )
        for position, (qid, document, marks) in enumerate(chosen, start=1)
    ]


@transaction.atomic
def quiz_publish(*, actor, quiz: Quiz) -> Quiz:
    """Publish a draft (a quiz manager: `scopes.can_manage_quiz`): it needs sections, a closing
    time in the future and at least one question (a random draw: a pool at least as big as the
    draw). Every question it may use is frozen into `QuizQuestion` (for a random draw the whole
    pool), so later edits in the bank never change how its attempts are graded."""
    quiz = Quiz.objects.select_for_update().select_related("subject").get(pk=quiz.pk)
    check_manager(actor, quiz)
    if quiz.status != QuizStatus.DRAFT:
        raise refuse(_("This quiz is already published."), code="already_published")
    sections = list(quiz.sections.select_related("school_class"))
    if not sections:
        raise refuse(
            _("Assign the quiz to at least one section."), code="no_sections", fields=["sections"]
        )
    if quiz.closes_at <= timezone.now():
        raise refuse(
            _("The closing time has passed; move it to the future."),
            code="invalid_times",
            fields=["closes_at"],
        )
    rows = _frozen_rows(quiz)
    QuizQuestion.objects.filter(quiz=quiz).delete()
    QuizQuestion.objects.bulk_create(rows)
    quiz.status = QuizStatus.PUBLISHED
    quiz.published_at = timezone.now()
    quiz.save(update_fields=["status", "published_at", "updated_at"])
    audit.record(
        actor=actor,
        action="quiz.publish",
        instance=quiz,
        after={"status": quiz.status, "questions": len(rows)},
    )
    notify_on_commit("quizzes.published", quiz)
    announce_change(quiz.school_id, "quizzes")
    return quiz


@transaction.atomic
def quiz_close(*, actor, quiz: Quiz) -> Quiz:
    """Close a published quiz now: no attempt starts any more; attempts in progress keep their
    deadline (the auto-submit task ends them)."""
    quiz = Quiz.objects.select_for_update().get(pk=quiz.pk)
    check_manager(actor, quiz)
    if quiz.status != QuizStatus.PUBLISHED:
        raise refuse(_("Only a published quiz can be closed."), code="not_published")
    quiz.status = QuizStatus.CLOSED
    if quiz.closes_at > timezone.now():
        quiz.closes_at = timezone.now()
    quiz.save(update_fields=["status", "closes_at", "updated_at"])
    audit.record(actor=actor, action="quiz.close", instance=quiz, after={"status": quiz.status})
    return quiz


@transaction.atomic
def quiz_release_results(
    *, actor, quiz: Quiz, released: bool | None = True, answers: bool | None = None
) -> Quiz:
    """Show (or hide again) to students and parents the scores (`released`) and the correct
    answers with explanations and per-question marks (`answers`); None leaves either as is.

    Rules: only a quiz manager (`scopes.can_manage_quiz`); the quiz is published (or closed).
    Correct answers are released only once no attempt can still run
    (`selectors.attempts_run_until`: closing time plus the largest extra time, or a later
    deadline of an attempt in progress) - 409 `attempts_running` before - and never under the
    `never` policy (400 `answers_never_shown`); hiding is always allowed. Audit-logged.
    """
    quiz = Quiz.objects.select_for_update().get(pk=quiz.pk)
    check_manager(actor, quiz)
    if quiz.status == QuizStatus.DRAFT:
        raise refuse(_("Publish the quiz first."), code="not_published")
    fields = ["results_released", "answers_released"]
    before = audit.snapshot(quiz, fields)
    now = timezone.now()
    if answers:
        if quiz.answers_policy == AnswersPolicy.NEVER:
            raise refuse(
                _("This quiz never shows the correct answers; change its policy first."),
                code="answers_never_shown",
                fields=["answers"],
            )
        until = selectors.attempts_run_until(quiz)
        if until is not None and now < until:
            raise refuse(
                _(
                    "Attempts at this quiz can still run until %(until)s; the correct answers "
                    "can be released after that."
                )
                % {"until": timezone.localtime(until).strftime("%Y-%m-%d %H:%M %Z")},
                code="attempts_running",
                fields=["answers"],
                status_code=409,
            )
    if released is not None:
        quiz.results_released = released
        quiz.released_at = now if released else None
    if answers is not None:
        quiz.answers_released = answers
        quiz.answers_released_at = now if answers else None
    quiz.save(
        update_fields=[
            "results_released",
            "released_at",
            "answers_released",
            "answers_released_at",
            "updated_at",
        ]
    )
    audit.record(
        actor=actor,
        action="quiz.release_results",
        instance=quiz,
        before=before,
        after=audit.snapshot(quiz, fields),
    )
    if released:
        notify_on_commit("quizzes.results_released", quiz)
        announce_change(quiz.school_id, "quizzes")
    return quiz


@transaction.atomic
def accommodation_set(
    *, actor, quiz: Quiz, student: StudentProfile, extra_minutes: int
) -> QuizAccommodation | None:
    """Give `student` extra minutes in `quiz` (0 removes them). Only a quiz manager
    (`scopes.can_manage_quiz`); the student must be enrolled in one of the quiz's sections.
    Applies to attempts started afterwards. Audit-logged on the quiz as ``{"extra_minutes":
    {student id: minutes}}`` before and after; setting what is already set records nothing."""
    quiz = Quiz.objects.select_for_update().get(pk=quiz.pk)
    check_manager(actor, quiz)
    enrolled = Enrollment.objects.filter(
        student_id=student.pk, section_id__in=quiz.sections.values("pk")
    ).exists()
    if not enrolled:
        raise refuse(
            _("This student is not in a section the quiz is assigned to."),
            code="not_assigned",
            fields=["student"],
        )
    held = QuizAccommodation.objects.filter(quiz=quiz, student=student).first()
    before = held.extra_minutes if held else 0
    accommodation = None
    if extra_minutes <= 0:
        if held is not None:
            held.delete()
    else:
        accommodation, _created = QuizAccommodation.objects.update_or_create(
            quiz=quiz,
            student=student,
            defaults={"school_id": quiz.school_id, "extra_minutes": extra_minutes},
        )
    audit.record(
        actor=actor,
        action="quiz.accommodation",
        instance=quiz,
        before={"extra_minutes": {str(student.pk): before}},
        after={"extra_minutes": {str(student.pk): max(extra_minutes, 0)}},
    )
    return accommodation
