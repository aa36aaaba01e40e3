"""Who may see which attendance marks (see apps.core.access).

School admins: the whole school; teachers: the marks of the current-year sections they teach or
are class teacher of, and no others, even of a student they teach (`readable_section_ids`);
students: their own; parents: their children's. Staff only with the Django permission (no duty
grants it). The API applies the same rules to pending marks, which are not rows yet: it asks
these helpers which sections and students a caller may read, then `apps.attendance.selectors`
shapes the reads.
"""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404

from apps.academics import selectors as academics_selectors
from apps.academics.models import Section
from apps.accounts.models import Role, StudentProfile
from apps.accounts.scopes import visible_student_ids
from apps.core.access import is_platform_superuser, scope_queryset, scope_rule
from apps.core.compiled import CompiledQuery

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


def readable_sections(user, *, joined: bool = True) -> QuerySet[Section]:
    """Sections whose attendance `user` may read: the school's for admins and staff with the
    permission, the current year's taught sections for teachers, their own sections for
    students and parents (who then see only their own marks in them: `visible_marks`).
    `joined=False`: the sections' own columns only (no year, school, class or class teacher
    joined), for a read that needs no more than the section's id and school."""
    qs = Section.objects.all()
    if joined:
        qs = qs.select_related("year", "school", "school_class", "class_teacher")
    if is_platform_superuser(user):
        return qs
    qs = qs.filter(school_id=user.school_id)
    if user.role in (Role.ADMIN, Role.STAFF):
        return qs
    if user.role == Role.TEACHER:
        return qs.filter(pk__in=academics_selectors.taught_section_ids(user))
    return qs.filter(pk__in=academics_selectors.own_section_ids(user))


_SECTION_COLUMNS = tuple(f.attname for f in Section._meta.concrete_fields)

# The register read's lookup, on every read of a section's day: compiled once per role.
_readable_section_row = CompiledQuery(
    lambda user, section_id: (
        readable_sections(user, joined=False)
        .filter(pk=section_id)
        .order_by()
        .values(*_SECTION_COLUMNS)[:1]
    )
)


def readable_section(user, section_id, *, joined: bool = True) -> Section:
    """One of `readable_sections(user)`; any other id (another school's too) is a 404.
    `joined=False`: the section's own columns only, through SQL compiled once per role."""
    if not joined:
        try:
            section_id = uuid.UUID(str(section_id))
        except ValueError:
            raise Http404 from None
        rows = _readable_section_row.rows(user, section_id=section_id)
        if not rows:
            raise Http404
        return Section(**rows[0])
    section = readable_sections(user, joined=joined).filter(pk=section_id).first()
    if section is None:
        raise Http404
    return section


def readable_student(user, student_id) -> StudentProfile:
    """A student whose marks `user` may ask for (the people scope); else a 404. Which of the
    student's marks a teacher then reads is cut by `readable_section_ids`."""
    student = (
        scope_queryset(StudentProfile.objects.select_related("school"), user)
        .filter(pk=student_id)
        .first()
    )
    if student is None:
        raise Http404
    return student


def own_student(user) -> StudentProfile | None:
    """A student's own profile (their marks when they name no student); None for other roles."""
    if user.role != Role.STUDENT:
        return None
    return StudentProfile.objects.select_related("school").filter(user=user).first()


def visible_marks(user, marks: list[dict]) -> list[dict]:
    """Within a section they may open, students and parents see only their own (children's)
    marks; everyone else sees the section's."""
    if user.role not in (Role.STUDENT, Role.PARENT):
        return marks
    mine = {
        str(pk)
        for pk in StudentProfile.objects.filter(pk__in=visible_student_ids(user)).values_list(
            "pk", flat=True
        )
    }
    return [m for m in marks if m["student_id"] in mine]
