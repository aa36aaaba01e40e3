"""Reads that are reused: querysets with their joins done, so callers cannot cause N+1.

Who may see which rows is decided by `apps.core.access.scope_queryset` (rules in `scopes.py`);
these functions only shape the queries.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from apps.accounts.models import Role
from apps.accounts.scopes import visible_student_ids
from apps.core.compiled import CompiledQuery

from .models import (
    AcademicYear,
    Enrollment,
    SchoolClass,
    Section,
    Subject,
    TeachingAssignment,
    Term,
    TimetableEntry,
    section_display_name,
)


def academic_year_queryset() -> QuerySet[AcademicYear]:
    return AcademicYear.objects.all()


def term_queryset() -> QuerySet[Term]:
    return Term.objects.select_related("year")


def school_class_queryset() -> QuerySet[SchoolClass]:
    return SchoolClass.objects.all()


def subject_queryset() -> QuerySet[Subject]:
    return Subject.objects.all()


def section_queryset() -> QuerySet[Section]:
    return Section.objects.select_related("school_class", "year", "class_teacher__user").annotate(
        enrolled_count=Count("enrollments", distinct=True)
    )


def teaching_assignment_queryset() -> QuerySet[TeachingAssignment]:
    return TeachingAssignment.objects.select_related(
        "teacher__user", "section__school_class", "subject", "year"
    )


def enrollment_queryset() -> QuerySet[Enrollment]:
    return Enrollment.objects.select_related("student__user", "section__school_class", "year")


def timetable_queryset() -> QuerySet[TimetableEntry]:
    return TimetableEntry.objects.select_related(
        "section__school_class", "section__year", "subject", "teacher__user"
    )


# --- Relations used by the access rules ---------------------------------------------------------
def taught_section_ids(user, *, current_only: bool = True) -> QuerySet:
    """Ids of the sections `user` (a teacher) teaches a subject in or is class teacher of.

    With `current_only` (the default, used for access), only sections of the school's current
    year count: a teacher stops seeing last year's students once the new year is made current.
    """
    sections = Section.objects.filter(school_id=user.school_id).filter(
        Q(class_teacher__user_id=user.pk) | Q(teaching_assignments__teacher__user_id=user.pk)
    )
    if current_only:
        sections = sections.filter(year__is_current=True)
    return sections.values("pk")


def taught_students(user) -> QuerySet:
    """StudentProfile ids enrolled, in the current year, in the sections `user` teaches."""
    return Enrollment.objects.filter(
        school_id=user.school_id,
        year__is_current=True,
        section_id__in=taught_section_ids(user),
    ).values("student_id")


def own_section_ids(user) -> QuerySet:
    """Sections of the current year whose week is `user`'s own: a student's section, a parent's
    children's sections (for a teacher see `TimetableEntry.teacher`)."""

    if user.role not in (Role.STUDENT, Role.PARENT):
        return Section.objects.none().values("pk")
    return Enrollment.objects.filter(
        school_id=user.school_id,
        year__is_current=True,
        student_id__in=visible_student_ids(user),
    ).values("section_id")


def my_timetable(qs: QuerySet[TimetableEntry], user) -> QuerySet[TimetableEntry]:
    """`qs` cut to the caller's own week in the current year: the periods a teacher teaches,
    a student's section's periods, a parent's children's sections' periods."""
    qs = qs.filter(section__year__is_current=True)
    if user.role == Role.TEACHER:
        return qs.filter(teacher__user_id=user.pk)
    if user.role in (Role.STUDENT, Role.PARENT):
        return qs.filter(section_id__in=own_section_ids(user))
    return qs.none()


# Read for every page of a students list: compiled once per page size.
_current_enrollments = CompiledQuery(
    lambda student_ids: (
        Enrollment.objects.filter(student_id__in=student_ids, year__is_current=True)
        .order_by()
        .values(
            "student_id",
            "roll_number",
            "year_id",
            "year__name",
            "section_id",
            "section__name",
            "section__school_class_id",
            "section__school_class__name",
            "section__school_class__short_name",
        )
    )
)


def current_enrollment_summaries(student_ids) -> dict:
    """Where each of `student_ids` is this academic year (a student has at most one enrollment
    a year), as the API's `current_enrollment` dicts keyed by student id: one query for a page,
    no model instances."""
    rows = _current_enrollments.rows(student_ids=sorted(student_ids))
    return {
        row["student_id"]: {
            "academic_year": {"id": row["year_id"], "name": row["year__name"]},
            "school_class": {
                "id": row["section__school_class_id"],
                "name": row["section__school_class__name"],
            },
            "section": {
                "id": row["section_id"],
                "name": section_display_name(
                    row["section__school_class__name"],
                    row["section__school_class__short_name"],
                    row["section__name"],
                ),
            },
            "roll_number": row["roll_number"],
        }
        for row in rows
    }
