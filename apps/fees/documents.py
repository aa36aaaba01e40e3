"""Fee receipts and invoices as PDF, from plain dataclasses.

The fees services build these from their records; nothing here reads the database, so a
document prints exactly what it is given. Every amount is a `Decimal` with at most two places
(floats are refused) and the totals are derived from the lines here, so a printed total always
adds up. Tuition is always its own line and its sum is printed separately, since parents claim
tuition fees (only) against income tax.

Labels are in the document's language (English or Hindi); names, heads and references are
printed as given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import translation
from django.utils.translation import pgettext

from apps.core.money import amount_in_words, format_inr, to_money
from apps.core.pdf import Column, Document, Letterhead

ZERO = Decimal("0.00")
DATE_FORMAT = "%d/%m/%Y"
CONTEXT = "fee document"

INVOICE = "invoice"
BILL_OF_SUPPLY = "bill_of_supply"
TAX_INVOICE = "tax_invoice"
INVOICE_CUM_BILL_OF_SUPPLY = "invoice_cum_bill_of_supply"
INVOICE_KINDS = (INVOICE, BILL_OF_SUPPLY, TAX_INVOICE, INVOICE_CUM_BILL_OF_SUPPLY)
TAXED_KINDS = (TAX_INVOICE, INVOICE_CUM_BILL_OF_SUPPLY)
TAX_NAMES = ("CGST", "SGST", "UTGST", "IGST")


def _money(obj: object, *names: str) -> None:
    """Normalise the named fields of a frozen dataclass to two-place Decimals."""
    for name in names:
        object.__setattr__(obj, name, to_money(getattr(obj, name)))


def _sum(values) -> Decimal:
    return sum(values, ZERO)


@dataclass(frozen=True)
class School:
    name: str
    address_lines: Sequence[str] = ()
    phone: str = ""
    email: str = ""
    gstin: str = ""
    state: str = ""  # "Karnataka (29)": the supplier's state, beside the place of supply
    logo: bytes | None = None


@dataclass(frozen=True)
class Student:
    name: str
    admission_no: str
    class_name: str
    section: str = ""
    guardian_name: str = ""

    @property
    def class_section(self) -> str:
        return f"{self.class_name} {self.section}".strip()


@dataclass(frozen=True)
class FeeLine:
    """One fee head: the amount charged, the concession on it and what remains."""

    head: str
    amount: Decimal
    concession: Decimal = ZERO
    hsn_sac: str = ""
    period: str = ""  # "Apr-Jun 2025"
    is_tuition: bool = False

    def __post_init__(self) -> None:
        _money(self, "amount", "concession")
        if self.amount < 0 or self.concession < 0:
            raise ValueError(f"{self.head}: amounts cannot be negative")
        if self.concession > self.amount:
            raise ValueError(f"{self.head}: the concession is more than the amount")

    @property
    def net(self) -> Decimal:
        return self.amount - self.concession


@dataclass(frozen=True)
class Fine:
    description: str
    amount: Decimal

    def __post_init__(self) -> None:
        _money(self, "amount")
        if self.amount < 0:
            raise ValueError(f"{self.description}: a fine cannot be negative")


@dataclass(frozen=True)
class Tax:
    """One tax on a taxable value: CGST and SGST (or UTGST) within a state, IGST across."""

    name: str
    rate: Decimal  # percent, e.g. Decimal("9")
    taxable_value: Decimal
    amount: Decimal

    def __post_init__(self) -> None:
        if self.name not in TAX_NAMES:
            raise ValueError(f"unknown tax {self.name!r}")
        if isinstance(self.rate, float):
            raise TypeError("the tax rate must be a Decimal")
        _money(self, "taxable_value", "amount")


@dataclass(frozen=True)
class Payment:
    mode: str  # cash, cheque, bank_transfer, card, upi, online (or a label printed as given)
    paid_on: date
    reference: str = ""  # cheque number, UTR, gateway payment id
    gateway: str = ""  # Razorpay, Stripe


@dataclass(frozen=True)
class ReceiptItem:
    """What one payment settled for one student: the lines of one invoice (or part of them)."""

    student: Student
    lines: Sequence[FeeLine]
    fines: Sequence[Fine] = ()
    invoice_number: str = ""

    @property
    def total(self) -> Decimal:
        return _sum(line.net for line in self.lines) + _sum(f.amount for f in self.fines)

    @property
    def tuition(self) -> Decimal:
        return _sum(line.net for line in self.lines if line.is_tuition)


@dataclass(frozen=True)
class FeeReceipt:
    """A receipt for one payment, which may settle the dues of several children of a family;
    an overpayment kept as advance credit is added to the amount received."""

    school: School
    number: str
    issued_on: date
    payment: Payment
    items: Sequence[ReceiptItem]
    received_from: str = ""
    advance: Decimal = ZERO
    notes: str = ""

    def __post_init__(self) -> None:
        _money(self, "advance")
        if not self.items and not self.advance:
            raise ValueError("a receipt needs something received")
        if self.advance < 0:
            raise ValueError("the advance cannot be negative")
        if self.total <= 0:
            raise ValueError("a receipt is for a positive amount")

    @property
    def total(self) -> Decimal:
        return _sum(item.total for item in self.items) + self.advance

    @property
    def tuition(self) -> Decimal:
        return _sum(item.tuition for item in self.items)


@dataclass(frozen=True)
class FeeInvoice:
    """An invoice for one student's installment. `kind` names the document the lines' tax
    classes call for: a bill of supply (exempt education fees), a tax invoice (taxable heads,
    needing the school's GSTIN), an invoice-cum-bill of supply (both), or a plain fee invoice
    (a school outside GST)."""

    school: School
    kind: str
    number: str
    issued_on: date
    student: Student
    lines: Sequence[FeeLine]
    fines: Sequence[Fine] = ()
    taxes: Sequence[Tax] = ()
    due_on: date | None = None
    place_of_supply: str = ""
    amount_paid: Decimal = ZERO
    notes: str = ""
    extra: dict = field(default_factory=dict)  # further key/values for the header block

    def __post_init__(self) -> None:
        _money(self, "amount_paid")
        if self.kind not in INVOICE_KINDS:
            raise ValueError(f"unknown invoice kind {self.kind!r}")
        if not self.lines:
            raise ValueError("an invoice needs at least one line")
        names = sorted(tax.name for tax in self.taxes)
        if self.taxes and self.kind not in TAXED_KINDS:
            raise ValueError(f"a {self.kind} carries no tax")
        if self.kind in TAXED_KINDS and not self.school.gstin:
            raise ValueError("a tax invoice needs the school's GSTIN")
        if self.taxes and names not in (["IGST"], ["CGST", "SGST"], ["CGST", "UTGST"]):
            raise ValueError("tax is IGST alone, or CGST with SGST or UTGST")
        if self.amount_paid < 0:
            raise ValueError("the amount paid cannot be negative")

    @property
    def gross(self) -> Decimal:
        return _sum(line.amount for line in self.lines)

    @property
    def concession(self) -> Decimal:
        return _sum(line.concession for line in self.lines)

    @property
    def fines_total(self) -> Decimal:
        return _sum(f.amount for f in self.fines)

    @property
    def tax_total(self) -> Decimal:
        return _sum(t.amount for t in self.taxes)

    @property
    def total(self) -> Decimal:
        return self.gross - self.concession + self.fines_total + self.tax_total

    @property
    def balance(self) -> Decimal:
        return self.total - self.amount_paid

    @property
    def tuition(self) -> Decimal:
        return _sum(line.net for line in self.lines if line.is_tuition)


# --- rendering --------------------------------------------------------------------------------


def _label(text: str) -> str:
    return pgettext(CONTEXT, text)


def _titles() -> dict[str, str]:
    return {
        INVOICE: pgettext(CONTEXT, "Fee invoice"),
        BILL_OF_SUPPLY: pgettext(CONTEXT, "Bill of supply"),
        TAX_INVOICE: pgettext(CONTEXT, "Tax invoice"),
        INVOICE_CUM_BILL_OF_SUPPLY: pgettext(CONTEXT, "Invoice-cum-bill of supply"),
    }


def _mode(mode: str) -> str:
    labels = {
        "cash": pgettext(CONTEXT, "Cash"),
        "cheque": pgettext(CONTEXT, "Cheque"),
        "bank_transfer": pgettext(CONTEXT, "Bank transfer"),
        "card": pgettext(CONTEXT, "Card"),
        "upi": pgettext(CONTEXT, "UPI"),
        "online": pgettext(CONTEXT, "Online"),
    }
    return labels.get(mode, mode)


def _letterhead(school: School) -> Letterhead:
    contact = " · ".join(part for part in (school.phone, school.email) if part)
    gstin = f"{_label('GSTIN')}: {school.gstin}" if school.gstin else ""
    return Letterhead(
        name=school.name, lines=[*school.address_lines, contact, gstin], logo=school.logo
    )


def _student_pairs(student: Student) -> list[tuple[str, str]]:
    return [
        (_label("Student"), student.name),
        (_label("Admission no."), student.admission_no),
        (_label("Class"), student.class_section),
        (_label("Parent/guardian"), student.guardian_name),
    ]


def _line_rows(lines: Sequence[FeeLine], fines: Sequence[Fine], *, hsn: bool) -> list[list]:
    rows = []
    for line in lines:
        head = f"{line.head} ({line.period})" if line.period else line.head
        row = [head, line.amount, line.concession or "", line.net]
        rows.append([row[0], line.hsn_sac, *row[1:]] if hsn else row)
    for fine in fines:
        row = [fine.description, fine.amount, "", fine.amount]
        rows.append([row[0], "", *row[1:]] if hsn else row)
    return rows


def _line_columns(*, hsn: bool) -> list[Column]:
    columns = [
        Column(_label("Fee head"), 4),
        Column(_label("Amount"), 1.7, money=True),
        Column(_label("Concession"), 1.7, money=True),
        Column(_label("Net"), 1.7, money=True),
    ]
    if hsn:
        columns.insert(1, Column(_label("HSN/SAC"), 1.2))
    return columns


def _footer() -> str:
    return _label("Computer-generated document; no signature is needed.")


def _words(amount: Decimal, language: str) -> str:
    return f"{_label('Amount in words')}: {amount_in_words(amount, language)}"


def render_receipt(doc: FeeReceipt, language: str = "en") -> bytes:
    """The receipt as PDF bytes, labelled in `language` ("en" or "hi")."""
    with translation.override(language):
        pdf = Document(
            title=f"{_label('Fee receipt')} {doc.number}",
            language=language,
            author=doc.school.name,
            created=doc.issued_on,
            footer=_footer(),
        )
        pdf.letterhead(_letterhead(doc.school))
        pdf.heading(_label("Fee receipt"), note=doc.number)
        pdf.key_values(
            [
                (_label("Receipt no."), doc.number),
                (_label("Date"), doc.issued_on.strftime(DATE_FORMAT)),
                (_label("Received from"), doc.received_from),
            ]
        )
        for item in doc.items:
            pdf.key_values(
                [*_student_pairs(item.student), (_label("Invoice no."), item.invoice_number)]
            )
            rows = _line_rows(item.lines, item.fines, hsn=False)
            pdf.table(
                _line_columns(hsn=False), rows, footer_rows=[[_label("Total"), "", "", item.total]]
            )
            if item.tuition:
                pdf.text(
                    f"{_label('Of which tuition fees')}: {format_inr(item.tuition)}", muted=True
                )
        totals: list[tuple[str, Decimal]] = []
        if doc.advance:
            totals.append((_label("Advance kept as credit"), doc.advance))
        totals.append((_label("Amount received"), doc.total))
        pdf.totals(totals)
        pdf.text(_words(doc.total, language), bold=True)
        payment = doc.payment
        mode = _mode(payment.mode)
        if payment.gateway:
            mode = f"{mode} ({payment.gateway})"
        pdf.key_values(
            [
                (_label("Payment mode"), mode),
                (_label("Reference"), payment.reference),
                (_label("Paid on"), payment.paid_on.strftime(DATE_FORMAT)),
                (
                    _label("Tuition fees in this receipt"),
                    format_inr(doc.tuition) if doc.tuition and len(doc.items) > 1 else "",
                ),
            ]
        )
        if doc.notes:
            pdf.text(doc.notes, muted=True)
        return pdf.render()


def render_invoice(doc: FeeInvoice, language: str = "en") -> bytes:
    """The invoice (bill of supply, tax invoice ...) as PDF bytes, labelled in `language`."""
    with translation.override(language):
        title = _titles()[doc.kind]
        pdf = Document(
            title=f"{title} {doc.number}",
            language=language,
            author=doc.school.name,
            created=doc.issued_on,
            footer=_footer(),
        )
        pdf.letterhead(_letterhead(doc.school))
        pdf.heading(title, note=doc.number)
        pdf.key_values(
            [
                (_label("Invoice no."), doc.number),
                (_label("Date"), doc.issued_on.strftime(DATE_FORMAT)),
                (_label("Due date"), doc.due_on.strftime(DATE_FORMAT) if doc.due_on else ""),
                (_label("Place of supply"), doc.place_of_supply),
                (_label("Supplier's state"), doc.school.state),
                *_student_pairs(doc.student),
                *((str(k), str(v)) for k, v in doc.extra.items()),
            ]
        )
        hsn = any(line.hsn_sac for line in doc.lines)
        pdf.table(
            _line_columns(hsn=hsn),
            _line_rows(doc.lines, doc.fines, hsn=hsn),
            footer_rows=[
                [_label("Total"), *([""] if hsn else []), doc.gross + doc.fines_total,
                 doc.concession, doc.gross - doc.concession + doc.fines_total]
            ],
        )  # fmt: skip
        if doc.tuition:
            pdf.text(f"{_label('Of which tuition fees')}: {format_inr(doc.tuition)}", muted=True)
        if doc.taxes:
            pdf.table(
                [
                    Column(_label("Tax"), 2),
                    Column(_label("Rate"), 1, align="RIGHT"),
                    Column(_label("Taxable value"), 2, money=True),
                    Column(_label("Tax amount"), 2, money=True),
                ],
                [[t.name, f"{t.rate}%", t.taxable_value, t.amount] for t in doc.taxes],
                footer_rows=[[_label("Total tax"), "", "", doc.tax_total]],
            )
        totals: list[tuple[str, Decimal]] = [(_label("Gross amount"), doc.gross)]
        if doc.concession:
            totals.append((_label("Concession"), -doc.concession))
        if doc.fines:
            totals.append((_label("Late fines"), doc.fines_total))
        if doc.taxes:
            totals.append((_label("Tax"), doc.tax_total))
        totals.append((_label("Invoice total"), doc.total))
        if doc.amount_paid:
            totals.append((_label("Paid"), doc.amount_paid))
            totals.append((_label("Balance due"), doc.balance))
        pdf.totals(totals)
        pdf.text(_words(doc.total, language), bold=True)
        if doc.notes:
            pdf.text(doc.notes, muted=True)
        return pdf.render()
