"""Who may see which attendance marks (see apps.core.access).

School admins: the whole school; teachers: the marks of the current-year sections they teach or
are class teacher of; students: their own; parents: their children's. Staff only with the
Django permission (no duty grants it). The API applies the same rules to pending marks, which
are not rows yet (`apps.attendance.selectors`).
"""

from __future__ import annotations

from apps.academics import selectors as academics_selectors
from apps.accounts.models import Role
from apps.core.access import scope_rule, visible_student_ids

from .models import AttendanceRecord


@scope_rule(AttendanceRecord)
def _attendance(qs, user):
    if user.role == Role.TEACHER:
        return qs.filter(section_id__in=academics_selectors.taught_section_ids(user))
    if user.role in (Role.STUDENT, Role.PARENT):
        return qs.filter(student_id__in=visible_student_ids(user))
    return qs.none()
