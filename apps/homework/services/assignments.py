"""Setting homework: create, edit, publish (now or by beat), attach files, extend per student.

Rules:
- a teacher sets homework only in a subject they teach in every chosen section (a school admin
  in any section of the school); sections are of the school's current year;
- the cut-off is not before the due date; the file size limit is within the platform's cap;
- a published homework is not made a draft again; moving its due date moves every student's
  extension by the same amount, so an extension keeps its extra time;
- a homework with work turned in is not deleted;
- an extension is the student's own due date (and cut-off), with a reason, audited;
- a homework counting toward the gradebook (`counts_toward`) is graded, and names an
  internal-assessment component of the assessment plan of its sections' class and year, in
  which its subject is assessed.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.academics.models import Enrollment
from apps.accounts.models import Role
from apps.core import audit
from apps.core.services import apply_fields, audited_change, refuse, save_checked
from apps.core.signals import announce_change

from .. import scopes
from ..models import (
    TURNED_IN,
    Assignment,
    AssignmentStatus,
    Attachment,
    Extension,
    Submission,
    SubmissionStatus,
)
from ..uploads import FileRefused, check_file, clean_name, storage_name

FIELDS = [
    "title", "instructions", "instructions_markdown", "assigned_on", "due_at", "cutoff_at",
    "max_marks", "late_policy", "penalty_percent_per_day", "penalty_cap_percent",
    "submission_type", "allowed_kinds", "max_file_bytes", "status", "publish_at",
    "counts_toward",
]  # fmt: skip
AUDITED = FIELDS + ["published_at"]


def _check_sections(*, actor, subject, sections) -> None:
    if not sections:
        raise refuse(_("Choose at least one section."), code="required", fields=["sections"])
    if any(not s.year.is_current for s in sections):
        raise refuse(_("Homework is set for sections of the current year."),
                     code="not_current_year", fields=["sections"])  # fmt: skip
    if actor.role == Role.TEACHER and scopes.sections_not_taught(
        actor, subject.pk, [s.pk for s in sections]
    ):
        raise refuse(
            _("You can set homework only in a subject you teach in every chosen section."),
            code="not_your_section",
            fields=["sections"],
        )


def counts_toward_problems(*, component, subject, sections, max_marks) -> dict[str, str]:
    """What is wrong with counting a homework toward `component` (empty when nothing): shared
    by the API and the admin form."""
    from apps.exams.models import Part

    if component is None:
        return {}
    if component.part != Part.INTERNAL:
        return {"counts_toward": _("Homework counts only toward an internal-assessment component.")}
    if max_marks is None:
        return {"counts_toward": _("Only graded homework counts toward the gradebook.")}
    plan = component.plan_term.plan
    if any(s.school_class_id != plan.school_class_id or s.year_id != plan.year_id
           for s in sections):  # fmt: skip
        return {"counts_toward": _("The sections are not of this plan's class and year.")}
    if subject is not None and not plan.subjects.filter(subject_id=subject.pk).exists():
        return {"counts_toward": _("The subject is not in this class's assessment plan.")}
    return {}


def _check_counts_toward(assignment: Assignment, sections) -> None:
    problems = counts_toward_problems(
        component=assignment.counts_toward, subject=assignment.subject,
        sections=sections, max_marks=assignment.max_marks,
    )  # fmt: skip
    if problems:
        name, message = next(iter(problems.items()))
        raise refuse(message, code="counts_toward_invalid", fields=[name])


def _apply_status(assignment: Assignment, status: str | None) -> None:
    if status is None:
        return
    if assignment.pk and assignment.published_at and status != AssignmentStatus.PUBLISHED:
        raise refuse(_("A published homework cannot go back to draft or scheduled."),
                     code="already_published", fields=["status"])  # fmt: skip
    assignment.status = status
    if status == AssignmentStatus.PUBLISHED and assignment.published_at is None:
        assignment.published_at = timezone.now()


@transaction.atomic
def assignment_create(*, school, actor, data: dict) -> Assignment:
    """Set homework (see the module docstring for the rules)."""
    data = dict(data)
    sections = list(data.pop("sections", []))
    _check_sections(actor=actor, subject=data["subject"], sections=sections)
    status = data.pop("status", AssignmentStatus.DRAFT)
    assignment = Assignment(school=school, created_by=actor, subject=data.pop("subject"))
    apply_fields(assignment, FIELDS, data)
    if not assignment.assigned_on:
        assignment.assigned_on = timezone.localdate()
    _apply_status(assignment, status)
    _check_counts_toward(assignment, sections)
    save_checked(assignment)
    assignment.sections.set(sections)
    audit.record(actor=actor, action="homework.create", instance=assignment,
                 after=audit.snapshot(assignment, AUDITED))  # fmt: skip
    announce_change(assignment.school_id, "homework")
    return assignment


@transaction.atomic
def assignment_update(*, assignment: Assignment, actor, data: dict) -> Assignment:
    """Edit homework; a new due date moves the extensions with it (module docstring)."""
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    data = dict(data)
    sections = data.pop("sections", None)
    old_due = assignment.due_at
    with audited_change(assignment, actor=actor, action="homework.update", fields=AUDITED):
        _apply_status(assignment, data.pop("status", None))
        apply_fields(assignment, FIELDS, data)
        save_checked(assignment)
    if sections is not None:
        _check_sections(actor=actor, subject=assignment.subject, sections=list(sections))
        assignment.sections.set(sections)
    if assignment.counts_toward_id:
        current = sections if sections is not None else assignment.sections.all()
        _check_counts_toward(assignment, list(current))
    if assignment.due_at != old_due:
        _shift_extensions(assignment, assignment.due_at - old_due, actor)
        _restamp_lateness(assignment)
    announce_change(assignment.school_id, "homework")
    return assignment


def _shift_extensions(assignment: Assignment, delta: dt.timedelta, actor) -> None:
    extensions = list(assignment.extensions.all())
    entries = []
    for extension in extensions:
        before = audit.snapshot(extension, ["due_at", "cutoff_at"])
        extension.due_at += delta
        if extension.cutoff_at:
            extension.cutoff_at += delta
        entries.append({"actor": actor, "action": "homework.extension.shift",
                        "instance": extension, "before": before, "school": assignment.school,
                        "after": audit.snapshot(extension, ["due_at", "cutoff_at"])})  # fmt: skip
    Extension.objects.bulk_update(extensions, ["due_at", "cutoff_at", "updated_at"])
    audit.record_many(entries)


def _restamp_lateness(assignment: Assignment) -> None:
    """Work already turned in is on time or late against the new due dates."""
    extensions = {e.student_id: e for e in assignment.extensions.all()}
    changed = []
    for submission in assignment.submissions.filter(status__in=TURNED_IN):
        due, _cutoff = effective_dates(assignment, extensions.get(submission.student_id))
        days = days_late(submission.turned_in_at, due)
        status = SubmissionStatus.LATE if days else SubmissionStatus.ON_TIME
        if (status, days) != (submission.status, submission.days_late):
            submission.status, submission.days_late = status, days
            changed.append(submission)
    Submission.objects.bulk_update(changed, ["status", "days_late", "updated_at"])


def days_late(when: dt.datetime, due: dt.datetime) -> int:
    """Whole days (started) past the due moment; 0 when on time."""
    if when <= due:
        return 0
    return -(-(when - due) // dt.timedelta(days=1))


def effective_dates(assignment: Assignment, extension: Extension | None):
    """(due, cut-off) for one student: their extension's, else the homework's. Under the
    refuse policy the cut-off is the due date."""
    if extension is None:
        due, cutoff = assignment.due_at, assignment.cutoff_at
    else:
        due, cutoff = extension.due_at, extension.cutoff_at
        if cutoff is None and assignment.cutoff_at:
            cutoff = max(assignment.cutoff_at, due)
    if assignment.late_policy == "refuse":
        cutoff = due
    return due, cutoff


@transaction.atomic
def assignment_publish(*, assignment: Assignment, actor) -> Assignment:
    return assignment_update(assignment=assignment, actor=actor,
                             data={"status": AssignmentStatus.PUBLISHED})  # fmt: skip


@transaction.atomic
def assignment_delete(*, assignment: Assignment, actor) -> None:
    if assignment.submissions.filter(status__in=TURNED_IN).exists():
        raise refuse(_("Work has been turned in for this homework; it cannot be deleted."),
                     code="has_submissions")  # fmt: skip
    audit.record(actor=actor, action="homework.delete", instance=assignment,
                 before=audit.snapshot(assignment, AUDITED))  # fmt: skip
    assignment.delete()


def scheduled_publish(*, now: dt.datetime | None = None) -> int:
    """Publish every scheduled homework whose time has come (beat); one UPDATE."""
    now = now or timezone.now()
    return Assignment.objects.filter(status=AssignmentStatus.SCHEDULED, publish_at__lte=now).update(
        status=AssignmentStatus.PUBLISHED, published_at=now, updated_at=now
    )


@transaction.atomic
def attachment_add(*, assignment: Assignment, actor, upload) -> Attachment:
    """Attach a teacher's file, checked like a student's (the platform's kinds and cap)."""
    from django.conf import settings

    from ..models import FileKind

    try:
        kind, content_type = check_file(
            upload, allowed_kinds=list(FileKind.values), limit=settings.HOMEWORK_MAX_FILE_BYTES
        )
    except FileRefused as exc:
        raise refuse(exc.message, code=exc.code, fields=["file"]) from exc
    name = clean_name(upload.name, content_type)
    attachment = Attachment(school_id=assignment.school_id, assignment=assignment, name=name,
                            content_type=content_type, size=upload.size)  # fmt: skip
    attachment.file.save(storage_name(name), upload, save=False)
    attachment.save()
    audit.record(actor=actor, action="homework.attachment.add", instance=attachment,
                 after={"name": name, "size": upload.size})  # fmt: skip
    return attachment


@transaction.atomic
def extension_grant(*, assignment: Assignment, actor, student, due_at, cutoff_at=None,
                    reason: str) -> Extension:  # fmt: skip
    """Give `student` their own due date (and cut-off): later than the homework's, for a
    student of one of its sections; granting again replaces it. Audited."""
    enrolled = Enrollment.objects.filter(
        student=student, year__is_current=True, section__in=assignment.sections.all()
    ).exists()
    if not enrolled:
        raise refuse(_("This student is not in a section of this homework."),
                     code="not_in_section", fields=["student"])  # fmt: skip
    if due_at <= assignment.due_at:
        raise refuse(_("An extension ends after the homework's due date."),
                     code="not_later", fields=["due_at"])  # fmt: skip
    if cutoff_at is not None and cutoff_at < due_at:
        raise refuse(_("The cut-off cannot be before the due date."),
                     code="cutoff_before_due", fields=["cutoff_at"])  # fmt: skip
    extension = Extension.objects.select_for_update().filter(
        assignment=assignment, student=student
    ).first() or Extension(school_id=assignment.school_id, assignment=assignment, student=student)
    fields = ["due_at", "cutoff_at", "reason"]
    before = audit.snapshot(extension, fields) if extension.pk else None
    extension.due_at, extension.cutoff_at, extension.reason = due_at, cutoff_at, reason
    extension.granted_by = actor
    save_checked(extension)
    audit.record(actor=actor, action="homework.extension", instance=extension, before=before,
                 after=audit.snapshot(extension, fields))  # fmt: skip
    return extension
