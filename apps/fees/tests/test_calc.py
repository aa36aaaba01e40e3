"""Property tests of the fee arithmetic (hypothesis): installments and concessions add up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from apps.fees.services.calc import (
    ConcessionTerm,
    apply_concessions,
    document_number,
    financial_year,
    invoice_kind,
    late_fine,
    line_tax,
    split_amount,
    split_lines,
)

money = st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2)
small_money = st.decimals(min_value=0, max_value=Decimal("100000"), places=2)
percent = st.decimals(min_value=Decimal("0.01"), max_value=100, places=2)
HEADS = ["TUI", "TRN", "LAB"]


@given(total=money, parts=st.integers(min_value=1, max_value=24))
def test_installments_add_up_exactly_and_only_the_last_differs(total, parts):
    shares = split_amount(total, parts)
    assert len(shares) == parts
    assert sum(shares, Decimal("0")) == total
    assert all(s >= 0 and s == s.quantize(Decimal("0.01")) for s in shares)
    assert len(set(shares[:-1])) <= 1
    assert 0 <= shares[-1] - shares[0] < Decimal("0.01") * parts


@given(amounts=st.lists(money, min_size=1, max_size=6), parts=st.integers(1, 12))
def test_every_lines_shares_add_up_to_the_line(amounts, parts):
    grid = split_lines(amounts, parts)
    for j, amount in enumerate(amounts):
        assert sum((row[j] for row in grid), Decimal("0")) == amount
    assert sum((sum(row, Decimal("0")) for row in grid), Decimal("0")) == sum(amounts)


terms = st.lists(
    st.builds(
        ConcessionTerm,
        kind=st.sampled_from(["percent", "fixed"]),
        value=small_money.filter(lambda v: v > 0),
        head_id=st.sampled_from([None, *HEADS]),
        cap=st.one_of(st.none(), small_money.filter(lambda v: v > 0)),
    ),
    max_size=5,
)


@settings(max_examples=300)
@given(amounts=st.lists(small_money, min_size=3, max_size=3), terms=terms)
def test_concessions_never_take_a_line_below_zero_nor_exceed_their_caps(amounts, terms):
    terms = [
        ConcessionTerm(t.kind, min(t.value, Decimal(100)), t.head_id, t.cap)
        if t.kind == "percent"
        else t
        for t in terms
    ]
    lines = list(zip(HEADS, amounts, strict=True))
    given_ = apply_concessions(lines, terms)
    assert all(0 <= g <= amount for g, amount in zip(given_, amounts, strict=True))
    assert sum(given_, Decimal("0")) <= sum(amounts)
    # Each concession alone never gives more than its cap or (fixed) its value.
    for term in terms:
        alone = sum(apply_concessions(lines, [term]), Decimal("0"))
        if term.cap is not None:
            assert alone <= term.cap
        if term.kind == "fixed":
            assert alone <= term.value


@given(amounts=st.lists(small_money, min_size=3, max_size=3), p1=percent, p2=percent)
def test_percentages_add_on_the_full_amount_without_compounding(amounts, p1, p2):
    lines = list(zip(HEADS, amounts, strict=True))
    both = apply_concessions(lines, [ConcessionTerm("percent", p1), ConcessionTerm("percent", p2)])
    for amount, got in zip(amounts, both, strict=True):
        first = (amount * p1 / 100).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
        second = (amount * p2 / 100).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
        assert got == min(amount, first + second)


def test_gst_splits_within_a_state_and_is_igst_across_states():
    assert line_tax(Decimal("300"), Decimal("18"), inter_state=False) == (
        Decimal("27.00"), Decimal("27.00"), Decimal("0.00")
    )  # fmt: skip
    assert line_tax(Decimal("300"), Decimal("18"), inter_state=True)[2] == Decimal("54.00")
    assert line_tax(Decimal("300"), Decimal("0"), inter_state=False) == (0, 0, 0)


def test_document_type_follows_the_tax_classes():
    assert invoice_kind({"exempt"}) == "bill_of_supply"
    assert invoice_kind({"taxable"}) == "tax_invoice"
    assert invoice_kind({"exempt", "taxable"}) == "invoice_cum_bill"


def test_financial_years_run_april_to_march_and_numbers_fit_16_characters():
    assert financial_year(dt.date(2026, 3, 31)) == "25-26"
    assert financial_year(dt.date(2026, 4, 1)) == "26-27"
    assert financial_year(dt.date(2099, 12, 1)) == "99-00"
    number = document_number("receipt", "25-26", 123)
    assert number == "RCT/25-26/000123" and len(number) == 16


def test_late_fine_kinds_grace_and_cap():
    due = dt.date(2026, 4, 10)

    def fine(kind, amount, days, cap=None, balance=Decimal("1000")):
        return late_fine(kind=kind, amount=Decimal(amount), grace_days=3, cap=cap,
                         due_date=due, today=due + dt.timedelta(days=days), balance=balance)  # fmt: skip

    assert fine("flat", "50", 3) == 0
    assert fine("flat", "50", 4) == 50
    assert fine("per_day", "10", 10) == 70
    assert fine("per_day", "10", 100, cap=Decimal("200")) == 200
    assert fine("percent", "2.5", 4) == Decimal("25.00")
    assert fine("flat", "50", 40, balance=Decimal("0")) == 0
