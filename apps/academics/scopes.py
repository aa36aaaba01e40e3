"""What teachers, students and parents may see of this app's models (see apps.core.access).

The school's structure (years, terms, classes, subjects, sections, who teaches what, the
timetable) is public within the school. Enrollments say who is in which class: a teacher sees
those of the sections they teach this year, a student their own, a parent their children's.
School admins see every row of their school; staff what their Django permissions allow.

This module also tells `apps.core.access` which students a teacher teaches: those enrolled in
the current year in a section the teacher has a teaching assignment for or is class teacher of.
"""

from __future__ import annotations

from apps.accounts.models import Role
from apps.accounts.scopes import child_student_ids, register_taught_students
from apps.core.access import register_scope, scope_rule

from . import selectors
from .models import (
    AcademicYear,
    Enrollment,
    SchoolClass,
    Section,
    Subject,
    TeachingAssignment,
    Term,
    TimetableEntry,
)


def _whole_school(qs, _user):
    return qs  # already limited to the user's school by scope_queryset


for _model in (
    AcademicYear,
    Term,
    SchoolClass,
    Section,
    Subject,
    TeachingAssignment,
    TimetableEntry,
):
    register_scope(_model, _whole_school)


@scope_rule(Enrollment)
def _enrollments(qs, user):
    if user.role == Role.TEACHER:
        return qs.filter(section_id__in=selectors.taught_section_ids(user))
    if user.role == Role.STUDENT:
        return qs.filter(student__user_id=user.pk)
    if user.role == Role.PARENT:
        return qs.filter(student_id__in=child_student_ids(user))
    return qs.none()


@register_taught_students
def _taught_students(user):
    return selectors.taught_students(user)
