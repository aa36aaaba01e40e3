"""Billing: generating invoices in bulk (a background job), cancelling them, late fines and
their waivers. Totals on an invoice are always derived from its lines in the transaction that
changes them (`recompute`)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core import audit, jobs, queue
from apps.core.events import notify_on_commit
from apps.core.services import refuse
from apps.core.signals import announce_change

from .. import pricing
from ..models import (
    OPEN_STATUSES,
    ZERO,
    AdvanceMovement,
    Concession,
    ConcessionCategory,
    FeeCategoryMember,
    FeeSettings,
    FeeStructure,
    HeadPricing,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    TaxClass,
)
from .calc import (
    ConcessionTerm,
    apply_concessions,
    invoice_kind,
    late_fine,
    line_tax,
    sequence_for,
    split_amount,
)
from .numbering import take_numbers

GENERATE_KIND = "fees.generate_invoices"
INVOICE_FIELDS = ["number", "status", "total", "amount_paid", "amount_credited", "fine_total",
                  "cancelled_reason"]  # fmt: skip


def school_today(school) -> dt.date:
    """Today where the school is (School.timezone)."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(school.timezone)).date()


def fee_settings(school_id) -> FeeSettings:
    found = FeeSettings.objects.filter(school_id=school_id).first()
    return found or FeeSettings(school_id=school_id)


# --- Totals and status --------------------------------------------------------------------------
def recompute(invoice: Invoice, lines: list[InvoiceLine]) -> None:
    """Set the invoice's totals from its lines (a waived fine counts nothing) and its status
    from what was paid. Does not save."""
    fees = [line for line in lines if line.kind == LineKind.FEE]
    fines = [line for line in lines if line.kind == LineKind.FINE and line.waived_at is None]
    invoice.subtotal = sum((line.amount for line in fees), ZERO)
    invoice.concession_total = sum((line.concession for line in fees), ZERO)
    invoice.tax_total = sum((line.cgst + line.sgst + line.igst for line in fees + fines), ZERO)
    invoice.fine_total = sum((line.total for line in fines), ZERO)
    invoice.total = sum((line.total for line in fees), ZERO) + invoice.fine_total
    set_status(invoice)


def set_status(invoice: Invoice) -> None:
    if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED):
        return
    if invoice.balance <= 0:
        invoice.status = InvoiceStatus.PAID
    elif invoice.amount_paid > 0:
        invoice.status = InvoiceStatus.PARTIALLY_PAID
    else:
        invoice.status = InvoiceStatus.ISSUED


def _fill_line_tax(line: InvoiceLine, *, inter_state: bool) -> None:
    taxable = line.amount - line.concession
    rate = line.gst_rate if line.tax_class == TaxClass.TAXABLE else ZERO
    line.cgst, line.sgst, line.igst = line_tax(taxable, rate, inter_state=inter_state)
    line.total = taxable + line.cgst + line.sgst + line.igst


# --- Generation ---------------------------------------------------------------------------------
def invoices_generate_start(
    *,
    school,
    actor,
    year,
    installment_number: int,
    school_class=None,
    section=None,
    issue_date: dt.date | None = None,
    place_of_supply: str | None = None,
) -> jobs.Job:
    """Start generating the invoices of installment `installment_number` for a section, a
    class or the whole school (the structures of `year`): a job, run by a Celery task once this
    transaction commits. Poll it at /api/v1/jobs/{id}/."""
    from .structures import check_same_school

    check_same_school(school.pk, year=year, school_class=school_class, section=section)
    if section is not None and section.year_id != year.pk:
        raise refuse(_("The section is not in this year."), code="invalid", fields=["section"])
    params = {
        "year": str(year.pk),
        "installment_number": installment_number,
        "school_class": str(school_class.pk) if school_class else None,
        "section": str(section.pk) if section else None,
        "issue_date": (issue_date or school_today(school)).isoformat(),
        "place_of_supply": place_of_supply,
    }
    job = jobs.job_create(school=school, kind=GENERATE_KIND, requested_by=actor, params=params)
    queue.enqueue_on_commit("apps.fees.tasks.generate_invoices", str(job.pk))
    return job


def invoices_generate_run(*, job_id) -> None:
    """The job's work: one transaction per structure, so progress shows while it runs and a
    crash keeps the structures already done (a re-run skips students already invoiced)."""
    with jobs.running(job_id) as report:
        if report is None:
            return
        job = report.job
        p = job.params
        structures = list(
            FeeStructure.objects.filter(school_id=job.school_id, year_id=p["year"], is_active=True)
            .filter(**({"school_class_id": p["school_class"]} if p["school_class"] else {}))
            .order_by("school_class__order", "pk")
        )
        if p["section"]:
            from apps.academics.models import Section

            class_id = Section.objects.filter(pk=p["section"]).values("school_class_id")
            structures = [
                s for s in structures if s.school_class_id == class_id[0]["school_class_id"]
            ]
        report.total(len(structures))
        created = 0
        for structure in structures:
            created += generate_for_structure(
                structure=structure,
                installment_number=p["installment_number"],
                section_id=p["section"],
                issue_date=dt.date.fromisoformat(p["issue_date"]),
                actor=job.requested_by,
                place_of_supply=p.get("place_of_supply"),
            )
            report.advance(1)
        report.succeed({"created": created, "structures": len(structures)})
        if created:
            announce_change(job.school_id, "fees")


@transaction.atomic
def generate_for_structure(
    *,
    structure: FeeStructure,
    installment_number: int,
    issue_date: dt.date,
    actor=None,
    section_id=None,
    place_of_supply: str | None = None,
) -> int:
    """Issue one installment's invoices for every student enrolled (in the structure's class
    and year, or one section of it) who has none yet. Bulk writes: the number of queries does
    not depend on the number of students.

    Rules: lines follow the structure's lines, each split into installments exactly as the
    installment (remainder on the last); a line of a head priced per student (transport) is
    instead each student's own amount for the installment's period (`installment_periods`)
    from the app registered for it (`apps.fees.pricing`), and only students with an amount get
    it, so a flat amount on such a line is never billed as well; a student left with no line
    gets no invoice. Concessions of the student (own or by category, same year, active)
    combine by `calc.apply_concessions`; GST per line, CGST+SGST within the school's state,
    IGST when the place of supply (the school's state unless given) is another; the document
    type follows the tax classes of the student's lines; numbers are consecutive in roll order
    within each series; advance credit settles the new invoices at once."""
    from apps.academics.models import Enrollment

    installments = list(structure.installments.order_by("number"))
    installment = next((i for i in installments if i.number == installment_number), None)
    if installment is None:
        return 0
    lines = list(structure.lines.select_related("head").order_by("head__code"))
    count = len(installments)
    shares = [split_amount(line.amount, count)[installment_number - 1] for line in lines]

    enrollments = Enrollment.objects.filter(
        school_id=structure.school_id,
        year_id=structure.year_id,
        section__school_class_id=structure.school_class_id,
    )
    if section_id:
        enrollments = enrollments.filter(section_id=section_id)
    enrolled = list(
        enrollments.exclude(
            student__in=Invoice.objects.filter(installment=installment)
            .exclude(status=InvoiceStatus.CANCELLED)
            .values("student_id")
        )
        .order_by("section__name", "roll_number", "student__user__full_name")
        .values_list("student_id", "section_id")
    )
    if not enrolled:
        return 0
    student_ids = [student_id for student_id, _ in enrolled]
    per_student = _per_student_amounts(structure, installments, installment, lines, student_ids)
    billed = []  # (student, section, [(structure line, amount)]) in roll order
    for student_id, section in enrolled:
        own = [
            (line, per_student[line.pk].get(student_id) if line.pk in per_student else share)
            for line, share in zip(lines, shares, strict=True)
        ]
        own = [(line, amount) for line, amount in own if amount is not None]
        if own:
            billed.append((student_id, section, own))
    if not billed:
        return 0
    terms = _concession_terms(structure, student_ids)
    settings_row = fee_settings(structure.school_id)
    place = place_of_supply or settings_row.state_code
    inter_state = place != settings_row.state_code
    kinds = [invoice_kind({line.head.tax_class for line, _ in own}) for *_, own in billed]
    numbers = _numbers_by_series(structure.school_id, kinds, issue_date)

    invoices, invoice_lines = [], []
    for (student_id, section, own), kind, number in zip(billed, kinds, numbers, strict=True):
        invoice = Invoice(
            school_id=structure.school_id,
            student_id=student_id,
            section_id=section,
            structure=structure,
            installment=installment,
            number=number,
            kind=kind,
            status=InvoiceStatus.ISSUED,
            issue_date=issue_date,
            due_date=installment.due_date,
            place_of_supply=place,
        )
        given = apply_concessions(
            [(line.head_id, amount) for line, amount in own], terms.get(student_id, [])
        )
        rows = []
        for (line, amount), concession in zip(own, given, strict=True):
            row = InvoiceLine(
                school_id=structure.school_id,
                invoice=invoice,
                kind=LineKind.FEE,
                head=line.head,
                description=line.head.name,
                amount=amount,
                concession=concession,
                tax_class=line.head.tax_class,
                gst_rate=line.head.gst_rate,
                hsn_sac=line.head.hsn_sac,
                is_tuition=line.head.is_tuition,
                refundable=line.head.refundable,
            )
            _fill_line_tax(row, inter_state=inter_state)
            rows.append(row)
        recompute(invoice, rows)
        invoices.append(invoice)
        invoice_lines.extend(rows)
    Invoice.objects.bulk_create(invoices)
    InvoiceLine.objects.bulk_create(invoice_lines)
    _settle_from_advance(invoices)
    school = structure.school  # one query; audit would otherwise fetch it per invoice
    audit.record_many(
        [
            {
                "school": school,
                "actor": actor,
                "action": "invoice.issue",
                "instance": invoice,
                "after": audit.snapshot(invoice, INVOICE_FIELDS),
            }
            for invoice in invoices
        ]
    )
    notify_on_commit("fees.invoice_issued", structure, invoices=[str(i.pk) for i in invoices])
    return len(invoices)


def _per_student_amounts(structure, installments, installment, lines, student_ids) -> dict:
    """{structure line id: {student id: amount}} for the lines whose head is priced per
    student: one ask of the registered pricer per line, for all the students at once, over
    the installment's period."""
    priced = [line for line in lines if line.head.pricing != HeadPricing.STRUCTURE]
    if not priced:
        return {}
    from .structures import installment_periods

    periods = installment_periods(structure, [i.due_date for i in installments])
    start, end = periods[installments.index(installment)]
    if start > end:
        return {line.pk: {} for line in priced}
    return {
        line.pk: pricing.price(line.head.pricing, school_id=structure.school_id,
                               student_ids=student_ids, start=start, end=end)
        for line in priced
    }  # fmt: skip


def _numbers_by_series(school_id, kinds: list[str], issue_date: dt.date) -> list[str]:
    """A number for each invoice (in order) from its kind's series; each series' numbers are
    consecutive in the invoices' order. Series are taken in a fixed order (no deadlock)."""
    series = [sequence_for(kind) for kind in kinds]
    taken = {
        doc_type: iter(take_numbers(school_id=school_id, doc_type=doc_type, on=issue_date,
                                    count=series.count(doc_type)))
        for doc_type in sorted(set(series))
    }  # fmt: skip
    return [next(taken[doc_type]) for doc_type in series]


def _concession_terms(structure: FeeStructure, student_ids: list) -> dict[Any, list]:
    """Each student's active concessions of the structure's year (own, and by category)."""
    concessions = list(
        Concession.objects.filter(
            school_id=structure.school_id, year_id=structure.year_id, is_active=True
        )  # fmt: skip
        .filter(Q(student_id__in=student_ids) | Q(student__isnull=True))
        .order_by("created_at")
    )
    members = defaultdict(set)
    for student_id, category in FeeCategoryMember.objects.filter(
        student_id__in=student_ids
    ).values_list("student_id", "category"):
        members[category].add(student_id)
    terms: dict[Any, list] = defaultdict(list)
    for c in concessions:
        term = ConcessionTerm(kind=c.kind, value=c.value, head_id=c.head_id, cap=c.cap)
        if c.student_id is not None:
            terms[c.student_id].append(term)
        elif c.category != ConcessionCategory.INDIVIDUAL:
            for student_id in members[c.category]:
                terms[student_id].append(term)
    return terms


def _settle_from_advance(invoices: list[Invoice]) -> None:
    """New invoices take what their students hold as advance credit (oldest invoice first)."""
    by_student = defaultdict(list)
    for invoice in invoices:
        by_student[invoice.student_id].append(invoice)
    credit = advance_balances(list(by_student))
    if not credit:
        return
    from apps.accounts.models import StudentProfile

    # The students' advance is spent under their row lock, in a fixed order.
    list(StudentProfile.objects.select_for_update().filter(pk__in=credit).order_by("pk")
         .values_list("pk", flat=True))  # fmt: skip
    credit = advance_balances(list(credit))
    movements, changed = [], []
    for student_id, available in credit.items():
        for invoice in sorted(by_student[student_id], key=lambda i: (i.due_date, i.number)):
            use = min(available, invoice.balance)
            if use <= 0:
                continue
            available -= use
            invoice.amount_paid += use
            set_status(invoice)
            changed.append(invoice)
            movements.append(
                AdvanceMovement(
                    school_id=invoice.school_id, student_id=student_id, amount=-use, invoice=invoice
                )  # fmt: skip
            )
    AdvanceMovement.objects.bulk_create(movements)
    Invoice.objects.bulk_update(changed, ["amount_paid", "status", "updated_at"])


def advance_balances(student_ids: list) -> dict[Any, Decimal]:
    """Each student's advance credit (only those holding some)."""
    rows = (
        AdvanceMovement.objects.filter(student_id__in=student_ids)
        .values("student_id")
        .annotate(balance=Sum("amount"))
    )
    return {row["student_id"]: row["balance"] for row in rows if row["balance"] > 0}


# --- Cancelling ---------------------------------------------------------------------------------
@transaction.atomic
def invoice_cancel(*, invoice: Invoice, actor, reason: str) -> Invoice:
    """Cancel an invoice nothing has been paid on; it keeps its number (the gap-free series
    shows it as cancelled), and a new invoice may then be issued for the installment."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if not reason.strip():
        raise refuse(_("Say why the invoice is cancelled."), code="required", fields=["reason"])
    if invoice.status == InvoiceStatus.CANCELLED:
        return invoice
    if invoice.amount_paid > 0 or invoice.amount_credited > 0:
        raise refuse(
            _("Payments are recorded on this invoice; refund them before cancelling it."),
            code="invoice_paid",
        )
    before = audit.snapshot(invoice, INVOICE_FIELDS)
    invoice.status = InvoiceStatus.CANCELLED
    invoice.cancelled_reason = reason.strip()[:200]
    invoice.save(update_fields=["status", "cancelled_reason", "updated_at"])
    audit.record(actor=actor, action="invoice.cancel", instance=invoice, before=before,
                 after=audit.snapshot(invoice, INVOICE_FIELDS))  # fmt: skip
    return invoice


# --- Late fines ---------------------------------------------------------------------------------
def late_fines_apply(*, today: dt.date | None = None) -> int:
    """Bring the late-fine line of every open, overdue invoice (whose structure has a rule)
    up to what the rule gives today (`calc.late_fine` on the fee balance). A fine only grows;
    a waived fine stays waived. Idempotent for a day. Returns the invoices changed."""
    changed = 0
    # Every school's "today" is decided per invoice below; this only cuts the candidates.
    cutoff = (today or timezone.now().date()) + dt.timedelta(days=1)
    ids = list(
        Invoice.objects.filter(
            status__in=OPEN_STATUSES,
            structure__late_fine_rule__isnull=False,
            due_date__lt=cutoff,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), 500):
        changed += _apply_fines(ids[start : start + 500], today=today)
    return changed


@transaction.atomic
def _apply_fines(ids: list, *, today: dt.date | None) -> int:
    invoices = list(
        Invoice.objects.select_for_update(of=("self",))
        .filter(pk__in=ids, status__in=OPEN_STATUSES)
        .select_related("structure__late_fine_rule", "school")
        .order_by("pk")
    )
    lines = defaultdict(list)
    for line in InvoiceLine.objects.filter(invoice__in=invoices):
        lines[line.invoice_id].append(line)
    new_lines, updated_lines, changed, entries = [], [], [], []
    for invoice in invoices:
        rule = invoice.structure.late_fine_rule
        day = today or school_today(invoice.school)
        own = lines[invoice.pk]
        fine_line = next((line for line in own if line.kind == LineKind.FINE), None)
        if fine_line is not None and fine_line.waived_at is not None:
            continue
        fees_due = invoice.balance - invoice.fine_total
        amount = late_fine(
            kind=rule.kind, amount=rule.amount, grace_days=rule.grace_days, cap=rule.cap,
            due_date=invoice.due_date, today=day, balance=fees_due,
        )  # fmt: skip
        if amount <= (fine_line.amount if fine_line else ZERO):
            continue
        before = audit.snapshot(invoice, INVOICE_FIELDS)
        if fine_line is None:
            fine_line = InvoiceLine(
                school_id=invoice.school_id, invoice=invoice, kind=LineKind.FINE,
                description=_("Late fine"), tax_class=TaxClass.EXEMPT,
            )  # fmt: skip
            own.append(fine_line)
            new_lines.append(fine_line)
        else:
            updated_lines.append(fine_line)
        fine_line.amount = amount
        fine_line.total = amount
        recompute(invoice, own)
        changed.append(invoice)
        entries.append({"actor": None, "action": "invoice.late_fine", "instance": invoice,
                        "school": invoice.school,
                        "before": before, "after": audit.snapshot(invoice, INVOICE_FIELDS)})  # fmt: skip
    InvoiceLine.objects.bulk_create(new_lines)
    if updated_lines:
        InvoiceLine.objects.bulk_update(updated_lines, ["amount", "total", "updated_at"])
    if changed:
        Invoice.objects.bulk_update(
            changed, ["fine_total", "total", "tax_total", "status", "updated_at"]
        )
    audit.record_many(entries)
    return len(changed)


@transaction.atomic
def invoice_waive_fine(*, invoice: Invoice, actor, reason: str) -> Invoice:
    """A school admin waives an invoice's late fine, saying why. A fine already paid is not
    waived (refund it instead); the daily job never fines a waived invoice again."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if not reason.strip():
        raise refuse(_("Say why the fine is waived."), code="required", fields=["reason"])
    lines = list(invoice.lines.all())
    fine = next((line for line in lines if line.kind == LineKind.FINE), None)
    if fine is None or fine.waived_at is not None:
        raise refuse(_("This invoice has no late fine to waive."), code="no_fine")
    if invoice.amount_paid > invoice.total - invoice.amount_credited - fine.total:
        raise refuse(_("The fine is already paid; refund it instead."), code="fine_paid")
    before = audit.snapshot(invoice, INVOICE_FIELDS)
    fine.waived_at, fine.waived_by, fine.waive_reason = timezone.now(), actor, reason.strip()[:200]
    fine.save(update_fields=["waived_at", "waived_by", "waive_reason", "updated_at"])
    recompute(invoice, lines)
    invoice.save(update_fields=["fine_total", "total", "tax_total", "status", "updated_at"])
    audit.record(actor=actor, action="invoice.waive_fine", instance=invoice, before=before,
                 after={**audit.snapshot(invoice, INVOICE_FIELDS), "reason": fine.waive_reason})  # fmt: skip
    return invoice
