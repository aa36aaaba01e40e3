"""Putting students into sections.

A student is in exactly one section per year; a section holds at most `capacity` students;
roll numbers are unique within a section. Capacity and roll numbers are checked while the
section row is locked (select_for_update), so two admins enrolling at once cannot overfill it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from apps.accounts.models import StudentProfile, User
from apps.core import audit
from apps.core.services import audited_change, audited_delete

from ..models import Enrollment, Section
from ._common import refuse, save

ENROLLMENT_FIELDS = ["student", "section", "year", "roll_number"]


def _lock_sections(*pks) -> dict[Any, Section]:
    """Lock sections in a fixed order (by pk) so two moves in opposite directions never deadlock."""
    rows = (
        Section.objects.select_for_update(of=("self",))
        .select_related("school_class", "year")
        .filter(pk__in=pks)
        .order_by("pk")
    )
    return {row.pk: row for row in rows}


def _check_room_left(section: Section) -> None:
    taken = section.enrollments.count()
    if taken >= section.capacity:
        raise refuse(
            _("%(section)s is full (%(taken)d of %(capacity)d places taken).")
            % {"section": section.display_name, "taken": taken, "capacity": section.capacity},
            code="section_full",
            fields=["section"],
        )


def _check_roll_number(section: Section, roll_number: int, *, exclude_pk=None) -> None:
    holder = (
        Enrollment.objects.filter(section=section, roll_number=roll_number)
        .exclude(pk=exclude_pk)
        .select_related("student__user")
        .first()
    )
    if holder is not None:
        raise refuse(
            _("Roll number %(number)d in %(section)s is already taken by %(name)s.")
            % {
                "number": roll_number,
                "section": section.display_name,
                "name": holder.student.user.full_name,
            },
            code="duplicate_roll_number",
            fields=["roll_number"],
        )


def _next_roll_number(section: Section) -> int:
    highest = section.enrollments.aggregate(highest=Max("roll_number"))["highest"]
    return (highest or 0) + 1


@transaction.atomic
def enrollment_create(
    *,
    student: StudentProfile,
    section: Section,
    actor: User | None,
    roll_number: int | None = None,
) -> Enrollment:
    """Enroll `student` in `section` for the section's year.

    Refused when the student already has a section that year, when the section is full, or
    when the roll number is taken. Without a roll number the next free one is given."""
    section = _lock_sections(section.pk)[section.pk]
    existing = (
        Enrollment.objects.filter(student=student, year_id=section.year_id)
        .select_related("section__school_class")
        .first()
    )
    if existing is not None:
        raise refuse(
            _("%(name)s is already enrolled in %(section)s for %(year)s.")
            % {
                "name": student.user.full_name,
                "section": existing.section.display_name,
                "year": section.year.name,
            },
            code="already_enrolled",
            fields=["student"],
        )
    _check_room_left(section)
    if roll_number is None:
        roll_number = _next_roll_number(section)
    else:
        _check_roll_number(section, roll_number)
    enrollment = Enrollment(
        school_id=section.school_id,
        student=student,
        section=section,
        year_id=section.year_id,
        roll_number=roll_number,
    )
    save(enrollment)
    audit.record(
        actor=actor,
        action="enrollment.create",
        instance=enrollment,
        after=audit.snapshot(enrollment, ENROLLMENT_FIELDS),
    )
    return enrollment


@transaction.atomic
def enrollment_update(
    *, enrollment: Enrollment, actor: User | None, data: dict[str, Any]
) -> Enrollment:
    """Move a student to another section of the same year and/or change the roll number.

    A move needs room in the new section; without a roll number the student gets the next free
    one there."""
    target = data.get("section") or enrollment.section
    sections = _lock_sections(enrollment.section_id, target.pk)
    target = sections[target.pk]
    enrollment = Enrollment.objects.select_related("student__user").get(pk=enrollment.pk)
    with audited_change(
        enrollment, actor=actor, action="enrollment.update", fields=ENROLLMENT_FIELDS
    ):
        moving = target.pk != enrollment.section_id
        if moving:
            if target.year_id != enrollment.year_id:
                raise refuse(
                    _("A student can only move to a section of the same year (%(year)s).")
                    % {"year": sections[enrollment.section_id].year.name},
                    code="other_year",
                    fields=["section"],
                )
            _check_room_left(target)
        roll_number = data.get("roll_number")
        if roll_number is None:
            roll_number = _next_roll_number(target) if moving else enrollment.roll_number
        else:
            _check_roll_number(target, roll_number, exclude_pk=enrollment.pk)
        enrollment.section = target
        enrollment.roll_number = roll_number
        save(enrollment)
    return enrollment


@transaction.atomic
def enrollment_delete(*, enrollment: Enrollment, actor: User | None) -> None:
    audited_delete(enrollment, actor=actor, action="enrollment.delete", fields=ENROLLMENT_FIELDS)
