"""Money for display: Indian digit grouping and the amount in words, in English and Hindi.

Amounts are `Decimal` rupees with at most two decimal places (paise). Floats are refused: a
float cannot hold 0.10 exactly, and a receipt must print what was charged. Rounding is the
caller's decision (`quantize_money`), never a side effect of printing.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

PAISE = Decimal("0.01")
RUPEE_SIGN = "\u20b9"


def to_money(value: Decimal | int | str) -> Decimal:
    """`value` as a Decimal with exactly two places; ValueError if it has finer precision."""
    if isinstance(value, float | bool):
        raise TypeError(f"money must be a Decimal, int or str, not {type(value).__name__}")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}")
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    quantized = amount.quantize(PAISE)
    if quantized != amount:
        raise ValueError(f"{value} has more than two decimal places; round it first")
    return quantized


def quantize_money(value: Decimal | int | str) -> Decimal:
    """Round to paise, half up (the rounding Indian tax rules use for amounts)."""
    if isinstance(value, float | bool):
        raise TypeError(f"money must be a Decimal, int or str, not {type(value).__name__}")
    return Decimal(value).quantize(PAISE, rounding=ROUND_HALF_UP)


def to_paise(value: Decimal | int | str) -> int:
    """Whole paise for a gateway (the only place amounts leave rupees)."""
    return int(to_money(value) * 100)


def group_indian(digits: str) -> str:
    """'1234567' -> '12,34,567': the last three digits, then groups of two."""
    if len(digits) <= 3:
        return digits
    head, tail = digits[:-3], digits[-3:]
    groups = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    return ",".join([*groups, tail])


def format_inr(value: Decimal | int | str, *, symbol: bool = True) -> str:
    """₹12,34,567.00 (and -₹500.00 for a negative amount)."""
    amount = to_money(value)
    sign = "-" if amount < 0 else ""
    rupees, paise = f"{abs(amount):.2f}".split(".")
    return f"{sign}{RUPEE_SIGN if symbol else ''}{group_indian(rupees)}.{paise}"


# --- English words ----------------------------------------------------------------------------

_EN_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_EN_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def _en_below_100(n: int) -> str:
    if n < 20:
        return _EN_ONES[n]
    tens, ones = divmod(n, 10)
    return _EN_TENS[tens] + (f"-{_EN_ONES[ones]}" if ones else "")


def _en_below_1000(n: int) -> list[str]:
    hundreds, rest = divmod(n, 100)
    words = [f"{_EN_ONES[hundreds]} hundred"] if hundreds else []
    if rest:
        words.append(_en_below_100(rest))
    return words


# --- Hindi words ------------------------------------------------------------------------------
# Hindi names every number below 100 with its own word.
_HI_BELOW_100 = (
    "शून्य एक दो तीन चार पाँच छह सात आठ नौ "
    "दस ग्यारह बारह तेरह चौदह पंद्रह सोलह सत्रह अठारह उन्नीस "
    "बीस इक्कीस बाईस तेईस चौबीस पच्चीस छब्बीस सत्ताईस अट्ठाईस उनतीस "
    "तीस इकतीस बत्तीस तैंतीस चौंतीस पैंतीस छत्तीस सैंतीस अड़तीस उनतालीस "
    "चालीस इकतालीस बयालीस तैंतालीस चौवालीस पैंतालीस छियालीस सैंतालीस अड़तालीस उनचास "
    "पचास इक्यावन बावन तिरेपन चौवन पचपन छप्पन सत्तावन अट्ठावन उनसठ "
    "साठ इकसठ बासठ तिरसठ चौंसठ पैंसठ छियासठ सड़सठ अड़सठ उनहत्तर "
    "सत्तर इकहत्तर बहत्तर तिहत्तर चौहत्तर पचहत्तर छिहत्तर सतहत्तर अठहत्तर उन्यासी "
    "अस्सी इक्यासी बयासी तिरासी चौरासी पचासी छियासी सत्तासी अट्ठासी नवासी "
    "नब्बे इक्यानवे बानवे तिरानवे चौरानवे पचानवे छियानवे सत्तानवे अट्ठानवे निन्यानवे"
).split()
assert len(_HI_BELOW_100) == 100


def _hi_below_1000(n: int) -> list[str]:
    hundreds, rest = divmod(n, 100)
    words = [_HI_BELOW_100[hundreds], "सौ"] if hundreds else []
    if rest:
        words.append(_HI_BELOW_100[rest])
    return words


_SCALES = {
    # language: (below-1000 speller, thousand, lakh, crore)
    "en": (_en_below_1000, "thousand", "lakh", "crore"),
    "hi": (_hi_below_1000, "हज़ार", "लाख", "करोड़"),
}


def number_in_words(n: int, language: str = "en") -> str:
    """A whole number in Indian numbering: 12,34,567 -> 'twelve lakh thirty-four thousand ...'.

    Above 99 crore the count of crores is itself spelled in lakh and thousand, as Indian
    usage does ('one lakh crore').
    """
    if language not in _SCALES:
        raise ValueError(f"unsupported language {language!r}")
    if n < 0:
        raise ValueError("a negative number has no words here")
    below_1000, thousand, lakh, crore = _SCALES[language]
    if n == 0:
        return "zero" if language == "en" else _HI_BELOW_100[0]

    def spell(n: int) -> list[str]:
        crores, n = divmod(n, 10**7)
        lakhs, n = divmod(n, 10**5)
        thousands, n = divmod(n, 1000)
        words: list[str] = []
        if crores:
            words += [*spell(crores), crore]
        if lakhs:
            words += [*below_1000(lakhs), lakh]
        if thousands:
            words += [*below_1000(thousands), thousand]
        if n:
            words += below_1000(n)
        return words

    return " ".join(spell(n))


def amount_in_words(value: Decimal | int | str, language: str = "en") -> str:
    """The amount as printed on an Indian receipt.

    English: "Rupees twelve lakh thirty-four thousand five hundred sixty-seven and fifty paise
    only"; "Rupees zero only"; "Fifty paise only"; "one paisa". Hindi, in Hindi word order:
    "बारह लाख ... सड़सठ रुपये और पचास पैसे मात्र"; "एक रुपया"; "एक पैसा".
    """
    amount = to_money(value)
    if amount < 0:
        raise ValueError("the amount in words is for a non-negative amount")
    rupees = int(amount)
    paise = int((amount - rupees) * 100)
    if language == "en":
        paise_part = f"{number_in_words(paise)} {'paisa' if paise == 1 else 'paise'}"
        if rupees == 0 and paise:
            return f"{paise_part.capitalize()} only"
        text = f"Rupees {number_in_words(rupees)}"
        if paise:
            text += f" and {paise_part}"
        return f"{text} only"
    if language == "hi":
        rupee_word = "रुपया" if rupees == 1 else "रुपये"
        paise_part = f"{number_in_words(paise, 'hi')} {'पैसा' if paise == 1 else 'पैसे'}"
        if rupees == 0 and paise:
            return f"{paise_part} मात्र"
        text = f"{number_in_words(rupees, 'hi')} {rupee_word}"
        if paise:
            text += f" और {paise_part}"
        return f"{text} मात्र"
    raise ValueError(f"unsupported language {language!r}")
