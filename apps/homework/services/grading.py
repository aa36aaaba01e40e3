"""Grading homework: marks and comments for a whole section at once, the late penalty, release
to families, CSV of marks, and a ZIP of everyone's files (a background job).

Rules:
- only homework with maximum marks is graded; marks lie between 0 and the maximum;
- the penalty under the "penalty" policy is `days late x percent per day`, at most the cap,
  taken off the marks given (`final_marks`); other policies take nothing off;
- a student may be marked excused instead (their work is then excused, no grade needed);
- grades are drafts, seen only by teachers and school admins, until released for the whole
  homework or for chosen students; release notifies the families (one message per student's
  family and student);
- every change of a grade is audit-logged; a section's grades cost a fixed number of queries.
"""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.academics.models import Enrollment
from apps.accounts.models import Guardian
from apps.core import audit, csv_export, jobs, queue
from apps.core.exceptions import ApplicationError
from apps.core.services import refuse
from apps.core.signals import announce_change

from ..models import Assignment, Grade, LatePolicy, Submission, SubmissionStatus

CENT = Decimal("0.01")
GRADE_FIELDS = ["marks", "penalty_percent", "final_marks", "comment", "released_at"]
ZIP_TASK = "apps.homework.tasks.build_submissions_zip"


def penalty_for(assignment: Assignment, days_late: int) -> Decimal:
    if assignment.late_policy != LatePolicy.PENALTY or not days_late:
        return Decimal("0")
    return min(assignment.penalty_percent_per_day * days_late, assignment.penalty_cap_percent)


def roster(assignment: Assignment, student_ids=None) -> list[Enrollment]:
    """The students of the homework's sections this year (optionally only `student_ids`)."""
    qs = Enrollment.objects.filter(
        year__is_current=True, section__in=assignment.sections.all()
    ).select_related("student__user", "section__school_class")
    if student_ids is not None:
        qs = qs.filter(student_id__in=student_ids)
    return list(qs.order_by("section__school_class__order", "section__name", "roll_number"))


def _excuse(assignment, submission, student_id, enrolled) -> Submission:
    if submission is None:
        submission = Submission(
            school_id=assignment.school_id, assignment=assignment, student_id=student_id,
            section_id=enrolled[student_id].section_id,
        )  # fmt: skip
    submission.status = SubmissionStatus.EXCUSED
    return submission


def _check_rows(assignment: Assignment, rows: list[dict], allowed_student_ids) -> dict:
    """The enrollments of the rows' students; a 400 naming each bad row."""
    enrolled = {e.student_id: e for e in roster(assignment, [r["student"] for r in rows])}
    if allowed_student_ids is not None:
        enrolled = {k: v for k, v in enrolled.items() if k in allowed_student_ids}
    errors = {}
    for index, row in enumerate(rows):
        if row["student"] not in enrolled:
            errors[str(index)] = {"student": [_("Not a student of this homework's sections.")]}
        elif row.get("marks") is not None and row["marks"] > assignment.max_marks:
            errors[str(index)] = {"marks": [_("At most %(max)s.") % {"max": assignment.max_marks}]}
    if errors:
        raise ApplicationError(_("Some rows cannot be saved."), code="invalid_rows",
                               fields={"grades": errors})  # fmt: skip
    return enrolled


@transaction.atomic
def grades_save(*, assignment: Assignment, actor, rows: list[dict], allowed_student_ids=None
                ) -> list[Grade]:  # fmt: skip
    """Save the marks and comments of many students at once (module docstring). `rows` hold
    `student` (id), `marks` (or None to leave ungraded), `comment`, `excused`."""
    if not assignment.max_marks and any(r.get("marks") is not None for r in rows):
        raise refuse(_("This homework is ungraded."), code="ungraded", fields=["grades"])
    wanted = [r["student"] for r in rows]
    enrolled = _check_rows(assignment, rows, allowed_student_ids)
    submissions = {
        s.student_id: s
        for s in Submission.objects.select_for_update().filter(
            assignment=assignment, student_id__in=wanted
        )
    }
    existing = {g.student_id: g for g in Grade.objects.filter(assignment=assignment,
                                                              student_id__in=wanted)}  # fmt: skip
    now = timezone.now()
    to_save, entries, excused = [], [], []
    for row in rows:
        student_id = row["student"]
        submission = submissions.get(student_id)
        if row.get("excused"):
            excused.append(_excuse(assignment, submission, student_id, enrolled))
        if row.get("marks") is None:
            continue
        grade = existing.get(student_id) or Grade(
            school_id=assignment.school_id, assignment=assignment, student_id=student_id
        )
        grade.assignment = assignment  # its __str__ (the audit's label) needs no query
        before = audit.snapshot(grade, GRADE_FIELDS) if grade.pk else None
        days = submission.days_late if submission else 0
        grade.marks = row["marks"]
        grade.penalty_percent = penalty_for(assignment, days)
        grade.final_marks = (grade.marks * (100 - grade.penalty_percent) / 100).quantize(
            CENT, ROUND_HALF_UP
        )
        grade.comment = row.get("comment") or ""
        grade.graded_by = actor
        grade.updated_at = now
        to_save.append(grade)
        entries.append({"actor": actor, "action": "homework.grade", "instance": grade,
                        "school": assignment.school,
                        "before": before, "after": audit.snapshot(grade, GRADE_FIELDS)})  # fmt: skip
    if excused:
        Submission.objects.bulk_create(
            excused, update_conflicts=True, unique_fields=["assignment", "student"],
            update_fields=["status", "updated_at"],
        )  # fmt: skip
    if to_save:
        Grade.objects.bulk_create(
            to_save, update_conflicts=True, unique_fields=["assignment", "student"],
            update_fields=["marks", "penalty_percent", "final_marks", "comment", "graded_by",
                           "updated_at"],
        )  # fmt: skip
        audit.record_many(entries)
        announce_change(assignment.school_id, "homework")
    return to_save


@transaction.atomic
def grades_release(*, assignment: Assignment, actor, student_ids=None) -> int:
    """Release the draft grades of the homework (or of `student_ids`) and tell the families."""
    from apps.notifications.kinds import HOMEWORK_GRADED
    from apps.notifications.services import Message, notify_many

    now = timezone.now()
    grades = Grade.objects.filter(assignment=assignment, released_at__isnull=True)
    if student_ids is not None:
        grades = grades.filter(student_id__in=list(student_ids))
    released = list(grades.select_related("student__user"))
    if not released:
        return 0
    Grade.objects.filter(pk__in=[g.pk for g in released]).update(released_at=now, updated_at=now)
    audit.record_many([{"actor": actor, "action": "homework.grade.release", "instance": g,
                        "school": assignment.school,
                        "after": {"released_at": now.isoformat()}} for g in released])  # fmt: skip
    parents: dict = {}
    for link in Guardian.objects.filter(
        student_id__in=[g.student_id for g in released]
    ).select_related("parent"):
        parents.setdefault(link.student_id, []).append(link.parent)
    messages = [
        Message(
            recipients=[g.student.user, *parents.get(g.student_id, [])],
            kind=HOMEWORK_GRADED,
            title=gettext_lazy("Homework graded"),
            body=_released_body(assignment, g),
            data={"homework": str(assignment.pk), "student": str(g.student_id)},
            dedupe_key=f"homework.graded:{assignment.pk}:{g.student_id}",
        )
        for g in released
    ]
    notify_many(messages)
    announce_change(assignment.school_id, "homework")
    return len(released)


def _released_body(assignment: Assignment, grade: Grade) -> str:
    # Rendered in each recipient's language by notify (a lazy string would be; values are
    # numbers and the title, which need no translation).
    return f"{assignment.title}: {grade.final_marks} / {assignment.max_marks} ({grade.student.user.full_name})"


# --- CSV --------------------------------------------------------------------------------------
CSV_HEADER = ["admission_number", "roll_number", "section", "name", "status", "days_late",
              "marks", "penalty_percent", "final_marks", "comment"]  # fmt: skip


def grades_csv(*, assignment: Assignment, student_ids=None) -> str:
    """Every student of the homework with their work's status and grade, as CSV text."""
    enrollments = roster(assignment)
    if student_ids is not None:
        allowed = set(student_ids)
        enrollments = [e for e in enrollments if e.student_id in allowed]
    subs = {s.student_id: s for s in Submission.objects.filter(assignment=assignment)}
    grades = {g.student_id: g for g in Grade.objects.filter(assignment=assignment)}
    out = io.StringIO()
    writer = csv_export.writer(out)
    writer.writerow(CSV_HEADER)
    for e in enrollments:
        s, g = subs.get(e.student_id), grades.get(e.student_id)
        writer.writerow([
            e.student.admission_number, e.roll_number, e.section.display_name,
            e.student.user.full_name, s.status if s else "", s.days_late if s else "",
            g.marks if g else "", g.penalty_percent if g else "", g.final_marks if g else "",
            g.comment if g else "",
        ])  # fmt: skip
    return out.getvalue()


def grades_import_csv(*, assignment: Assignment, actor, raw: bytes, allowed_student_ids=None
                      ) -> int:  # fmt: skip
    """Marks and comments from a CSV in the download's shape (by admission number); empty
    marks leave a student ungraded. Rows with errors are a 400 naming the line."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise refuse(_("The file is not UTF-8 text."), code="not_utf8", fields=["file"]) from exc
    reader = csv.DictReader(io.StringIO(text))
    if (
        not reader.fieldnames
        or "admission_number" not in reader.fieldnames
        or ("marks" not in reader.fieldnames)
    ):
        raise refuse(_("The CSV needs the columns admission_number and marks."),
                     code="bad_header", fields=["file"])  # fmt: skip
    by_number = {e.student.admission_number: e.student_id for e in roster(assignment)}
    rows, errors = [], {}
    for line, record in enumerate(reader, start=2):
        number = csv_export.unescape((record.get("admission_number") or "").strip())
        if number not in by_number:
            errors[str(line)] = [_("Unknown admission number.")]
            continue
        raw_marks = (record.get("marks") or "").strip()
        try:
            marks = Decimal(raw_marks) if raw_marks else None
        except InvalidOperation:
            errors[str(line)] = [_("Marks must be a number.")]
            continue
        if marks is not None and marks < 0:
            errors[str(line)] = [_("Marks must be a number.")]
            continue
        comment = csv_export.unescape(record.get("comment") or "")
        rows.append({"student": by_number[number], "marks": marks, "comment": comment})
    if errors:
        raise ApplicationError(_("Some lines cannot be read."), code="invalid_rows",
                               fields={"file": errors})  # fmt: skip
    return len(grades_save(assignment=assignment, actor=actor, rows=rows,
                           allowed_student_ids=allowed_student_ids))  # fmt: skip


# --- ZIP of every submission's files ------------------------------------------------------------
def submissions_zip_start(*, assignment: Assignment, actor):
    job = jobs.job_create(school=assignment.school, kind="homework.submissions_zip",
                          requested_by=actor, params={"homework": str(assignment.pk)})  # fmt: skip
    queue.enqueue_on_commit(ZIP_TASK, str(job.pk))
    return job


def submissions_zip_run(*, job_id) -> None:
    """Build the ZIP: one folder per student, the files of their current work."""
    from apps.core.models import Job

    from ..models import SubmissionFile

    job = Job.objects.get(pk=job_id)
    with jobs.running(job_id) as report:
        if report is None:
            return
        files = list(
            SubmissionFile.objects.filter(
                submission__assignment_id=job.params["homework"], removed=False
            )
            .select_related("submission__student__user", "submission__section__school_class")
            .order_by("submission__section_id", "submission__student__user__full_name")
        )
        report.total(len(files))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for index, row in enumerate(files, start=1):
                student = row.submission.student
                folder = f"{row.submission.section.display_name}/{student.admission_number} {student.user.full_name}"
                with row.file.open("rb") as handle:
                    archive.writestr(f"{folder}/{index:03d}-{row.name}", handle.read())
                report.advance()
        report.attach(f"homework-{job.params['homework']}.zip", buffer.getvalue())
        report.succeed({"files": len(files)})
