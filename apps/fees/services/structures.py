"""What the school charges: fee heads, structures with their lines and installments, and
concessions. Every write is audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core import audit
from apps.core.services import (
    apply_fields,
    audited_change,
    audited_delete,
    refuse,
    save_checked,
)

from ..models import (
    Concession,
    FeeHead,
    FeeStructure,
    FeeStructureLine,
    HeadPricing,
    Installment,
    InstallmentPlan,
)
from .calc import split_lines

HEAD_FIELDS = ["name", "code", "tax_class", "gst_rate", "hsn_sac", "is_tuition", "refundable",
               "pricing", "is_active"]  # fmt: skip
STRUCTURE_FIELDS = ["name", "school_class", "year", "term", "plan", "due_day", "due_dates",
                    "late_fine_rule", "is_active"]  # fmt: skip
CONCESSION_FIELDS = ["name", "kind", "value", "head", "category", "student", "year", "cap",
                     "reason", "approved_by", "is_active"]  # fmt: skip


def check_same_school(school_id, **related) -> None:
    """Refuse (a field error per name) any related row of another school."""
    wrong = [
        name
        for name, obj in related.items()
        if obj is not None and getattr(obj, "school_id", school_id) != school_id
    ]
    if wrong:
        raise refuse(_("Not found in your school."), code="not_found", fields=wrong)


# --- Fee heads ----------------------------------------------------------------------------------
@transaction.atomic
def fee_head_create(*, school, actor, data: dict[str, Any]) -> FeeHead:
    head = FeeHead(school=school)
    apply_fields(head, HEAD_FIELDS, data)
    save_checked(head)
    audit.record(actor=actor, action="fee_head.create", instance=head,
                 after=audit.snapshot(head, HEAD_FIELDS))  # fmt: skip
    return head


@transaction.atomic
def fee_head_update(*, head: FeeHead, actor, data: dict[str, Any]) -> FeeHead:
    with audited_change(head, actor=actor, action="fee_head.update", fields=HEAD_FIELDS):
        apply_fields(head, HEAD_FIELDS, data)
        save_checked(head)
    return head


@transaction.atomic
def fee_head_delete(*, head: FeeHead, actor) -> None:
    """A head used by a structure, a concession or an invoice cannot be deleted (deactivate it)."""
    audited_delete(head, actor=actor, action="fee_head.delete", fields=HEAD_FIELDS)


# --- Structures ---------------------------------------------------------------------------------
def _months(start: dt.date, end: dt.date, step: int) -> list[tuple[int, int]]:
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append((year, month))
        month += step
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return months


def installment_dates(structure: FeeStructure) -> list[tuple[str, dt.date]]:
    """(label, due date) of each installment of the structure's plan, over its term (or year).

    monthly / quarterly: the `due_day` of every (third) month of the period; yearly, or termly
    with a term: one, at the start; termly for a year: the start of each of the year's terms;
    explicit: the structure's `due_dates`."""
    period = structure.term or structure.year
    start, end = period.start_date, period.end_date
    plan = structure.plan
    if plan in (InstallmentPlan.MONTHLY, InstallmentPlan.QUARTERLY):
        step = 1 if plan == InstallmentPlan.MONTHLY else 3
        return [
            (dt.date(y, m, 1).strftime("%b %Y"), dt.date(y, m, structure.due_day))
            for y, m in _months(start, end, step)
        ]
    if plan == InstallmentPlan.TERMLY and structure.term is None:
        terms = list(structure.year.terms.order_by("start_date"))
        return [(term.name, term.start_date) for term in terms]
    if plan == InstallmentPlan.EXPLICIT:
        dates = sorted(dt.date.fromisoformat(str(d)) for d in structure.due_dates)
        return [(_("Installment %(n)d") % {"n": i + 1}, d) for i, d in enumerate(dates)]
    return [(str(period), start)]


def installment_periods(structure: FeeStructure, due_dates: list[dt.date]) -> list[tuple]:
    """The span of days each installment bills, for heads priced by the day (transport): the
    installments (`due_dates` in number order) cut the structure's term (or year) into
    consecutive periods. An installment begins where it is due (monthly and quarterly plans:
    the 1st of its month), the first at the start of the term or year; each ends the day
    before the next begins, the last at the end of the term or year. A period may be empty
    (start after end) when explicit due dates lie past the end."""
    period = structure.term or structure.year
    monthly = structure.plan in (InstallmentPlan.MONTHLY, InstallmentPlan.QUARTERLY)
    starts = [d.replace(day=1) if monthly else d for d in due_dates]
    if starts:
        starts[0] = period.start_date
    starts = [max(start, period.start_date) for start in starts]
    ends = [following - dt.timedelta(days=1) for following in starts[1:]] + [period.end_date]
    return [(start, min(end, period.end_date)) for start, end in zip(starts, ends, strict=True)]


def _check_plan(structure: FeeStructure) -> list[tuple[str, dt.date]]:
    try:
        dates = installment_dates(structure)
    except (TypeError, ValueError) as exc:
        raise refuse(
            _("Give due dates as YYYY-MM-DD."), code="invalid", fields=["due_dates"]
        ) from exc
    if not dates:
        field = "due_dates" if structure.plan == InstallmentPlan.EXPLICIT else "plan"
        message = (
            _("Give at least one due date.")
            if field == "due_dates"
            else _("The year has no terms to bill by.")
        )
        raise refuse(message, code="no_installments", fields=[field])
    if len({d for _, d in dates}) != len(dates):
        raise refuse(_("Due dates must differ."), code="invalid", fields=["due_dates"])
    return dates


def structure_build_installments(structure: FeeStructure) -> list[Installment]:
    """(Re)build the installments from the plan and the lines: every line is split over the
    installments with the remainder on the last one, so they add up exactly to the total."""
    dates = _check_plan(structure)
    # A head priced per student (transport) is billed from its own source, not from this line.
    lines = list(structure.lines.filter(head__pricing=HeadPricing.STRUCTURE).order_by("head__code"))
    shares = split_lines([line.amount for line in lines], len(dates))
    structure.installments.all().delete()
    return Installment.objects.bulk_create(
        [
            Installment(
                school_id=structure.school_id,
                structure=structure,
                number=i + 1,
                label=label[:64],
                due_date=due,
                amount=sum(shares[i], Decimal("0.00")),
            )
            for i, (label, due) in enumerate(dates)
        ]
    )


def _set_lines(structure: FeeStructure, lines: list[dict[str, Any]]) -> None:
    heads = [line["head"] for line in lines]
    check_same_school(structure.school_id, **{f"lines[{i}].head": h for i, h in enumerate(heads)})
    if len({h.pk for h in heads}) != len(heads):
        raise refuse(_("Each fee head appears once."), code="invalid", fields=["lines"])
    structure.lines.all().delete()
    FeeStructureLine.objects.bulk_create(
        [
            FeeStructureLine(
                school_id=structure.school_id,
                structure=structure,
                head=line["head"],
                amount=line["amount"],
            )
            for line in lines
        ]
    )


def _structure_snapshot(structure: FeeStructure) -> dict[str, Any]:
    data = audit.snapshot(structure, STRUCTURE_FIELDS)
    data["lines"] = {
        str(line.head_id): str(line.amount) for line in structure.lines.order_by("head_id")
    }
    return data


@transaction.atomic
def structure_create(*, school, actor, lines: list[dict[str, Any]], **data: Any) -> FeeStructure:
    """A structure with its lines; its installments are built at once."""
    structure = FeeStructure(school=school)
    apply_fields(structure, STRUCTURE_FIELDS, data)
    check_same_school(
        school.pk,
        school_class=structure.school_class,
        year=structure.year,
        term=structure.term,
        late_fine_rule=structure.late_fine_rule,
    )
    if structure.term is not None and structure.term.year_id != structure.year.pk:
        raise refuse(_("The term is not in this year."), code="invalid", fields=["term"])
    save_checked(structure)
    _set_lines(structure, lines)
    structure_build_installments(structure)
    audit.record(actor=actor, action="fee_structure.create", instance=structure,
                 after=_structure_snapshot(structure))  # fmt: skip
    return structure


@transaction.atomic
def structure_update(*, structure: FeeStructure, actor, data: dict[str, Any]) -> FeeStructure:
    """Change a structure. What is billed (lines, plan, dates, class, year, term) cannot change
    once invoices exist; the name, the late-fine rule and `is_active` always can."""
    structure = FeeStructure.objects.select_for_update().get(pk=structure.pk)
    billing = {"lines", "school_class", "year", "term", "plan", "due_day", "due_dates"}
    if billing & set(data) and structure.invoices.exists():
        raise refuse(
            _("Invoices exist for this structure: make a new one instead."),
            code="structure_in_use",
            fields=sorted(billing & set(data)),
        )
    before = _structure_snapshot(structure)
    apply_fields(structure, STRUCTURE_FIELDS, data)
    check_same_school(structure.school_id, late_fine_rule=structure.late_fine_rule,
                      term=structure.term)  # fmt: skip
    save_checked(structure)
    if "lines" in data:
        _set_lines(structure, data["lines"])
    if billing & set(data):
        structure_build_installments(structure)
    audit.record(actor=actor, action="fee_structure.update", instance=structure, before=before,
                 after=_structure_snapshot(structure))  # fmt: skip
    return structure


@transaction.atomic
def structure_delete(*, structure: FeeStructure, actor) -> None:
    if structure.invoices.exists():
        raise refuse(_("Invoices exist for this structure; deactivate it instead."),
                     code="structure_in_use")  # fmt: skip
    audit.record(actor=actor, action="fee_structure.delete", instance=structure,
                 before=_structure_snapshot(structure))  # fmt: skip
    structure.delete()


# --- Concessions --------------------------------------------------------------------------------
def _check_concession(concession: Concession) -> None:
    check_same_school(
        concession.school_id,
        head=concession.head,
        student=concession.student,
        year=concession.year,
    )


@transaction.atomic
def concession_create(*, school, actor, data: dict[str, Any]) -> Concession:
    """A concession, approved by `actor` (recorded as its approver)."""
    concession = Concession(school=school, approved_by=actor)
    apply_fields(concession, [f for f in CONCESSION_FIELDS if f != "approved_by"], data)
    _check_concession(concession)
    save_checked(concession)
    audit.record(actor=actor, action="concession.create", instance=concession,
                 after=audit.snapshot(concession, CONCESSION_FIELDS))  # fmt: skip
    return concession


@transaction.atomic
def concession_update(*, concession: Concession, actor, data: dict[str, Any]) -> Concession:
    """Applies to invoices generated after the change (issued invoices keep their amounts)."""
    with audited_change(concession, actor=actor, action="concession.update",
                        fields=CONCESSION_FIELDS):  # fmt: skip
        apply_fields(concession, [f for f in CONCESSION_FIELDS if f != "approved_by"], data)
        concession.approved_by = actor
        _check_concession(concession)
        save_checked(concession)
    return concession


@transaction.atomic
def concession_delete(*, concession: Concession, actor) -> None:
    audited_delete(concession, actor=actor, action="concession.delete", fields=CONCESSION_FIELDS)
