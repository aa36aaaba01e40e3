"""Who may see which attendance marks (see apps.core.access).

School admins: the whole school; teachers: the marks of the current-year sections they teach or
are class teacher of, and no others, even of a student they teach (`readable_section_ids`);
students: their own; parents: their children's. Staff only with the Django permission (no duty
grants it). The API applies the same rules to pending marks, which are not rows yet: it asks
these helpers which sections and students a caller may read, then `apps.attendance.selectors`
shapes the reads.
"""

from __future__ import annotations

from django.db.models import QuerySet

from apps.academics import selectors as academics_selectors
from apps.accounts.models import Role
from apps.core.access import scope_rule, visible_student_ids

from .models import AttendanceRecord


def teacher_section_ids(user) -> QuerySet:
    """The sections whose marks a teacher reads: those of the current year they teach a subject
    in or are class teacher of. A student they teach now may have marks from earlier sections
    (last year's, or another section before a move) taken by other teachers: not theirs."""
    return academics_selectors.taught_section_ids(user)


def readable_section_ids(user) -> set[str] | None:
    """The ids (strings) of the only sections whose marks `user` may read, or None when the
    role is not limited by section (school admins, staff with the permission; students and
    parents are limited to their own or their children's marks instead)."""
    if user.role != Role.TEACHER:
        return None
    return {str(pk) for pk in teacher_section_ids(user).values_list("pk", flat=True)}


@scope_rule(AttendanceRecord)
def _attendance(qs, user):
    if user.role == Role.TEACHER:
        return qs.filter(section_id__in=teacher_section_ids(user))
    if user.role in (Role.STUDENT, Role.PARENT):
        return qs.filter(student_id__in=visible_student_ids(user))
    return qs.none()
