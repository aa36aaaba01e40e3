"""What teachers, students and parents may see of this app's models (see apps.core.access), and
the student relations every app's object-level checks build on (whom a teacher teaches, a
parent's children, a student themself)."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q, QuerySet

from apps.core.access import is_platform_superuser, register_scope, scope_queryset, scope_rule

from .models import Guardian, Role, School, StaffProfile, StudentProfile, TeacherProfile, User


# --- Student relations, the heart of object-level checks -------------------------------------
def taught_student_ids(user) -> QuerySet:
    """Primary keys of the students a teacher teaches (from teaching assignments)."""
    providers = _TAUGHT_STUDENT_PROVIDERS
    if not providers:
        return StudentProfile.objects.none().values("pk")
    qs = providers[0](user)
    for provider in providers[1:]:
        qs = qs.union(provider(user))
    return qs


_TAUGHT_STUDENT_PROVIDERS: list[Callable] = []


def register_taught_students(provider: Callable) -> Callable:
    """Academics registers how teaching assignments map a teacher to students."""
    _TAUGHT_STUDENT_PROVIDERS.append(provider)
    return provider


def child_student_ids(user) -> QuerySet:
    return Guardian.objects.filter(parent_id=user.pk, school_id=user.school_id).values("student_id")


def visible_student_ids(user) -> QuerySet:
    """Student profile ids a teacher, parent or student may see (never beyond their school)."""
    if user.role == Role.TEACHER:
        return taught_student_ids(user)
    if user.role == Role.PARENT:
        return child_student_ids(user)
    if user.role == Role.STUDENT:
        return StudentProfile.objects.filter(user_id=user.pk).values("pk")
    return StudentProfile.objects.none().values("pk")


def can_view_student(user, student) -> bool:
    return scope_queryset(StudentProfile.objects.filter(pk=student.pk), user).exists()


@scope_rule(School, school_field="pk")
def _school(qs, _user):
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
