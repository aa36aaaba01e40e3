"""The arithmetic of results, on plain values (no database): rounding, band lookup, a subject's
term percentage from its components (best-N-of-M groups, absent/medical/exempt rules, parts),
the year from the terms, ranks with ties, CGPA and promotion.

Every number is a `Decimal`; nothing is rounded until `round_percent`, which is applied once,
explicitly, *before* a grade is looked up, so the grade and the printed percentage always
agree (90.5 is printed 91 and graded A1, never printed 91 and graded A2).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
HUNDRED = Decimal("100")
MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}


def round_percent(value: Decimal, places: int = 0, mode: str = "half_up") -> Decimal:
    """`value` rounded to `places` decimals with the school's mode (never a float)."""
    if isinstance(value, float):
        raise TypeError("percentages are Decimals")
    quantum = Decimal(1).scaleb(-places)
    return value.quantize(quantum, rounding=MODES[mode])


@dataclass(frozen=True)
class Band:
    min_percent: Decimal
    letter: str = ""
    descriptor: str = ""
    grade_point: Decimal | None = None
    is_pass: bool = True


def check_bands(bands: Sequence[Band]) -> list[str]:
    """What is wrong with a scale's bands (empty when nothing): a band at 0 is required, the
    thresholds are distinct and within 0-100."""
    problems = []
    mins = [b.min_percent for b in bands]
    if ZERO not in mins:
        problems.append("zero_band")
    if len(set(mins)) != len(mins):
        problems.append("duplicate")
    if any(m < ZERO or m > HUNDRED for m in mins):
        problems.append("range")
    return problems


def band_for(bands: Sequence[Band], percent: Decimal) -> Band:
    """The band of an (already rounded) percentage: the highest with `min_percent <= percent`.
    Lower bounds only, so there is no gap to fall into."""
    for band in sorted(bands, key=lambda b: b.min_percent, reverse=True):
        if percent >= band.min_percent:
            return band
    raise ValueError("the scale has no band at 0")


# --- a subject's term ---------------------------------------------------------------------------
PRESENT, ABSENT, MEDICAL, EXEMPT, MISSING = "present", "absent", "medical", "exempt", "missing"


@dataclass(frozen=True)
class ComponentSpec:
    id: str
    weight: Decimal | None  # None inside a group
    group: str | None = None
    part: str = "written"


@dataclass(frozen=True)
class GroupSpec:
    id: str
    best_n: int
    weight: Decimal


@dataclass(frozen=True)
class Score:
    status: str  # present / absent / medical / exempt / missing
    marks: Decimal | None = None
    max_marks: Decimal | None = None


@dataclass(frozen=True)
class Rules:
    absent: str = "zero"  # "zero" or "exclude"
    medical: str = "exclude"


@dataclass
class SubjectTerm:
    percent: Decimal | None  # exact, unrounded
    parts: dict[str, Decimal] = field(default_factory=dict)  # exact percent per part
    counted: dict[str, Decimal] = field(default_factory=dict)  # component id -> fraction used


def fraction(score: Score, rules: Rules) -> Decimal | None:
    """The share of the maximum a score counts as, or None when it is left out."""
    if score.status == PRESENT and score.marks is not None and score.max_marks:
        return score.marks / score.max_marks
    if score.status == ABSENT:
        return ZERO if rules.absent == "zero" else None
    if score.status == MEDICAL:
        return ZERO if rules.medical == "zero" else None
    return None  # exempt, or not entered


def subject_term(
    components: Sequence[ComponentSpec],
    groups: Sequence[GroupSpec],
    scores: dict[str, Score],
    rules: Rules = Rules(),
) -> SubjectTerm:
    """The term percentage of one subject: each counted part's fraction times its weight, over
    the weights counted (a left-out component's weight is shared by the rest). A best-of group
    counts the average of its best `best_n` fractions with the group's weight."""
    items: list[tuple[Decimal, Decimal, str]] = []  # (fraction, weight, part)
    counted: dict[str, Decimal] = {}
    for comp in components:
        if comp.group is not None:
            continue
        value = fraction(scores.get(comp.id, Score(MISSING)), rules)
        if value is not None:
            items.append((value, comp.weight or ZERO, comp.part))
            counted[comp.id] = value
    for group in groups:
        members = [c for c in components if c.group == group.id]
        values = []
        for comp in members:
            value = fraction(scores.get(comp.id, Score(MISSING)), rules)
            if value is not None:
                values.append((value, comp.id))
        if not values:
            continue
        best = sorted(values, key=lambda v: v[0], reverse=True)[: group.best_n]
        for value, comp_id in best:
            counted[comp_id] = value
        average = sum((v for v, _ in best), ZERO) / len(best)
        items.append((average, group.weight, members[0].part))
    return SubjectTerm(percent=_weighted(items), parts=_parts(items), counted=counted)


def _weighted(items: Iterable[tuple[Decimal, Decimal, str]]) -> Decimal | None:
    items = list(items)
    weight = sum((w for _, w, _ in items), ZERO)
    if not weight:
        return None
    return sum((f * w for f, w, _ in items), ZERO) * HUNDRED / weight


def _parts(items: list[tuple[Decimal, Decimal, str]]) -> dict[str, Decimal]:
    out = {}
    for part in sorted({p for _, _, p in items}):
        value = _weighted(i for i in items if i[2] == part)
        if value is not None:
            out[part] = value
    return out


def weighted_year(terms: Iterable[tuple[Decimal | None, Decimal]]) -> Decimal | None:
    """The year's percentage from each term's own (exact) percentage and the term's weight:
    each component is counted in its own term only, and each term once."""
    return _weighted((p / HUNDRED, w, "") for p, w in terms if p is not None)


# --- ranks, CGPA, promotion ---------------------------------------------------------------------
def ranks(values: dict[str, Decimal | None], rule: str = "competition") -> dict[str, int]:
    """Rank of each key by value, highest first; None values are not ranked. Ties share a
    rank; `competition` skips after a tie (1, 2, 2, 4), `dense` does not (1, 2, 2, 3)."""
    ordered = sorted(((v, k) for k, v in values.items() if v is not None), key=lambda x: -x[0])
    out: dict[str, int] = {}
    previous = None
    rank = 0
    for position, (value, key) in enumerate(ordered, start=1):
        if value != previous:
            rank = position if rule == "competition" else rank + 1
            previous = value
        out[key] = rank
    return out


def cgpa(points: Iterable[Decimal | None]) -> Decimal | None:
    points = [p for p in points if p is not None]
    if not points:
        return None
    return (sum(points, ZERO) / len(points)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def promotion(
    *,
    failed_subjects: int,
    attendance_percent: Decimal | None,
    min_attendance: Decimal,
    compartment_max: int,
) -> str:
    """promoted / compartment / detained: short attendance detains whatever the marks (no
    attendance recorded does not); failing up to `compartment_max` subjects is a compartment,
    more is detention."""
    if attendance_percent is not None and attendance_percent < min_attendance:
        return "detained"
    if failed_subjects == 0:
        return "promoted"
    if failed_subjects <= compartment_max:
        return "compartment"
    return "detained"
