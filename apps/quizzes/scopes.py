"""Who may see which quizzes, frozen questions, accommodations, attempts and answers (see
apps.core.access).

School admins: the whole school. Teachers: quizzes they made or assigned to a current-year
section they teach (or are class teacher of), and everything belonging to those quizzes.
Students: published (or closed) quizzes assigned to their current section, their own attempts
and answers. Parents: the same for their children. Staff only with the Django permission.
Frozen questions and accommodations are never shown to students or parents.
"""

from __future__ import annotations

from django.db.models import Q

from apps.academics import selectors as academics_selectors
from apps.accounts.models import Role
from apps.core.access import scope_queryset, scope_rule, visible_student_ids

from .models import Attempt, AttemptAnswer, Quiz, QuizAccommodation, QuizQuestion, QuizStatus


def _teacher_quiz_ids(user):
    return (
        Quiz.objects.filter(school_id=user.school_id)
        .filter(
            Q(created_by_id=user.pk) | Q(sections__in=academics_selectors.taught_section_ids(user))
        )
        .values("pk")
    )


@scope_rule(Quiz)
def _quizzes(qs, user):
    if user.role == Role.TEACHER:
        return qs.filter(pk__in=_teacher_quiz_ids(user))
    if user.role in (Role.STUDENT, Role.PARENT):
        assigned = Quiz.sections.through.objects.filter(
            section_id__in=academics_selectors.own_section_ids(user)
        ).values("quiz_id")
        return qs.filter(pk__in=assigned, status__in=(QuizStatus.PUBLISHED, QuizStatus.CLOSED))
    return qs.none()


@scope_rule(QuizQuestion)
def _frozen(qs, user):
    if user.role == Role.TEACHER:
        return qs.filter(quiz_id__in=_teacher_quiz_ids(user))
    return qs.none()


@scope_rule(QuizAccommodation)
def _accommodations(qs, user):
    if user.role == Role.TEACHER:
        return qs.filter(quiz_id__in=_teacher_quiz_ids(user))
    return qs.none()


@scope_rule(Attempt)
def _attempts(qs, user):
    if user.role == Role.TEACHER:
        # A colleague's quiz set for several sections: only the students this teacher teaches.
        return qs.filter(quiz_id__in=_teacher_quiz_ids(user)).filter(
            Q(quiz__created_by_id=user.pk) | Q(student_id__in=visible_student_ids(user))
        )
    if user.role in (Role.STUDENT, Role.PARENT):
        return qs.filter(student_id__in=visible_student_ids(user))
    return qs.none()


@scope_rule(AttemptAnswer)
def _answers(qs, user):
    return qs.filter(attempt__in=scope_queryset(Attempt.objects.all(), user).values("pk"))
