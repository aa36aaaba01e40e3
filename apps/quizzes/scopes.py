"""Who may see which quizzes, frozen questions, accommodations, attempts and answers (see
apps.core.access).

School admins: the whole school. Teachers: quizzes they made or assigned to a current-year
section they teach (or are class teacher of), and everything belonging to those quizzes.
Students: published (or closed) quizzes assigned to their current section, their own attempts
and answers. Parents: the same for their children. Staff only with the Django permission.
Frozen questions and accommodations are never shown to students or parents.

Seeing a quiz is not managing it: `can_manage_quiz` says who may publish, close, release or hide
its results and answers, set extra time and override scores.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from apps.academics import selectors as academics_selectors
from apps.academics.models import TeachingAssignment
from apps.accounts.models import Role
from apps.accounts.scopes import visible_student_ids
from apps.core.access import is_platform_superuser, scope_queryset, scope_rule

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


# --- managing a quiz -----------------------------------------------------------------------------
def sections_not_taught(user, subject_id, section_ids: Iterable) -> set:
    """The ids among `section_ids` where `user` has no teaching assignment in `subject_id`."""
    wanted = set(section_ids)
    taught = TeachingAssignment.objects.filter(
        teacher__user_id=user.pk, subject_id=subject_id, section_id__in=wanted
    ).values_list("section_id", flat=True)
    return wanted - set(taught)


def can_manage_quiz(user, quiz: Quiz) -> bool:
    """May `user` publish or close `quiz`, release or hide its results and answers, set extra
    time in it and override its attempts' scores?

    Yes for a school admin of the quiz's school (and a platform superuser), the quiz's author
    (a teacher), and a teacher of the quiz's subject in every one of its sections. A teacher who
    only sees the quiz (another subject in one of its sections, or the subject in some of its
    sections) may not, nor may any other role.
    """
    if not (user and user.is_authenticated and user.is_active):
        return False
    if is_platform_superuser(user):
        return True
    if user.school_id is None or user.school_id != quiz.school_id:
        return False
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.TEACHER:
        return False
    if quiz.created_by_id is not None and quiz.created_by_id == user.pk:
        return True
    section_ids = list(quiz.sections.values_list("pk", flat=True))
    return bool(section_ids) and not sections_not_taught(user, quiz.subject_id, section_ids)


def result_student_ids(user, quiz: Quiz):
    """Whose results of `quiz` `user` reads (None: every student of the quiz's sections).

    School admins, staff and the quiz's author: everyone. Another teacher: only the students
    they teach. Students and parents: themselves and their children, once the quiz's policy
    releases results; nobody (an empty list) before."""
    if is_platform_superuser(user) or user.role in (Role.ADMIN, Role.STAFF):
        return None
    if user.role == Role.TEACHER:
        return None if quiz.created_by_id == user.pk else visible_student_ids(user)
    return visible_student_ids(user) if quiz.results_visible() else []
