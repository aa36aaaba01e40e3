"""A payment's receipt as PDF (`apps.fees.documents.render_receipt`) from the fee office's
rows, stored once through the default storage (django-storages in production): a published
receipt is never rendered over."""

from __future__ import annotations

from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum

from . import documents as d
from .models import ZERO, AdvanceMovement, LineKind, PaymentAllocation, Receipt


def _school(school) -> d.School:
    lines = [line.strip() for line in (school.address or "").splitlines() if line.strip()]
    return d.School(name=school.name, address_lines=lines, phone=school.contact_phone or "",
                    email=school.contact_email or "")  # fmt: skip


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
    student = invoice.student
    section = invoice.section
    return d.ReceiptItem(
        student=d.Student(
            name=student.user.full_name, admission_no=student.admission_number or "",
            class_name=section.school_class.name if section else "",
            section=section.name if section else "",
        ),
        lines=fees, fines=fines, invoice_number=invoice.number,
    )  # fmt: skip


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


def receipt_pdf(*, receipt_id, language: str = "en") -> Receipt:
    """The receipt with its PDF, rendered and stored the first time only."""
    receipt = Receipt.objects.select_related("payment__school", "payment__payer").get(pk=receipt_id)
    if receipt.pdf:
        return receipt
    data = d.render_receipt(receipt_document(receipt), language=language)
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
