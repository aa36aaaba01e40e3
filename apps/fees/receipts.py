"""The fee office's documents as PDF (`apps.fees.documents`) from its rows, stored through the
default storage (django-storages in production).

- A payment's receipt (online or at the counter) is rendered once in the school's language
  (settings.LANGUAGE_CODE) into `Receipt.pdf` and never rendered over; a copy in another
  language is rendered on request and not stored.
- An invoice is stored once per language and content (its number, totals and status name the
  file), so a late fine added later gives a new file and never changes a published one. The
  invoice prints what was charged (not what was paid since); a cancelled one says so.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Sum
from django.utils import translation
from django.utils.translation import gettext as _

from apps.core.services import refuse

from . import documents as d
from .models import (
    ZERO,
    AdvanceMovement,
    FeeSettings,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    LineKind,
    PaymentAllocation,
    Receipt,
)

LANGUAGES = ("en", "hi")
INVOICE_KINDS = {
    InvoiceKind.BILL_OF_SUPPLY: d.BILL_OF_SUPPLY,
    InvoiceKind.TAX_INVOICE: d.TAX_INVOICE,
    InvoiceKind.INVOICE_CUM_BILL: d.INVOICE_CUM_BILL_OF_SUPPLY,
}


def document_language(value: str | None) -> str:
    """The language asked for (`?lang=`): en or hi, else a 400; none asked: the school's."""
    if value in (None, ""):
        return settings.LANGUAGE_CODE
    if value not in LANGUAGES:
        raise refuse(_("Choose en or hi."), code="invalid", fields=["lang"])
    return value


def _school(school, fee_settings: FeeSettings | None = None) -> d.School:
    lines = [line.strip() for line in (school.address or "").splitlines() if line.strip()]
    return d.School(name=school.name, address_lines=lines, phone=school.contact_phone or "",
                    email=school.contact_email or "",
                    gstin=fee_settings.gstin if fee_settings else "",
                    state=fee_settings.state_code if fee_settings else "")  # fmt: skip


def _student(student, section) -> d.Student:
    return d.Student(
        name=student.user.full_name, admission_no=student.admission_number or "",
        class_name=section.school_class.name if section else "",
        section=section.name if section else "",
    )  # fmt: skip


def _item(allocation: PaymentAllocation, payment) -> d.ReceiptItem:
    """The invoice lines this allocation paid: the lines in order, after what earlier payments
    settled, up to the allocation's amount (a partial payment covers the first lines)."""
    invoice = allocation.invoice
    earlier = (
        PaymentAllocation.objects.filter(invoice=invoice, payment__received_at__lt=payment.received_at)
        .aggregate(total=Sum("amount"))["total"] or ZERO
    )  # fmt: skip
    skip, left = earlier, allocation.amount
    fees, fines = [], []
    lines = sorted(invoice.lines.all(), key=lambda line: (line.kind == LineKind.FINE, line.pk))
    for line in lines:
        if line.waived_at is not None:
            continue
        total = line.total
        used = min(skip, total)
        skip -= used
        take = min(total - used, left)
        if take <= 0:
            continue
        left -= take
        if line.kind == LineKind.FINE:
            fines.append(d.Fine(description=line.description, amount=take))
        else:
            fees.append(d.FeeLine(head=line.description, amount=take, hsn_sac=line.hsn_sac,
                                  is_tuition=line.is_tuition))  # fmt: skip
    return d.ReceiptItem(student=_student(invoice.student, invoice.section), lines=fees,
                         fines=fines, invoice_number=invoice.number)  # fmt: skip


def receipt_document(receipt: Receipt) -> d.FeeReceipt:
    payment = receipt.payment
    allocations = payment.allocations.select_related(
        "invoice__student__user", "invoice__section__school_class"
    ).prefetch_related("invoice__lines")
    advance = (
        AdvanceMovement.objects.filter(payment=payment).aggregate(t=Sum("amount"))["t"] or ZERO
    )
    payer = payment.payer.full_name if payment.payer_id else payment.payer_name
    return d.FeeReceipt(
        school=_school(payment.school), number=receipt.number,
        issued_on=receipt.issued_at.date(),
        payment=d.Payment(mode=payment.mode, paid_on=payment.received_at.date(),
                          reference=payment.gateway_payment_id or payment.reference,
                          gateway=payment.gateway.title()),
        items=[_item(a, payment) for a in allocations], received_from=payer,
        advance=Decimal(advance),
    )  # fmt: skip


def receipt_pdf(*, receipt_id) -> Receipt:
    """The receipt with its PDF (in the school's language), rendered and stored the first time
    only."""
    receipt = Receipt.objects.select_related("payment__school", "payment__payer").get(pk=receipt_id)
    if receipt.pdf:
        return receipt
    data = d.render_receipt(receipt_document(receipt), language=settings.LANGUAGE_CODE)
    name = receipt.pdf.field.generate_filename(receipt, f"{receipt.number.replace('/', '-')}.pdf")
    stored = receipt.pdf.storage.save(name, ContentFile(data))
    with transaction.atomic():
        locked = Receipt.objects.select_for_update().get(pk=receipt.pk)
        if locked.pdf:  # rendered meanwhile by another worker: keep the first
            receipt.pdf.storage.delete(stored)
            return locked
        locked.pdf.name = stored
        locked.save(update_fields=["pdf", "updated_at"])
    return locked


def receipt_bytes(*, receipt_id, language: str) -> tuple[Receipt, bytes]:
    """The receipt's PDF in `language`: the stored one in the school's language (rendered the
    first time), a copy rendered now in another."""
    if language == settings.LANGUAGE_CODE:
        receipt = receipt_pdf(receipt_id=receipt_id)
        with receipt.pdf.open("rb") as pdf:
            return receipt, pdf.read()
    receipt = Receipt.objects.select_related("payment__school", "payment__payer").get(pk=receipt_id)
    return receipt, d.render_receipt(receipt_document(receipt), language=language)


def _taxes(lines) -> list[d.Tax]:
    """The lines' tax by name and rate (CGST and SGST each at half the GST rate)."""
    taxes: dict[tuple[str, Decimal], list[Decimal]] = {}
    for line in lines:
        half = line.gst_rate / 2
        for name, amount, rate in (("CGST", line.cgst, half), ("SGST", line.sgst, half),
                                   ("IGST", line.igst, line.gst_rate)):  # fmt: skip
            if amount:
                value, tax = taxes.get((name, rate), (ZERO, ZERO))
                taxes[(name, rate)] = [value + line.taxable_value, tax + amount]
    return [d.Tax(name=name, rate=rate, taxable_value=value, amount=amount)
            for (name, rate), (value, amount) in sorted(taxes.items())]  # fmt: skip


def invoice_document(invoice: Invoice) -> d.FeeInvoice:
    """The invoice as charged (fees less concessions, unwaived fines, tax), in the document
    type its lines called for."""
    lines = list(invoice.lines.all())
    fees = [line for line in lines if line.kind == LineKind.FEE]
    fines = [line for line in lines if line.kind == LineKind.FINE and line.waived_at is None]
    fee_settings = FeeSettings.objects.filter(school_id=invoice.school_id).first()
    kind = INVOICE_KINDS.get(invoice.kind, d.INVOICE)
    if kind in d.TAXED_KINDS and not (fee_settings and fee_settings.gstin):
        raise refuse(_("Enter the school's GSTIN in the fee settings to print a tax invoice."),
                     code="gstin_missing")  # fmt: skip
    notes = ""
    if invoice.status == InvoiceStatus.CANCELLED:
        notes = _("CANCELLED: %(reason)s") % {"reason": invoice.cancelled_reason or "-"}
    return d.FeeInvoice(
        school=_school(invoice.school, fee_settings), kind=kind,
        number=invoice.number, issued_on=invoice.issue_date or invoice.created_at.date(),
        student=_student(invoice.student, invoice.section),
        lines=[d.FeeLine(head=line.description, amount=line.amount, concession=line.concession,
                         hsn_sac=line.hsn_sac, is_tuition=line.is_tuition) for line in fees],
        fines=[d.Fine(description=line.description, amount=line.amount) for line in fines],
        taxes=_taxes(fees + fines), due_on=invoice.due_date,
        place_of_supply=invoice.place_of_supply, notes=notes,
    )  # fmt: skip


def invoice_pdf(*, invoice: Invoice, language: str) -> bytes:
    """The issued invoice's PDF in `language`, stored the first time for this content (a draft
    has none: the caller refuses it)."""
    cancelled = "-cancelled" if invoice.status == InvoiceStatus.CANCELLED else ""
    name = (f"fees/invoices/{invoice.school_id}/{invoice.number.replace('/', '-')}-"
            f"{invoice.total}-{invoice.fine_total}{cancelled}-{language}.pdf")  # fmt: skip
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as pdf:
            return pdf.read()
    invoice = (
        Invoice.objects.select_related("school", "student__user", "section__school_class")
        .prefetch_related("lines").get(pk=invoice.pk)
    )  # fmt: skip
    with translation.override(language):  # the note of a cancelled invoice too
        document = invoice_document(invoice)
    data = d.render_invoice(document, language=language)
    if not default_storage.exists(name):  # rendered meanwhile: keep the first
        default_storage.save(name, ContentFile(data))
    return data
