"""Fee receipts and invoices as PDF (apps/fees/documents.py): what a parent and an auditor
read on them, in English and Hindi."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from apps.core.testing import pdf_fonts, pdf_text
from apps.fees import documents as d

SCHOOL = d.School(
    name="Green Valley Public School",
    address_lines=["12 MG Road, Bengaluru 560001"],
    phone="+91 80 4000 1234",
    email="accounts@greenvalley.test",
    gstin="29ABCDE1234F1Z5",
    state="Karnataka (29)",
)
ASHA = d.Student(
    name="Asha Rao", admission_no="GV-2019-0042", class_name="7", section="B",
    guardian_name="Meera Rao",
)  # fmt: skip
RAVI = d.Student(name="Ravi Rao", admission_no="GV-2021-0107", class_name="3", section="A")


def _receipt(**changes) -> d.FeeReceipt:
    fields = dict(
        school=SCHOOL,
        number="RCT/25-26/000123",
        issued_on=date(2025, 6, 3),
        received_from="Meera Rao",
        payment=d.Payment(mode="upi", paid_on=date(2025, 6, 3), reference="pay_Q1x9Zk", gateway="Razorpay"),
        items=[
            d.ReceiptItem(
                student=ASHA,
                invoice_number="BOS/25-26/000041",
                lines=[
                    d.FeeLine("Tuition fee", D("1200000.00"), concession=D("1200.00"), period="Q1", is_tuition=True),
                    d.FeeLine("Transport", D("4500.00")),
                ],
                fines=[d.Fine("Late fee", D("50.00"))],
            ),
            d.ReceiptItem(
                student=RAVI,
                invoice_number="BOS/25-26/000042",
                lines=[d.FeeLine("Tuition fee", D("31217.50"), is_tuition=True)],
            ),
        ],
    )  # fmt: skip
    fields.update(changes)
    return d.FeeReceipt(**fields)


def _tax_invoice(**changes) -> d.FeeInvoice:
    fields = dict(
        school=SCHOOL,
        kind=d.INVOICE_CUM_BILL_OF_SUPPLY,
        number="INV/25-26/000017",
        issued_on=date(2025, 4, 1),
        due_on=date(2025, 4, 10),
        student=ASHA,
        place_of_supply="Karnataka (29)",
        lines=[
            d.FeeLine("Tuition fee", D("15000.00"), concession=D("1500.00"), hsn_sac="999210", is_tuition=True),
            d.FeeLine("Uniform", D("2000.00"), hsn_sac="6203"),
        ],
        fines=[d.Fine("Late fee", D("100.00"))],
        taxes=[
            d.Tax("CGST", D("6"), taxable_value=D("2000.00"), amount=D("120.00")),
            d.Tax("SGST", D("6"), taxable_value=D("2000.00"), amount=D("120.00")),
        ],
        amount_paid=D("5000.00"),
    )  # fmt: skip
    fields.update(changes)
    return d.FeeInvoice(**fields)


def test_receipt_shows_number_totals_rupee_amount_in_words_and_payment():
    receipt = _receipt()
    assert receipt.total == D("1234567.50")
    text = pdf_text(d.render_receipt(receipt))
    for expected in [
        "Green Valley Public School",
        "GSTIN: 29ABCDE1234F1Z5",
        "Fee receipt",
        "RCT/25-26/000123",
        "03/06/2025",
        "Asha Rao",
        "GV-2019-0042",
        "7 B",
        "Ravi Rao",
        "BOS/25-26/000041",
        "Tuition fee (Q1)",
        "₹12,00,000.00",
        "₹11,98,800.00",  # tuition after the concession
        "₹12,03,350.00",  # Asha's total with the fine
        "₹31,217.50",
        "Amount received ₹12,34,567.50",
        "Rupees twelve lakh thirty-four thousand five hundred sixty-seven and fifty paise only",
        "UPI (Razorpay)",
        "pay_Q1x9Zk",
    ]:
        assert expected in text, expected


def test_tuition_is_its_own_line_and_its_sum_is_printed_for_tax_claims():
    text = pdf_text(d.render_receipt(_receipt()))
    assert "Of which tuition fees: ₹11,98,800.00" in text
    assert "Of which tuition fees: ₹31,217.50" in text
    assert "Tuition fees in this receipt ₹12,30,017.50" in text


def test_an_overpayment_kept_as_advance_is_part_of_the_amount_received():
    receipt = _receipt(advance=D("500.00"))
    text = pdf_text(d.render_receipt(receipt))
    assert "Advance kept as credit ₹500.00" in text
    assert "Amount received ₹12,35,067.50" in text


def test_hindi_receipt_has_hindi_labels_and_words_in_the_embedded_devanagari_font():
    data = d.render_receipt(_receipt(), language="hi")
    text = pdf_text(data)
    # Numbers, names and references come through the Latin font, exactly.
    for expected in ["RCT/25-26/000123", "₹12,34,567.50", "Asha Rao", "GV-2019-0042", "pay_Q1x9Zk"]:
        assert expected in text, expected
    assert "Amount received" not in text and "Rupees" not in text
    fonts = pdf_fonts(data)
    assert set(fonts) == {"NotoSans", "NotoSansDevanagari"}
    # Shaped: रसीद, शिक्षण and मात्र are drawn with conjunct and vowel-sign glyphs.
    assert {"त्र", "क्ष", "शि"} <= fonts["NotoSansDevanagari"]
    # Words that shape into one glyph per character extract exactly.
    for word in ["रसीद", "राशि", "लाख", "रुपये", "पैसे"]:
        assert word in text, word


def test_tax_invoice_shows_gst_lines_totals_and_balance():
    invoice = _tax_invoice()
    assert (invoice.total, invoice.balance) == (D("15840.00"), D("10840.00"))
    text = pdf_text(d.render_invoice(invoice))
    for expected in [
        "Invoice-cum-bill of supply",
        "INV/25-26/000017",
        "Due date 10/04/2025",
        "Place of supply Karnataka (29)",
        "999210",
        "6203",
        "CGST 6% ₹2,000.00 ₹120.00",
        "SGST 6% ₹2,000.00 ₹120.00",
        "Total tax ₹240.00",
        "Concession -₹1,500.00",
        "Late fines ₹100.00",
        "Invoice total ₹15,840.00",
        "Balance due ₹10,840.00",
        "Of which tuition fees: ₹13,500.00",
        "Rupees fifteen thousand eight hundred forty only",
    ]:
        assert expected in text, expected


def test_bill_of_supply_and_igst():
    bill = _tax_invoice(
        kind=d.BILL_OF_SUPPLY, taxes=[], lines=_tax_invoice().lines[:1], amount_paid=D("0")
    )
    text = pdf_text(d.render_invoice(bill))
    assert "Bill of supply" in text and "CGST" not in text and "Balance due" not in text
    assert "Invoice total ₹13,600.00" in text
    igst = _tax_invoice(
        kind=d.TAX_INVOICE, taxes=[d.Tax("IGST", D("12"), D("2000.00"), D("240.00"))]
    )
    text = pdf_text(d.render_invoice(igst, language="hi"))
    assert "IGST 12% ₹2,000.00 ₹240.00" in text and "कर बीजक" in text


def test_documents_are_stable_bytes_for_the_same_content():
    assert d.render_receipt(_receipt(), "hi") == d.render_receipt(_receipt(), "hi")
    assert d.render_invoice(_tax_invoice()) == d.render_invoice(_tax_invoice())


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: d.FeeLine("Tuition", 1500.0), "must be a Decimal"),
        (lambda: d.FeeLine("Tuition", D("1500.005")), "more than two decimal places"),
        (lambda: d.FeeLine("Tuition", D("100"), concession=D("101")), "concession is more"),
        (lambda: _tax_invoice(kind=d.BILL_OF_SUPPLY), "carries no tax"),
        (lambda: _tax_invoice(school=d.School(name="No GST School")), "GSTIN"),
        (lambda: _tax_invoice(taxes=[d.Tax("CGST", D("9"), D("1"), D("0.09"))]), "IGST alone"),
        (lambda: _tax_invoice(kind="quote"), "unknown invoice kind"),
        (lambda: _receipt(items=[], advance=D("0")), "something received"),
    ],
)  # fmt: skip
def test_documents_that_would_not_add_up_are_refused(build, message):
    with pytest.raises((ValueError, TypeError), match=message):
        build()
