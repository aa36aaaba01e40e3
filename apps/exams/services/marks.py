"""Marks entry for one paper (exam × section × subject) in one request, like attendance."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.academics.models import Enrollment, Section
from apps.core import audit
from apps.core.exceptions import ApplicationError
from apps.core.services import refuse

from .. import scopes
from ..models import Exam, Mark, MarkAdjustment, MarkStatus, ResultRun, RunStatus

COMPARED = ("marks", "status", "remarks")


def school_today(school) -> dt.date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(school.timezone)).date()


def paper_max(exam: Exam, section: Section, subject) -> Decimal:
    """The paper's maximum: its exam schedule entry's (for the section or its whole class),
    else the component's."""
    subject_id = getattr(subject, "pk", subject)
    entry = (
        exam.schedule_entries.filter(subject_id=subject_id, max_marks__isnull=False)
        .filter(Q(section_id=section.pk) | Q(school_class_id=section.school_class_id))
        .order_by("section_id")
        .first()
    )
    return Decimal(entry.max_marks) if entry else exam.component.max_marks


def _check_paper(exam: Exam, section: Section, subject) -> None:
    plan = exam.plan_term.plan
    if section.school_class_id != plan.school_class_id or section.year_id != plan.year_id:
        raise refuse(_("The section is not in this exam's class and year."),
                     code="section_not_in_exam", fields=["section"])  # fmt: skip
    if not plan.subjects.filter(subject_id=subject.pk).exists():
        raise refuse(_("The subject is not in this class's assessment plan."),
                     code="subject_not_in_plan", fields=["subject"])  # fmt: skip
    papers = exam.schedule_entries.all()
    if papers.exists() and not papers.filter(subject_id=subject.pk).exists():
        raise refuse(_("This exam has no paper in this subject."), code="no_paper",
                     fields=["subject"])  # fmt: skip


def entry_open(exam: Exam, today: dt.date) -> bool:
    return exam.locked_at is None and exam.entry_opens <= today <= exam.entry_closes


def results_published(exam: Exam, section: Section) -> bool:
    return ResultRun.objects.filter(
        plan_term_id=exam.plan_term_id, school_class_id=section.school_class_id,
        status=RunStatus.PUBLISHED,
    ).exists()  # fmt: skip


def _entry_errors(entries: list[dict], enrolled: set[str], maximum: Decimal) -> list[dict]:
    errors: list[dict] = []
    seen: set[str] = set()
    for entry in entries:
        found: dict[str, list] = {}
        student_id = str(entry["student"])
        if student_id in seen:
            found["student"] = [_("This student is listed more than once.")]
        elif student_id not in enrolled:
            found["student"] = [_("This student is not enrolled in the section.")]
        seen.add(student_id)
        marks, status = entry.get("marks"), entry["status"]
        if status == MarkStatus.PRESENT:
            if marks is None:
                found["marks"] = [_("A student who sat the paper needs marks.")]
            elif marks < 0:
                found["marks"] = [_("Marks cannot be negative.")]
            elif marks > maximum:
                found["marks"] = [
                    _("Marks cannot exceed the maximum of %(max)s.") % {"max": maximum}
                ]
        elif marks is not None:
            found["marks"] = [_("Only a student who sat the paper has marks (absent is not zero).")]
        errors.append(found)
    return errors


@dataclass
class MarksPlan:
    actor: Any
    exam: Exam
    section: Section
    subject: Any
    maximum: Decimal
    amendment: bool
    reason: str
    create: list[Mark] = field(default_factory=list)
    update: list[Mark] = field(default_factory=list)
    changes: list[tuple[Mark, dict | None, dict]] = field(default_factory=list)


def _jsonable(values: dict) -> dict:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in values.items()}


def check_marks_enter(*, actor, exam: Exam, section: Section, subject, entries: list[dict],
                      reason: str = "") -> MarksPlan:  # fmt: skip
    """Every rule of entering a paper's marks, checked before anything is written.

    Rules: the subject teacher of the section (a teaching assignment) or a school admin enters
    (a colleague teaching another subject, or the class teacher alone, may not: 403
    `not_subject_teacher`); the section is of the exam's class and year and the subject is in
    the plan (and has a paper, when the exam lists papers); every student is enrolled in the
    section and listed once; a present student has marks between 0 and the paper's maximum,
    anyone else (absent, medical, exempt) has none: absent is never zero. Inside the entry
    window of an unlocked exam the teacher may enter and change marks. Outside it, once the
    exam is locked or its results are published, only a school admin may, with a reason
    (`reason_required`); every change is audited with before and after. Unchanged marks are
    not written again. A constant number of queries, whatever the number of students.
    """
    if not entries:
        raise refuse(_("Send at least one entry."), code="no_entries", fields=["entries"])
    if not scopes.can_enter_marks(actor, section, subject):
        raise refuse(
            _("Only the teacher of %(subject)s in %(section)s or a school admin enters these marks.")
            % {"subject": subject.name, "section": section.display_name},
            code="not_subject_teacher", fields=["subject"], status_code=403,
        )  # fmt: skip
    _check_paper(exam, section, subject)
    maximum = paper_max(exam, section, subject)
    ids = {str(e["student"]) for e in entries}
    enrolled = {
        str(pk)
        for pk in Enrollment.objects.filter(
            section_id=section.pk, year_id=section.year_id, student_id__in=ids
        ).values_list("student_id", flat=True)
    }
    errors = _entry_errors(entries, enrolled, maximum)
    if any(errors):
        raise ApplicationError(_("Some entries cannot be recorded."), code="invalid_entries",
                               fields={"entries": errors})  # fmt: skip
    amendment = not entry_open(exam, school_today(section.school)) or results_published(
        exam, section
    )
    reason = (reason or "").strip()
    if amendment:
        if not scopes.is_school_admin(actor):
            raise refuse(
                _("Marks entry for this exam is closed; ask a school admin."),
                code="entry_closed", fields=["exam"], status_code=403,
            )  # fmt: skip
        if not reason:
            raise refuse(_("Say why the marks are changed after the entry window."),
                         code="reason_required", fields=["reason"])  # fmt: skip
    plan = MarksPlan(actor=actor, exam=exam, section=section, subject=subject, maximum=maximum,
                     amendment=amendment, reason=reason)  # fmt: skip
    existing = {
        str(m.student_id): m
        for m in Mark.objects.filter(exam=exam, subject_id=subject.pk, student_id__in=ids)
    }
    for entry in entries:
        student_id = str(entry["student"])
        values = {
            "marks": entry.get("marks") if entry["status"] == MarkStatus.PRESENT else None,
            "status": entry["status"],
            "remarks": (entry.get("remarks") or "").strip(),
        }
        held = existing.get(student_id)
        if held is None:
            mark = Mark(school_id=section.school_id, exam=exam, section=section, subject=subject,
                        student_id=student_id, max_marks=maximum, entered_by=actor, **values)  # fmt: skip
            plan.create.append(mark)
            plan.changes.append((mark, None, values))
            continue
        before = {name: getattr(held, name) for name in COMPARED}
        if before["marks"] is not None:
            before["marks"] = Decimal(before["marks"])
        if before == values and held.max_marks == maximum:
            continue
        for name, value in values.items():
            setattr(held, name, value)
        held.max_marks, held.section, held.entered_by = maximum, section, actor
        held.updated_at = timezone.now()
        plan.update.append(held)
        plan.changes.append((held, before, values))
    return plan


def do_marks_enter(plan: MarksPlan) -> None:
    """Write a checked plan: new marks in one INSERT, changed ones in one UPDATE, and the
    audit rows in one INSERT."""
    Mark.objects.bulk_create(plan.create)
    if plan.update:
        Mark.objects.bulk_update(
            plan.update,
            [
                "marks",
                "status",
                "remarks",
                "max_marks",
                "section",
                "entered_by",
                "updated_at",
            ],  # fmt: skip
        )
    action = "exams.mark.amend" if plan.amendment else "exams.mark.enter"
    audit.record_many([
        {
            "actor": plan.actor, "action": action, "instance": mark,
            "before": _jsonable(before) if before else None,
            "after": {**_jsonable(after), **({"reason": plan.reason} if plan.amendment else {})},
            "school": plan.section.school,
        }
        for mark, before, after in plan.changes
    ])  # fmt: skip


@transaction.atomic
def marks_enter(*, actor, exam: Exam, section: Section, subject, entries: list[dict],
                reason: str = "") -> list[Mark]:  # fmt: skip
    """Enter (or change) a paper's marks: rules in `check_marks_enter`."""
    Exam.objects.select_for_update().filter(pk=exam.pk).first()  # one writer per exam at a time
    plan = check_marks_enter(actor=actor, exam=exam, section=section, subject=subject,
                             entries=entries, reason=reason)  # fmt: skip
    do_marks_enter(plan)
    return plan


@transaction.atomic
def mark_adjust(*, actor, mark: Mark, kind: str, delta: Decimal, reason: str) -> MarkAdjustment:
    """Moderation or grace marks: an audited adjustment beside the raw mark, by a school
    admin (the approver), with a reason; the adjusted mark stays within 0 and the maximum."""
    if not scopes.is_school_admin(actor):
        raise refuse(_("Only a school admin approves moderation or grace marks."),
                     code="not_allowed", status_code=403)  # fmt: skip
    if not (reason or "").strip():
        raise refuse(_("Say why."), code="reason_required", fields=["reason"])
    if mark.status != MarkStatus.PRESENT:
        raise refuse(_("Only marks of a student who sat the paper are adjusted."),
                     code="not_present", fields=["mark"])  # fmt: skip
    total = mark.marks + sum((a.delta for a in mark.adjustments.all()), Decimal(0)) + delta
    if total < 0 or total > mark.max_marks:
        raise refuse(_("The adjusted marks must stay between 0 and the maximum."),
                     code="out_of_range", fields=["delta"])  # fmt: skip
    adjustment = MarkAdjustment.objects.create(school_id=mark.school_id, mark=mark, kind=kind,
                                               delta=delta, reason=reason.strip(),
                                               approved_by=actor)  # fmt: skip
    audit.record(actor=actor, action=f"exams.mark.{kind}", instance=mark,
                 after={"delta": str(delta), "reason": reason.strip()})  # fmt: skip
    return adjustment
