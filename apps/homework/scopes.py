"""Who may see and do what with homework (see apps.core.access for the rules per role).

- school admins: everything of their school (grades before release included);
- teachers: homework they set, or set for a current-year section they teach any subject in or
  are class teacher of (a colleague of another subject sees what the section has to do);
  submissions and grades only of homework they manage (`can_manage_assignment`) or, in a
  homework of several sections, of the sections where they teach its subject;
- students: published homework of their current section, their own submission, their own
  grade once released;
- parents: the same for their children;
- staff: by Django permission (no duty holds homework permissions).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from apps.academics import selectors as academics_selectors
from apps.academics.models import TeachingAssignment
from apps.accounts.models import Role
from apps.accounts.scopes import visible_student_ids
from apps.core.access import is_platform_superuser, scope_queryset, scope_rule

from .models import (
    Assignment,
    AssignmentStatus,
    Attachment,
    Extension,
    Grade,
    Submission,
    SubmissionFile,
    SubmissionVersion,
)


def own_student_ids(user) -> QuerySet:
    """The students whose homework `user` follows as family: a student themself, a parent's
    children; nobody for other roles."""
    return visible_student_ids(user)


def _teacher_assignment_ids(user) -> QuerySet:
    return (
        Assignment.objects.filter(school_id=user.school_id)
        .filter(
            Q(created_by_id=user.pk) | Q(sections__in=academics_selectors.taught_section_ids(user))
        )
        .values("pk")
    )


def _family_assignment_ids(user) -> QuerySet:
    return Assignment.objects.filter(
        school_id=user.school_id,
        status=AssignmentStatus.PUBLISHED,
        sections__in=academics_selectors.own_section_ids(user),
    ).values("pk")


@scope_rule(Assignment)
def _assignments(qs, user):
    if user.role == Role.TEACHER:
        return qs.filter(pk__in=_teacher_assignment_ids(user))
    if user.role in (Role.STUDENT, Role.PARENT):
        return qs.filter(pk__in=_family_assignment_ids(user))
    return qs.none()


@scope_rule(Attachment)
def _attachments(qs, user):
    return qs.filter(assignment__in=scope_queryset(Assignment.objects.all(), user).values("pk"))


def _teaches_submission(user, assignment_path: str, section_path: str):
    """The rows of homework the teacher set, or of a section where they teach its subject."""
    teaches = TeachingAssignment.objects.filter(
        teacher__user_id=user.pk,
        section_id=OuterRef(section_path),
        subject_id=OuterRef(f"{assignment_path}__subject_id"),
    )
    return Q(**{f"{assignment_path}__created_by_id": user.pk}) | Q(Exists(teaches))


@scope_rule(Submission)
def _submissions(qs, user):
    if user.role == Role.TEACHER:
        return qs.filter(_teaches_submission(user, "assignment", "section_id"))
    if user.role in (Role.STUDENT, Role.PARENT):
        return qs.filter(
            student_id__in=own_student_ids(user), assignment__status=AssignmentStatus.PUBLISHED
        )
    return qs.none()


@scope_rule(SubmissionFile)
def _files(qs, user):
    return qs.filter(submission__in=scope_queryset(Submission.objects.all(), user).values("pk"))


@scope_rule(SubmissionVersion)
def _versions(qs, user):
    return qs.filter(submission__in=scope_queryset(Submission.objects.all(), user).values("pk"))


@scope_rule(Extension)
def _extensions(qs, user):
    if user.role == Role.TEACHER:
        return qs.filter(assignment_id__in=_teacher_assignment_ids(user))
    if user.role in (Role.STUDENT, Role.PARENT):
        return qs.filter(student_id__in=own_student_ids(user))
    return qs.none()


@scope_rule(Grade)
def _grades(qs, user):
    if user.role == Role.TEACHER:
        teaches = TeachingAssignment.objects.filter(
            teacher__user_id=user.pk,
            subject_id=OuterRef("assignment__subject_id"),
            section__enrollments__student_id=OuterRef("student_id"),
            section__year__is_current=True,
        )
        return qs.filter(Q(assignment__created_by_id=user.pk) | Q(Exists(teaches)))
    if user.role in (Role.STUDENT, Role.PARENT):
        # Never a grade before it is released.
        return qs.filter(student_id__in=own_student_ids(user), released_at__isnull=False)
    return qs.none()


# --- named helpers --------------------------------------------------------------------------
def readable_assignments(user) -> QuerySet:
    return scope_queryset(Assignment.objects.all(), user)


def readable_submissions(user) -> QuerySet:
    return scope_queryset(Submission.objects.all(), user)


def readable_grades(user) -> QuerySet:
    return scope_queryset(Grade.objects.all(), user)


def sections_not_taught(user, subject_id, section_ids) -> set:
    """The ids among `section_ids` where `user` has no teaching assignment in `subject_id`."""
    wanted = set(section_ids)
    taught = TeachingAssignment.objects.filter(
        teacher__user_id=user.pk, subject_id=subject_id, section_id__in=wanted
    ).values_list("section_id", flat=True)
    return wanted - set(taught)


def may_set_homework(user) -> bool:
    return bool(
        user.is_authenticated
        and (is_platform_superuser(user) or user.role in (Role.ADMIN, Role.TEACHER))
    )


def can_manage_assignment(user, assignment: Assignment) -> bool:
    """May `user` edit, publish, delete, extend, grade and release `assignment`?

    Yes for a school admin of its school (and a platform superuser), the teacher who set it,
    and a teacher of its subject in every one of its sections. A colleague who only sees it
    (another subject in one of its sections) may not, nor may any other role.
    """
    if not (user and user.is_authenticated and user.is_active):
        return False
    if is_platform_superuser(user):
        return True
    if user.school_id is None or user.school_id != assignment.school_id:
        return False
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.TEACHER:
        return False
    if assignment.created_by_id is not None and assignment.created_by_id == user.pk:
        return True
    section_ids = [s.pk for s in assignment.sections.all()]
    return bool(section_ids) and not sections_not_taught(user, assignment.subject_id, section_ids)


def can_submit(user, assignment: Assignment) -> bool:
    """Only a student hands in, for homework of their own section that is published."""
    return user.role == Role.STUDENT and assignment.status == AssignmentStatus.PUBLISHED


def sees_unreleased_grades(user) -> bool:
    """Teachers (within their scope) and school admins see draft grades; families never."""
    return is_platform_superuser(user) or user.role in (Role.ADMIN, Role.TEACHER)
