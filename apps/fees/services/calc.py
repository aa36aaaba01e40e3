"""The arithmetic of fees, as pure functions (no database): splitting into installments,
combining concessions, GST, the document type, late fines and financial years. Property tests
check them exhaustively (tests/test_calc.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from ..models import ZERO, DocumentType, InvoiceKind, LateFineKind, TaxClass

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


def q(value: Decimal) -> Decimal:
    """Rounded to paise, half up (how Indian invoices round)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- Installments -------------------------------------------------------------------------------
def split_amount(total: Decimal, parts: int) -> list[Decimal]:
    """`total` in `parts` equal shares rounded down to the paisa; the remainder goes to the
    last share, so the shares always add up exactly to `total`."""
    if parts < 1:
        raise ValueError("parts must be at least 1")
    share = (total / parts).quantize(CENT, rounding=ROUND_DOWN)
    return [share] * (parts - 1) + [total - share * (parts - 1)]


def split_lines(amounts: Sequence[Decimal], parts: int) -> list[list[Decimal]]:
    """Every line split over `parts` installments: result[i][j] is line j's share of
    installment i. Each line's shares add up to the line, so installments add up to the total."""
    per_line = [split_amount(amount, parts) for amount in amounts]
    return [[shares[i] for shares in per_line] for i in range(parts)]


# --- Concessions --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConcessionTerm:
    """One concession as the arithmetic sees it: percent or fixed, on a head (head_id) or the
    whole structure (head_id None), at most `cap` per invoice."""

    kind: str  # "percent" | "fixed"
    value: Decimal
    head_id: Any = None
    cap: Decimal | None = None


def apply_concessions(
    lines: Sequence[tuple[Any, Decimal]], terms: Iterable[ConcessionTerm]
) -> list[Decimal]:
    """The concession on each of an invoice's fee lines ((head_id, amount) pairs).

    The combination rule:
    1. percentages first, each on the line's full amount (several percentages add up, they
       do not compound); a head's percentage applies to that head's line, a whole-structure
       one to every line;
    2. then fixed amounts (per invoice): a head's on its line, a whole-structure one spread
       over the lines in order, each line taking what is left of it;
    3. a concession never gives more than its cap on one invoice;
    4. a line never goes below zero: a concession takes at most what is left of the line.
    """
    remaining = [amount for _, amount in lines]
    given = [ZERO] * len(remaining)
    ordered = sorted(terms, key=lambda t: 0 if t.kind == "percent" else 1)
    for term in ordered:
        budget = term.cap
        fixed_left = term.value
        for i, (head_id, amount) in enumerate(lines):
            if term.head_id is not None and term.head_id != head_id:
                continue
            if term.kind == "percent":
                want = q(amount * term.value / HUNDRED)
            else:
                want = fixed_left
            take = min(want, remaining[i])
            if budget is not None:
                take = min(take, budget)
                budget -= take
            if term.kind != "percent":
                fixed_left -= take
            remaining[i] -= take
            given[i] += take
    return given


# --- Tax ----------------------------------------------------------------------------------------
def line_tax(taxable: Decimal, rate: Decimal, *, inter_state: bool) -> tuple[Decimal, ...]:
    """(CGST, SGST, IGST) on `taxable` at `rate` %: IGST across states, else half each."""
    if not rate or taxable <= 0:
        return ZERO, ZERO, ZERO
    if inter_state:
        return ZERO, ZERO, q(taxable * rate / HUNDRED)
    half = q(taxable * rate / (2 * HUNDRED))
    return half, half, ZERO


def invoice_kind(tax_classes: Iterable[str]) -> str:
    """Bill of supply when every fee is exempt, tax invoice when every fee is taxable, an
    invoice-cum-bill of supply when both are billed together (GST rule 46A)."""
    classes = set(tax_classes)
    if classes <= {TaxClass.EXEMPT}:
        return InvoiceKind.BILL_OF_SUPPLY
    if classes == {TaxClass.TAXABLE}:
        return InvoiceKind.TAX_INVOICE
    return InvoiceKind.INVOICE_CUM_BILL


def sequence_for(kind: str) -> str:
    """The numbering sequence of an invoice's document type."""
    if kind == InvoiceKind.BILL_OF_SUPPLY:
        return DocumentType.BILL_OF_SUPPLY
    return DocumentType.INVOICE


# --- Late fines ---------------------------------------------------------------------------------
def late_fine(
    *,
    kind: str,
    amount: Decimal,
    grace_days: int,
    cap: Decimal | None,
    due_date: dt.date,
    today: dt.date,
    balance: Decimal,
) -> Decimal:
    """The fine on an invoice `today`: nothing within the grace days after the due date, then
    a flat amount, `amount` per day beyond the grace days, or `amount` % of the balance; never
    more than `cap`, never negative."""
    late = (today - due_date).days - grace_days
    if late <= 0 or balance <= 0:
        return ZERO
    if kind == LateFineKind.FLAT:
        fine = amount
    elif kind == LateFineKind.PER_DAY:
        fine = amount * late
    else:
        fine = q(balance * amount / HUNDRED)
    if cap is not None:
        fine = min(fine, cap)
    return max(fine, ZERO)


# --- Financial years and numbers ----------------------------------------------------------------
PREFIXES = {
    DocumentType.INVOICE: "INV",
    DocumentType.BILL_OF_SUPPLY: "BOS",
    DocumentType.RECEIPT: "RCT",
    DocumentType.CREDIT_NOTE: "CRN",
}


def financial_year(day: dt.date) -> str:
    """Indian financial years run April to March: 2025-04-01 .. 2026-03-31 is "25-26"."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start % 100:02d}-{(start + 1) % 100:02d}"


def document_number(doc_type: str, fy: str, number: int) -> str:
    """e.g. RCT/25-26/000123 (16 characters)."""
    return f"{PREFIXES[doc_type]}/{fy}/{number:06d}"
