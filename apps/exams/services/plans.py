"""Assessment plans and exams: how a class is assessed in a year, and each component's sitting."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core import audit
from apps.core.exceptions import ApplicationError
from apps.core.services import audited_change, refuse, save_checked

from ..models import (
    AssessmentPlan,
    Component,
    ComponentGroup,
    Exam,
    PlanSubject,
    PlanTerm,
)

HUNDRED = Decimal("100")


def _component_problem(c: dict, groups: dict) -> str | None:
    group = c.get("group") or None
    if group is not None and group not in groups:
        return _("%(name)s names an unknown group %(group)s.") % {"name": c["name"], "group": group}
    if group is not None and c.get("weight") is not None:
        return _("%(name)s is in a best-of group: the group carries the weight.") % {
            "name": c["name"]
        }
    if group is None and c.get("weight") is None:
        return _("%(name)s needs a weight.") % {"name": c["name"]}
    return None


def _term_errors(t: dict, year) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    if t["term"].year_id != year.pk:
        found["term"] = [_("The term is not in the plan's year.")]
    groups = {g["name"]: g for g in t.get("groups", [])}
    total = sum((Decimal(str(g["weight"])) for g in groups.values()), Decimal(0))
    counts = dict.fromkeys(groups, 0)
    for c in t.get("components", []):
        problem = _component_problem(c, groups)
        if problem:
            found.setdefault("components", []).append(problem)
        elif c.get("group"):
            counts[c["group"]] += 1
        else:
            total += Decimal(str(c["weight"]))
    for name, group in groups.items():
        if counts[name] < group["best_n"]:
            found.setdefault("groups", []).append(
                _("%(name)s counts the best %(n)s but has %(m)s components.")
                % {"name": name, "n": group["best_n"], "m": counts[name]}
            )
    if total != HUNDRED:
        found.setdefault("components", []).append(
            _("The weights of a term add up to 100, not %(total)s.") % {"total": total}
        )
    return found


def check_plan(*, year, terms: list[dict]) -> None:
    """The plan's rules, before anything is written: the terms' year weights add up to 100;
    in each term the weights of the components outside groups plus the groups' weights add up
    to 100; a grouped component has no weight of its own and names a group of its term; a
    group has at least `best_n` components; every term is of the plan's year."""
    if not terms:
        raise refuse(_("A plan needs at least one term."), code="no_terms", fields=["terms"])
    term_errors = [_term_errors(t, year) for t in terms]
    year_total = sum((Decimal(str(t["weight"])) for t in terms), Decimal(0))
    errors: dict = {}
    if any(term_errors):
        errors["terms"] = term_errors
    if year_total != HUNDRED:
        errors["weight"] = [
            _("The terms' weights add up to 100, not %(total)s.") % {"total": year_total}
        ]
    if errors:
        raise ApplicationError(_("The plan does not add up."), code="invalid_plan", fields=errors)


@transaction.atomic
def plan_create(
    *,
    school,
    actor,
    school_class,
    year,
    name: str,
    scale,
    subjects: list[dict],
    terms: list[dict],
    pass_percent: Decimal = Decimal("33"),
    written_pass_percent: Decimal | None = None,
    internal_pass_percent: Decimal | None = None,
) -> AssessmentPlan:
    """A class's plan for a year with its subjects, terms, groups and components (rules in
    `check_plan`)."""
    check_plan(year=year, terms=terms)
    plan = AssessmentPlan(
        school=school, school_class=school_class, year=year, name=name, scale=scale,
        pass_percent=pass_percent, written_pass_percent=written_pass_percent,
        internal_pass_percent=internal_pass_percent,
    )  # fmt: skip
    save_checked(plan)
    PlanSubject.objects.bulk_create(
        PlanSubject(school=school, plan=plan, subject=s["subject"], is_main=s.get("is_main", True),
                    order=i)
        for i, s in enumerate(subjects)
    )  # fmt: skip
    for order, t in enumerate(terms):
        plan_term = PlanTerm.objects.create(
            school=school, plan=plan, term=t["term"], weight=t["weight"], order=order,
            is_final=t.get("is_final", False),
        )  # fmt: skip
        groups = {
            g["name"]: ComponentGroup.objects.create(
                school=school, plan_term=plan_term, name=g["name"], best_n=g["best_n"],
                weight=g["weight"],
            )
            for g in t.get("groups", [])
        }  # fmt: skip
        Component.objects.bulk_create(
            Component(
                school=school, plan_term=plan_term, name=c["name"], kind=c["kind"],
                part=c.get("part", "written"), max_marks=c["max_marks"],
                weight=c.get("weight") if not c.get("group") else None,
                group=groups.get(c.get("group") or ""), order=i,
            )
            for i, c in enumerate(t.get("components", []))
        )  # fmt: skip
    audit.record(actor=actor, action="exams.plan.create", instance=plan, after={"name": name})
    return plan


def _check_window(opens, closes) -> None:
    if opens and closes and closes < opens:
        raise refuse(_("Marks entry must close after it opens."), code="invalid",
                     fields=["entry_closes"])  # fmt: skip


def _check_papers(component: Component, entries) -> None:
    plan = component.plan_term.plan
    subject_ids = set(plan.subjects.values_list("subject_id", flat=True))
    for entry in entries:
        klass = entry.school_class_id or entry.section.school_class_id
        if (
            entry.school_id != plan.school_id
            or klass != plan.school_class_id
            or entry.subject_id not in subject_ids
        ):
            raise refuse(
                _("A paper must be of the plan's class and one of its subjects."),
                code="invalid_paper",
                fields=["schedule_entries"],
            )


@transaction.atomic
def exam_create(*, school, actor, component: Component, name: str, entry_opens, entry_closes,
                schedule_entries=()) -> Exam:  # fmt: skip
    """An exam for one component (once), with its papers from the exam schedule."""
    _check_window(entry_opens, entry_closes)
    if Exam.objects.filter(component=component).exists():
        raise refuse(_("This component already has an exam."), code="conflict",
                     fields=["component"])  # fmt: skip
    _check_papers(component, schedule_entries)
    exam = Exam(school=school, plan_term=component.plan_term, component=component, name=name,
                entry_opens=entry_opens, entry_closes=entry_closes)  # fmt: skip
    save_checked(exam)
    exam.schedule_entries.set(schedule_entries)
    audit.record(actor=actor, action="exams.exam.create", instance=exam, after={"name": name})
    return exam


@transaction.atomic
def exam_update(*, exam: Exam, actor, data: dict) -> Exam:
    """Rename, move the entry window or change the papers."""
    with audited_change(exam, actor=actor, action="exams.exam.update",
                        fields=["name", "entry_opens", "entry_closes"]):  # fmt: skip
        for name in ("name", "entry_opens", "entry_closes"):
            if name in data:
                setattr(exam, name, data[name])
        _check_window(exam.entry_opens, exam.entry_closes)
        save_checked(exam)
    if "schedule_entries" in data:
        _check_papers(exam.component, data["schedule_entries"])
        exam.schedule_entries.set(data["schedule_entries"])
    return exam


@transaction.atomic
def exam_lock(*, exam: Exam, actor, locked: bool = True) -> Exam:
    """Lock (or unlock) an exam's marks: once locked only a school admin changes them, with a
    reason, audited."""
    with audited_change(exam, actor=actor, action="exams.exam.lock", fields=["locked_at"]):
        exam.locked_at = timezone.now() if locked else None
        exam.locked_by = actor if locked else None
        exam.save(update_fields=["locked_at", "locked_by", "updated_at"])
    return exam
