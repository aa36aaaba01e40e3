"""The class teacher's part: remarks and co-scholastic grades for a section's students."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from apps.academics.models import Enrollment, Section
from apps.core import audit
from apps.core.exceptions import ApplicationError
from apps.core.services import refuse

from .. import scopes
from ..models import CoScholasticArea, CoScholasticGrade, PlanTerm, TeacherRemark


def _check(actor, section: Section, plan_term: PlanTerm, student_ids: list[str]) -> None:
    if not scopes.can_write_remarks(actor, section):
        raise refuse(_("Only the class teacher of %(section)s or a school admin writes this.")
                     % {"section": section.display_name}, code="not_class_teacher",
                     fields=["section"], status_code=403)  # fmt: skip
    plan = plan_term.plan
    if section.school_class_id != plan.school_class_id or section.year_id != plan.year_id:
        raise refuse(_("The section is not in this term's class and year."),
                     code="section_not_in_plan", fields=["section"])  # fmt: skip
    enrolled = {str(s) for s in Enrollment.objects.filter(
        section=section, student_id__in=student_ids).values_list("student_id", flat=True)}  # fmt: skip
    errors = [{} if str(s) in enrolled else
              {"student": [_("This student is not enrolled in the section.")]}
              for s in student_ids]  # fmt: skip
    if any(errors):
        raise ApplicationError(_("Some entries cannot be recorded."), code="invalid_entries",
                               fields={"entries": errors})  # fmt: skip


@transaction.atomic
def remarks_enter(*, actor, section: Section, plan_term: PlanTerm, entries: list[dict]) -> int:
    """Write (or replace) the class teacher's remark of each listed student for the term."""
    _check(actor, section, plan_term, [str(e["student"]) for e in entries])
    for e in entries:
        remark, _created = TeacherRemark.objects.update_or_create(
            plan_term=plan_term, student_id=e["student"],
            defaults={"school_id": section.school_id, "text": e["text"].strip(),
                      "written_by": actor},
        )  # fmt: skip
        audit.record(actor=actor, action="exams.remark", instance=remark,
                     after={"text": remark.text})  # fmt: skip
    return len(entries)


@transaction.atomic
def co_scholastic_enter(*, actor, section: Section, plan_term: PlanTerm, area: CoScholasticArea,
                        entries: list[dict]) -> int:  # fmt: skip
    """Grade each listed student in a co-scholastic area for the term, on the area's scale."""
    _check(actor, section, plan_term, [str(e["student"]) for e in entries])
    letters = set(area.scale.bands.values_list("letter", flat=True))
    errors = [{} if e["grade"] in letters else
              {"grade": [_("Choose one of %(grades)s.") % {"grades": ", ".join(sorted(letters))}]}
              for e in entries]  # fmt: skip
    if any(errors):
        raise ApplicationError(_("Some entries cannot be recorded."), code="invalid_entries",
                               fields={"entries": errors})  # fmt: skip
    for e in entries:
        grade, _created = CoScholasticGrade.objects.update_or_create(
            area=area, plan_term=plan_term, student_id=e["student"],
            defaults={"school_id": section.school_id, "grade": e["grade"], "entered_by": actor},
        )  # fmt: skip
        audit.record(actor=actor, action="exams.co_scholastic", instance=grade,
                     after={"grade": grade.grade})  # fmt: skip
    return len(entries)
