"""Classes, sections, subjects and teaching assignments.

Every related row a caller passes in has already been found inside the caller's school (the
API looks ids up through `scope_queryset`); `full_clean()` checks it again, so no path links
rows of two schools.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.models import School, TeacherProfile, User
from apps.core import audit
from apps.core.services import audited_change, audited_delete

from ..models import (
    AcademicYear,
    SchoolClass,
    Section,
    Subject,
    TeachingAssignment,
    TimetableEntry,
)
from ._common import apply, refuse, save

CLASS_FIELDS = ["name", "short_name", "order"]
SECTION_FIELDS = ["school_class", "year", "name", "class_teacher", "room", "capacity"]
SUBJECT_FIELDS = ["name", "code"]
ASSIGNMENT_FIELDS = ["teacher", "section", "subject", "year"]


# --- Classes --------------------------------------------------------------------------------------
def _check_class_name(school_class: SchoolClass) -> None:
    taken = SchoolClass.objects.filter(
        school_id=school_class.school_id, name__iexact=school_class.name
    ).exclude(pk=school_class.pk)
    if taken.exists():
        raise refuse(
            _("A class named %(name)s already exists.") % {"name": school_class.name},
            code="duplicate_name",
            fields=["name"],
        )


@transaction.atomic
def school_class_create(
    *, school: School, actor: User | None, name: str, short_name: str = "", order: int = 0
) -> SchoolClass:
    """A class of the school; its name is unique within the school."""
    school_class = SchoolClass(
        school=school, name=name.strip(), short_name=short_name.strip(), order=order
    )
    _check_class_name(school_class)
    save(school_class)
    audit.record(
        actor=actor,
        action="school_class.create",
        instance=school_class,
        after=audit.snapshot(school_class, CLASS_FIELDS),
    )
    return school_class


@transaction.atomic
def school_class_update(
    *, school_class: SchoolClass, actor: User | None, data: dict[str, Any]
) -> SchoolClass:
    with audited_change(
        school_class, actor=actor, action="school_class.update", fields=CLASS_FIELDS
    ):
        apply(school_class, CLASS_FIELDS, data)
        school_class.name = school_class.name.strip()
        school_class.short_name = school_class.short_name.strip()
        _check_class_name(school_class)
        save(school_class)
    return school_class


@transaction.atomic
def school_class_delete(*, school_class: SchoolClass, actor: User | None) -> None:
    """Delete a class that has no sections in any year."""
    count = school_class.sections.count()
    if count:
        raise refuse(
            _("%(name)s still has %(count)d section(s); delete them first.")
            % {"name": school_class.name, "count": count},
            code="in_use",
        )
    audited_delete(school_class, actor=actor, action="school_class.delete", fields=CLASS_FIELDS)


# --- Sections -------------------------------------------------------------------------------------
def _check_section_name(section: Section) -> None:
    taken = Section.objects.filter(
        year_id=section.year_id, school_class_id=section.school_class_id, name__iexact=section.name
    ).exclude(pk=section.pk)
    if taken.exists():
        raise refuse(
            _("%(section)s already exists in %(year)s.")
            % {"section": section.display_name, "year": section.year.name},
            code="duplicate_name",
            fields=["name"],
        )


@transaction.atomic
def section_create(
    *,
    school_class: SchoolClass,
    year: AcademicYear,
    actor: User | None,
    name: str,
    class_teacher: TeacherProfile | None = None,
    room: str = "",
    capacity: int = 40,
) -> Section:
    """A section of `school_class` in `year`; (year, class, name) is unique."""
    section = Section(
        school_id=school_class.school_id,
        school_class=school_class,
        year=year,
        name=name.strip(),
        class_teacher=class_teacher,
        room=room.strip(),
        capacity=capacity,
    )
    _check_section_name(section)
    save(section)
    audit.record(
        actor=actor,
        action="section.create",
        instance=section,
        after=audit.snapshot(section, SECTION_FIELDS),
    )
    return section


@transaction.atomic
def section_update(*, section: Section, actor: User | None, data: dict[str, Any]) -> Section:
    """Change a section's name, class teacher, room or capacity (its class and year stay).

    The capacity cannot drop below the number of students already enrolled."""
    section = (
        Section.objects.select_for_update(of=("self",))
        .select_related("school_class", "year")
        .get(pk=section.pk)
    )
    with audited_change(section, actor=actor, action="section.update", fields=SECTION_FIELDS):
        apply(section, ["name", "class_teacher", "room", "capacity"], data)
        section.name = section.name.strip()
        section.room = section.room.strip()
        _check_section_name(section)
        if "capacity" in data:
            enrolled = section.enrollments.count()
            if section.capacity < enrolled:
                raise refuse(
                    _("%(section)s already has %(count)d students; the capacity cannot be lower.")
                    % {"section": section.display_name, "count": enrolled},
                    code="capacity_below_enrolled",
                    fields=["capacity"],
                )
        save(section)
    return section


@transaction.atomic
def section_delete(*, section: Section, actor: User | None) -> None:
    """Delete a section nobody is enrolled in; its teaching assignments and timetable go too."""
    section = (
        Section.objects.select_for_update(of=("self",))
        .select_related("school_class")
        .get(pk=section.pk)
    )
    enrolled = section.enrollments.count()
    if enrolled:
        raise refuse(
            _("%(section)s still has %(count)d enrolled student(s); move or remove them first.")
            % {"section": section.display_name, "count": enrolled},
            code="in_use",
        )
    audited_delete(section, actor=actor, action="section.delete", fields=SECTION_FIELDS)


# --- Subjects -------------------------------------------------------------------------------------
def _check_subject_code(subject: Subject) -> None:
    taken = Subject.objects.filter(school_id=subject.school_id, code__iexact=subject.code)
    if taken.exclude(pk=subject.pk).exists():
        raise refuse(
            _("The code %(code)s is already used by another subject.") % {"code": subject.code},
            code="duplicate_code",
            fields=["code"],
        )


@transaction.atomic
def subject_create(*, school: School, actor: User | None, name: str, code: str) -> Subject:
    """A subject of the school; its code (upper-cased) is unique within the school."""
    subject = Subject(school=school, name=name.strip(), code=code.strip().upper())
    _check_subject_code(subject)
    save(subject)
    audit.record(
        actor=actor,
        action="subject.create",
        instance=subject,
        after=audit.snapshot(subject, SUBJECT_FIELDS),
    )
    return subject


@transaction.atomic
def subject_update(*, subject: Subject, actor: User | None, data: dict[str, Any]) -> Subject:
    with audited_change(subject, actor=actor, action="subject.update", fields=SUBJECT_FIELDS):
        apply(subject, SUBJECT_FIELDS, data)
        subject.name = subject.name.strip()
        subject.code = subject.code.strip().upper()
        _check_subject_code(subject)
        save(subject)
    return subject


@transaction.atomic
def subject_delete(*, subject: Subject, actor: User | None) -> None:
    """Delete a subject nobody teaches and no timetable uses."""
    if subject.teaching_assignments.exists() or subject.timetable_entries.exists():
        raise refuse(
            _("%(name)s is still taught or on a timetable; remove those first.")
            % {"name": subject.name},
            code="in_use",
        )
    audited_delete(subject, actor=actor, action="subject.delete", fields=SUBJECT_FIELDS)


# --- Teaching assignments -------------------------------------------------------------------------
@transaction.atomic
def teaching_assignment_create(
    *, teacher: TeacherProfile, section: Section, subject: Subject, actor: User | None
) -> TeachingAssignment:
    """`teacher` teaches `subject` to `section` (in the section's year). Several teachers may
    share a subject in a section; the same teacher is assigned once."""
    assignment = TeachingAssignment(
        school_id=section.school_id,
        teacher=teacher,
        section=section,
        subject=subject,
        year_id=section.year_id,
    )
    duplicate = TeachingAssignment.objects.filter(
        teacher=teacher, section=section, subject=subject
    ).exists()
    if duplicate:
        raise refuse(
            _("%(teacher)s already teaches %(subject)s in %(section)s.")
            % {
                "teacher": teacher.user.full_name,
                "subject": subject.name,
                "section": section.display_name,
            },
            code="duplicate_assignment",
            fields=["teacher"],
        )
    save(assignment)
    audit.record(
        actor=actor,
        action="teaching_assignment.create",
        instance=assignment,
        after=audit.snapshot(assignment, ASSIGNMENT_FIELDS),
    )
    return assignment


@transaction.atomic
def teaching_assignment_delete(*, assignment: TeachingAssignment, actor: User | None) -> None:
    """End an assignment; refused while the teacher still has timetable periods for it."""
    periods = TimetableEntry.objects.filter(
        section_id=assignment.section_id,
        subject_id=assignment.subject_id,
        teacher_id=assignment.teacher_id,
    ).count()
    if periods:
        raise refuse(
            _(
                "%(teacher)s still has %(count)d %(subject)s period(s) in %(section)s; remove them "
                "from the timetable first."
            )
            % {
                "teacher": assignment.teacher.user.full_name,
                "count": periods,
                "subject": assignment.subject.name,
                "section": assignment.section.display_name,
            },
            code="in_use",
        )
    audited_delete(
        assignment, actor=actor, action="teaching_assignment.delete", fields=ASSIGNMENT_FIELDS
    )
