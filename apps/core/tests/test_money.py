from __future__ import annotations

from decimal import Decimal as D

import pytest

from apps.core.money import (
    amount_in_words,
    format_inr,
    group_indian,
    number_in_words,
    quantize_money,
    to_money,
    to_paise,
)


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("0", "₹0.00"),
        ("0.5", "₹0.50"),
        ("1", "₹1.00"),
        ("999", "₹999.00"),
        ("1000", "₹1,000.00"),
        ("99999.9", "₹99,999.90"),
        ("100000", "₹1,00,000.00"),
        ("1234567", "₹12,34,567.00"),
        ("999999999.99", "₹99,99,99,999.99"),
        ("1000000000", "₹1,00,00,00,000.00"),
        ("123456789012.34", "₹1,23,45,67,89,012.34"),
        ("-1500", "-₹1,500.00"),
    ],
)  # fmt: skip
def test_format_inr_groups_the_indian_way(amount, text):
    assert format_inr(D(amount)) == text
    assert format_inr(D(amount), symbol=False) == text.replace("₹", "")


def test_group_indian_small_numbers_are_untouched():
    assert [group_indian(s) for s in ("7", "42", "999", "1000", "10000")] == [
        "7",
        "42",
        "999",
        "1,000",
        "10,000",
    ]


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "Rupees zero only"),
        ("0.01", "One paisa only"),
        ("0.50", "Fifty paise only"),
        ("0.99", "Ninety-nine paise only"),
        ("1", "Rupees one only"),
        ("1.01", "Rupees one and one paisa only"),
        ("19", "Rupees nineteen only"),
        ("20", "Rupees twenty only"),
        ("21", "Rupees twenty-one only"),
        ("99", "Rupees ninety-nine only"),
        ("100", "Rupees one hundred only"),
        ("101", "Rupees one hundred one only"),
        ("110", "Rupees one hundred ten only"),
        ("1000", "Rupees one thousand only"),
        ("1001", "Rupees one thousand one only"),
        ("10000", "Rupees ten thousand only"),
        ("100000", "Rupees one lakh only"),
        ("200000.00", "Rupees two lakh only"),
        ("1234567.50", "Rupees twelve lakh thirty-four thousand five hundred sixty-seven and fifty paise only"),
        ("10000000", "Rupees one crore only"),
        ("10000001", "Rupees one crore one only"),
        ("999999999.99", "Rupees ninety-nine crore ninety-nine lakh ninety-nine thousand nine hundred ninety-nine and ninety-nine paise only"),
        ("1000000000", "Rupees one hundred crore only"),
        ("1000000000000", "Rupees one lakh crore only"),
        ("123456789012", "Rupees twelve thousand three hundred forty-five crore sixty-seven lakh eighty-nine thousand twelve only"),
    ],
)  # fmt: skip
def test_amount_in_words_english(amount, words):
    assert amount_in_words(D(amount)) == words


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "शून्य रुपये मात्र"),
        ("0.01", "एक पैसा मात्र"),
        ("0.50", "पचास पैसे मात्र"),
        ("1", "एक रुपया मात्र"),
        ("19", "उन्नीस रुपये मात्र"),
        ("99", "निन्यानवे रुपये मात्र"),
        ("100", "एक सौ रुपये मात्र"),
        ("1000", "एक हज़ार रुपये मात्र"),
        ("100000", "एक लाख रुपये मात्र"),
        ("1234567.50", "बारह लाख चौंतीस हज़ार पाँच सौ सड़सठ रुपये और पचास पैसे मात्र"),
        ("999999999.99", "निन्यानवे करोड़ निन्यानवे लाख निन्यानवे हज़ार नौ सौ निन्यानवे रुपये और निन्यानवे पैसे मात्र"),
        ("1000000000000", "एक लाख करोड़ रुपये मात्र"),
    ],
)  # fmt: skip
def test_amount_in_words_hindi(amount, words):
    assert amount_in_words(D(amount), "hi") == words


def test_every_number_below_a_hundred_has_its_own_word_in_both_languages():
    english = [number_in_words(n) for n in range(100)]
    hindi = [number_in_words(n, "hi") for n in range(100)]
    assert len(set(english)) == len(set(hindi)) == 100
    assert all(" " not in w for w in hindi)
    assert english[45] == "forty-five" and hindi[45] == "पैंतालीस"


def test_words_read_back_to_the_number():
    """Numbers around every group boundary (below 100 crore) read back to themselves."""
    values = {"hundred": 100, "thousand": 1000, "lakh": 10**5, "crore": 10**7}
    small = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split())}  # fmt: skip
    tens = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if i > 1}  # fmt: skip

    def read(text: str) -> int:
        total, current = 0, 0
        for word in text.split():
            if word == "hundred":
                current *= 100
            elif word in values:
                total, current = total + current * values[word], 0
            else:
                head, _, tail = word.partition("-")
                current += small.get(head, tens.get(head, 0)) + (small[tail] if tail else 0)
        return total + current

    for n in [0, 7, 15, 40, 99, 100, 105, 999, 1000, 1999, 10001, 99999, 100000, 250075, 1234567,
              9999999, 10000000, 12345678, 999999999]:  # fmt: skip
        assert read(number_in_words(n)) == n, n


def test_bad_amounts_are_refused():
    with pytest.raises(TypeError):
        format_inr(0.1)
    with pytest.raises(TypeError):
        amount_in_words(1.5)
    with pytest.raises(ValueError, match="more than two decimal places"):
        format_inr(D("1.005"))
    with pytest.raises(ValueError):
        amount_in_words(D("-1"))
    with pytest.raises(ValueError):
        to_money("NaN")
    with pytest.raises(ValueError):
        to_money("abc")
    with pytest.raises(ValueError):
        amount_in_words(D("1"), "fr")


def test_conversions():
    assert to_money("12.5") == D("12.50") and str(to_money(3)) == "3.00"
    assert quantize_money(D("1.005")) == D("1.01") and quantize_money(D("1.004")) == D("1.00")
    assert to_paise(D("1234.56")) == 123456 and to_paise(D("0.01")) == 1
    assert to_paise("99999999.99") == 9999999999
