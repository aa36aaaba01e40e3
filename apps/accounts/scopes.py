"""What teachers, students and parents may see of this app's models (see apps.core.access)."""

from __future__ import annotations

from django.db.models import Q

from apps.core.access import (
    is_platform_superuser,
    register_scope,
    scope_rule,
    visible_student_ids,
)

from .models import Guardian, Role, School, StaffProfile, StudentProfile, TeacherProfile, User


@scope_rule(School, school_field="pk")
def _school(qs, user):
    return qs  # everyone sees their own school


def readable_schools(user):
    """The schools `user` reads through the API: every school for a platform superuser, their
    own for everyone else (staff need no Django permission for that)."""
    if is_platform_superuser(user):
        return School.objects.all()
    return School.objects.filter(pk=user.school_id)


@scope_rule(User)
def _users(qs, user):
    if user.role == Role.TEACHER:
        return qs.filter(Q(pk=user.pk) | Q(student_profile__in=visible_student_ids(user)))
    if user.role == Role.PARENT:
        return qs.filter(Q(pk=user.pk) | Q(student_profile__in=visible_student_ids(user)))
    return qs.filter(pk=user.pk)


@scope_rule(StudentProfile)
def _students(qs, user):
    return qs.filter(pk__in=visible_student_ids(user))


@scope_rule(Guardian)
def _guardians(qs, user):
    if user.role == Role.PARENT:
        return qs.filter(parent=user)
    return qs.filter(student__in=visible_student_ids(user))


@scope_rule(TeacherProfile)
def _teachers(qs, user):
    return qs.filter(user=user)


@scope_rule(StaffProfile)
def _staff(qs, user):
    return qs.filter(user=user)


def register_core_scopes() -> None:
    from apps.core.models import AuditLog

    # Only school admins (and staff granted the permission) read the audit log.
    register_scope(AuditLog)


register_core_scopes()
