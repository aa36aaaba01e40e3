"""Handing in homework.

Rules (`submission_save`):
- only a student of one of the homework's sections, for published homework that takes work
  (not "done in class");
- the submission is a draft until turned in; turning in stamps the time and is on time or
  late against the student's own due date (their extension, else the homework's);
- nothing is accepted after the student's cut-off (under the refuse policy: after the due
  date);
- work turned in may be changed (it becomes a draft again until turned in anew) only until
  the due date, or after a teacher returned it for revision; excused work is closed;
- each turn-in is kept as a version with its text and files; a removed file stays with the
  versions it was part of;
- text and files as the homework's submission type allows; files as its allowed kinds, size
  limit and the platform's file count.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.academics.models import Enrollment
from apps.core import audit
from apps.core.exceptions import ApplicationError
from apps.core.services import refuse
from apps.core.signals import announce_change

from ..models import (
    TURNED_IN,
    Assignment,
    AssignmentStatus,
    Extension,
    Submission,
    SubmissionFile,
    SubmissionStatus,
    SubmissionType,
    SubmissionVersion,
)
from ..uploads import FileRefused, check_file, clean_name, storage_name
from .assignments import days_late, effective_dates


def _open_submission(assignment: Assignment, student) -> Submission:
    enrollment = (
        Enrollment.objects.filter(
            student=student, year__is_current=True, section__in=assignment.sections.all()
        )
        .only("section_id")
        .first()
    )
    if enrollment is None or assignment.status != AssignmentStatus.PUBLISHED:
        raise ApplicationError(_("Not found."), code="not_found", status_code=404)
    Submission.objects.get_or_create(
        assignment=assignment,
        student=student,
        defaults={"school_id": assignment.school_id, "section_id": enrollment.section_id},
    )
    return Submission.objects.select_for_update().get(assignment=assignment, student=student)


def _check_files(assignment: Assignment, files) -> list[tuple]:
    checked, errors = [], []
    for upload in files:
        try:
            kind, content_type = check_file(
                upload, allowed_kinds=assignment.allowed_kinds, limit=assignment.max_file_bytes
            )
        except FileRefused as exc:
            errors.append(f"{clean_name(upload.name, '')}: {exc.message}")
            codes = exc.code
            continue
        checked.append((upload, content_type))
    if errors:
        raise ApplicationError(" ".join(errors), code=codes, fields={"files": errors})
    return checked


@transaction.atomic
def submission_save(*, assignment: Assignment, student, text: str | None = None,
                    files=(), remove_files=(), turn_in: bool = False,
                    now=None) -> Submission:  # fmt: skip
    """Save the student's draft and, with `turn_in`, turn it in (rules in the module
    docstring)."""
    now = now or timezone.now()
    if assignment.submission_type == SubmissionType.NONE:
        raise refuse(_("This homework is done in class: there is nothing to hand in."),
                     code="nothing_to_hand_in")  # fmt: skip
    submission = _open_submission(assignment, student)
    extension = Extension.objects.filter(assignment=assignment, student=student).first()
    due, cutoff = effective_dates(assignment, extension)
    _check_open(submission, due, cutoff, now)
    files = list(files)
    _check_types(assignment, text, files)
    checked = _check_files(assignment, files)
    current = SubmissionFile.objects.filter(submission=submission, removed=False)
    if remove_files:
        current.filter(pk__in=list(remove_files)).update(removed=True, updated_at=now)
    if current.count() + len(checked) > settings.HOMEWORK_MAX_FILES:
        raise refuse(_("At most %(count)d files.") % {"count": settings.HOMEWORK_MAX_FILES},
                     code="too_many_files", fields=["files"])  # fmt: skip
    for upload, content_type in checked:
        name = clean_name(upload.name, content_type)
        row = SubmissionFile(school_id=submission.school_id, submission=submission, name=name,
                             content_type=content_type, size=upload.size)  # fmt: skip
        row.file.save(storage_name(name), upload, save=False)
        row.save()
    if text is not None:
        submission.text = text
    if text is not None or checked or remove_files:
        submission.status = SubmissionStatus.DRAFT  # changed work is turned in anew
    if turn_in:
        _turn_in(submission, assignment, due, now)
    submission.save()
    return submission


def _check_open(submission: Submission, due, cutoff, now) -> None:
    if submission.status == SubmissionStatus.EXCUSED:
        raise refuse(_("This work is excused."), code="excused")
    if submission.status in TURNED_IN and now > due:
        raise refuse(_("Work turned in cannot be changed after the due date unless your "
                       "teacher returns it."), code="already_turned_in")  # fmt: skip
    if cutoff is not None and now > cutoff:
        raise refuse(_("The cut-off has passed: nothing more is accepted."),
                     code="past_cutoff")  # fmt: skip


def _check_types(assignment: Assignment, text, files) -> None:
    if text and assignment.submission_type == SubmissionType.FILES:
        raise refuse(_("This homework takes files, not text."), code="text_not_taken",
                     fields=["text"])  # fmt: skip
    if files and assignment.submission_type == SubmissionType.TEXT:
        raise refuse(_("This homework takes text, not files."), code="files_not_taken",
                     fields=["files"])  # fmt: skip


def _turn_in(submission: Submission, assignment: Assignment, due, now) -> None:
    file_ids = list(
        SubmissionFile.objects.filter(submission=submission, removed=False).values_list(
            "pk", flat=True
        )
    )
    kind = assignment.submission_type
    if kind in (SubmissionType.TEXT,) and not submission.text.strip():
        raise refuse(_("Write your answer before turning it in."), code="empty", fields=["text"])
    if kind == SubmissionType.FILES and not file_ids:
        raise refuse(_("Attach a file before turning it in."), code="empty", fields=["files"])
    if kind == SubmissionType.BOTH and not (file_ids or submission.text.strip()):
        raise refuse(_("Write an answer or attach a file before turning it in."),
                     code="empty", fields=["text"])  # fmt: skip
    late = days_late(now, due)
    submission.status = SubmissionStatus.LATE if late else SubmissionStatus.ON_TIME
    submission.days_late = late
    submission.turned_in_at = now
    submission.version += 1
    SubmissionVersion.objects.create(
        school_id=submission.school_id, submission=submission, number=submission.version,
        text=submission.text, file_ids=[str(pk) for pk in file_ids], turned_in_at=now,
        late=bool(late),
    )  # fmt: skip
    announce_change(submission.school_id, "homework")


@transaction.atomic
def submission_return(*, submission: Submission, actor, comment: str = "") -> Submission:
    """A teacher returns turned-in work for revision: the student may change and turn it in
    again (the cut-off still applies). Audited."""
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if submission.status not in TURNED_IN:
        raise refuse(_("Only work that was turned in can be returned."), code="not_turned_in")
    before = audit.snapshot(submission, ["status"])
    submission.status = SubmissionStatus.RETURNED
    submission.save(update_fields=["status", "updated_at"])
    audit.record(actor=actor, action="homework.submission.return", instance=submission,
                 before=before, after={"status": submission.status, "comment": comment})  # fmt: skip
    return submission
