"""Internal-assessment marks from homework: one paper (exam × section × subject) of an
internal-assessment component, its marks computed from the released homework grades of the
homework that counts toward the component, and written through marks entry.

The arithmetic, per student enrolled in the section:
- the homework counted is graded, published homework of the paper's subject, set for the
  section, naming the exam's component (`counts_toward`), due within the component's term
  (by the school's calendar day);
- a released grade counts as its final marks (after the late penalty) over the homework's
  maximum; an unreleased grade is not counted (the teachers' draft);
- work marked missing (and not graded) counts as zero; excused work is left out, grade or no
  grade;
- the mark is the average of those fractions times the paper's maximum, rounded with the
  school's exam rounding (`ExamSettings`: places and mode);
- a student with nothing counted (no released grade, no missing work) gets no mark at all, not
  zero, and any mark they already have is left alone.

Writing goes through `marks.check_marks_enter` / `marks_enter`, so the subject teacher or a
school admin imports, only inside the entry window of an unlocked exam unless a school admin
gives a reason, and every change is audited. A dry run checks the same rules and writes
nothing. A constant number of queries, whatever the number of students.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from apps.academics.models import Enrollment, Section
from apps.core.services import refuse
from apps.homework.models import Assignment, AssignmentStatus, Grade, Submission, SubmissionStatus

from .. import scopes
from ..models import Exam, Mark, MarkStatus, Part
from . import calc
from .marks import check_marks_enter, marks_enter, paper_max
from .scales import exam_settings

ZERO = Decimal("0")


@dataclass
class HomeworkMark:
    student: object
    student_name: str
    roll_number: int | None
    counted: int = 0
    missing: int = 0
    excused: int = 0
    percent: Decimal | None = None  # the exact average, in %
    marks: Decimal | None = None  # rounded, out of the paper's maximum


def _term_bounds(exam: Exam, school) -> tuple[dt.datetime, dt.datetime]:
    term = exam.plan_term.term
    zone = zoneinfo.ZoneInfo(school.timezone)
    start = dt.datetime.combine(term.start_date, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(term.end_date + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def counted_homework(exam: Exam, section: Section, subject):
    """The homework whose grades make this paper's marks (module docstring)."""
    start, end = _term_bounds(exam, section.school)
    return Assignment.objects.filter(
        school_id=section.school_id, counts_toward_id=exam.component_id, subject_id=subject.pk,
        sections=section, status=AssignmentStatus.PUBLISHED, max_marks__isnull=False,
        due_at__gte=start, due_at__lt=end,
    )  # fmt: skip


def homework_marks(exam: Exam, section: Section, subject) -> tuple[Decimal, list[HomeworkMark]]:
    """The paper's maximum and each enrolled student's proposed mark (None: no mark)."""
    if exam.component.part != Part.INTERNAL:
        raise refuse(_("Only an internal-assessment exam takes its marks from homework."),
                     code="not_internal", fields=["exam"])  # fmt: skip
    maximum = paper_max(exam, section, subject)
    maxima = dict(counted_homework(exam, section, subject).values_list("pk", "max_marks"))
    rows = {
        e["student_id"]: HomeworkMark(
            student=e["student_id"],
            student_name=e["student__user__full_name"],
            roll_number=e["roll_number"],
        )  # fmt: skip
        for e in Enrollment.objects.filter(section_id=section.pk, year_id=section.year_id)
        .order_by("roll_number", "student__user__full_name")
        .values("student_id", "student__user__full_name", "roll_number")
    }
    fractions: dict[object, dict[object, Decimal]] = {pk: {} for pk in rows}
    settled = {
        (s["assignment_id"], s["student_id"]): s["status"]
        for s in Submission.objects.filter(
            assignment_id__in=maxima, student_id__in=rows,
            status__in=(SubmissionStatus.MISSING, SubmissionStatus.EXCUSED),
        ).values("assignment_id", "student_id", "status")
    }  # fmt: skip
    for grade in Grade.objects.filter(assignment_id__in=maxima, student_id__in=rows,
                                      released_at__isnull=False).values(
        "assignment_id", "student_id", "final_marks"
    ):  # fmt: skip
        key = (grade["assignment_id"], grade["student_id"])
        if settled.get(key) != SubmissionStatus.EXCUSED:
            fractions[grade["student_id"]][grade["assignment_id"]] = Decimal(
                grade["final_marks"]
            ) / Decimal(maxima[grade["assignment_id"]])
    for (assignment_id, student_id), status in settled.items():
        if status == SubmissionStatus.EXCUSED:
            rows[student_id].excused += 1
        elif assignment_id not in fractions[student_id]:
            rows[student_id].missing += 1
            fractions[student_id][assignment_id] = ZERO
    settings = exam_settings(section.school)
    for student_id, row in rows.items():
        values = list(fractions[student_id].values())
        row.counted = len(values)
        if not values:
            continue
        average = sum(values, ZERO) / len(values)
        row.percent = average * calc.HUNDRED
        row.marks = min(
            calc.round_percent(average * maximum, settings.rounding_places,
                               settings.rounding_mode),
            maximum,
        )  # fmt: skip
    return maximum, list(rows.values())


def homework_import(*, actor, exam: Exam, section: Section, subject, dry_run: bool = True,
                    reason: str = "") -> dict:  # fmt: skip
    """Propose (dry run) or write a paper's marks from homework (module docstring). Returns
    the maximum, the rows and how many marks were (or would be) written."""
    if not scopes.can_enter_marks(actor, section, subject):
        raise refuse(
            _("Only the teacher of %(subject)s in %(section)s or a school admin enters these marks.")
            % {"subject": subject.name, "section": section.display_name},
            code="not_subject_teacher", fields=["subject"], status_code=403,
        )  # fmt: skip
    maximum, rows = homework_marks(exam, section, subject)
    proposed = [r for r in rows if r.marks is not None]
    if not proposed:
        raise refuse(_("No student has released homework grades counting toward this exam."),
                     code="no_homework_grades", fields=["exam"])  # fmt: skip
    remarks = dict(
        Mark.objects.filter(exam=exam, subject_id=subject.pk,
                            student_id__in=[r.student for r in proposed])
        .values_list("student_id", "remarks")
    )  # fmt: skip
    entries = [
        {"student": r.student, "marks": r.marks, "status": MarkStatus.PRESENT,
         "remarks": remarks.get(r.student, "")}
        for r in proposed
    ]  # fmt: skip
    if dry_run:
        plan = check_marks_enter(actor=actor, exam=exam, section=section, subject=subject,
                                 entries=entries, reason=reason)  # fmt: skip
    else:
        plan = marks_enter(actor=actor, exam=exam, section=section, subject=subject,
                           entries=entries, reason=reason)  # fmt: skip
    return {"max_marks": maximum, "rows": rows, "changed": len(plan.changes),
            "amendment": plan.amendment}  # fmt: skip
