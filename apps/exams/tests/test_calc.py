"""The arithmetic on plain values: rounding before the band lookup, best-N-of-M, absent vs
zero, weights across terms, ranks with ties, promotion."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.exams.services import calc
from apps.exams.services.scales import BUILTINS

D = Decimal
CBSE = [calc.Band(m, letter, desc, gp, ok) for m, letter, desc, gp, ok in BUILTINS["cbse-8"][2]]


def grade(percent: Decimal, places=0, mode="half_up") -> str:
    return calc.band_for(CBSE, calc.round_percent(percent, places, mode)).letter


@pytest.mark.parametrize(
    ("percent", "expected"),
    [(D("90.5"), "A1"), (D("90.49"), "A2"), (D("32.5"), "D"), (D("33"), "D"),
     (D("32.49"), "E"), (D("100"), "A1"), (D("0"), "E"), (D("91"), "A1"), (D("80.5"), "A2")],
)  # fmt: skip
def test_rounding_happens_before_the_band_lookup(percent, expected):
    assert grade(percent) == expected


def test_rounding_mode_and_places_are_explicit():
    assert calc.round_percent(D("90.5"), 0, "half_even") == D("90")
    assert calc.round_percent(D("90.5"), 0, "half_up") == D("91")
    assert calc.round_percent(D("90.495"), 2, "half_up") == D("90.50")
    assert grade(D("90.5"), 0, "half_even") == "A2"
    with pytest.raises(TypeError):
        calc.round_percent(90.5)


def test_an_exam_not_out_of_100():
    # 36.2 of 40 is 90.5%: rounded to 91 before the lookup, so A1
    term = calc.subject_term(
        [calc.ComponentSpec("x", D(100))], [], {"x": calc.Score("present", D("36.2"), D(40))}
    )
    assert term.percent == D("90.5")
    assert grade(term.percent) == "A1"


def test_bands_need_a_zero_band_and_distinct_thresholds():
    assert calc.check_bands([calc.Band(D(33)), calc.Band(D(50))]) == ["zero_band"]
    assert "duplicate" in calc.check_bands([calc.Band(D(0)), calc.Band(D(0))])
    assert calc.check_bands(CBSE) == []


COMPONENTS = [
    calc.ComponentSpec("pt1", None, "pt", "internal"),
    calc.ComponentSpec("pt2", None, "pt", "internal"),
    calc.ComponentSpec("pt3", None, "pt", "internal"),
    calc.ComponentSpec("exam", D(90), None, "written"),
]
GROUPS = [calc.GroupSpec("pt", 2, D(10))]


def present(marks, out_of=50):
    return calc.Score("present", D(marks), D(out_of))


def test_best_two_of_three_periodic_tests():
    scores = {"pt1": present(20), "pt2": present(40), "pt3": present(45), "exam": present(45)}
    term = calc.subject_term(COMPONENTS, GROUPS, scores)
    # best two: 0.8 and 0.9 -> 0.85 x 10 = 8.5; exam 0.9 x 90 = 81 -> 89.5
    assert term.percent == D("89.5")
    assert set(term.counted) == {"pt2", "pt3", "exam"}
    assert term.parts == {"internal": D("85"), "written": D("90")}


def test_absent_is_not_zero_but_the_rule_decides_how_it_counts():
    scores = {"pt1": present(40), "pt2": present(40), "pt3": present(40),
              "exam": calc.Score("absent")}  # fmt: skip
    as_zero = calc.subject_term(COMPONENTS, GROUPS, scores, calc.Rules(absent="zero"))
    left_out = calc.subject_term(COMPONENTS, GROUPS, scores, calc.Rules(absent="exclude"))
    assert as_zero.percent == D("8")  # 0.8 x 10 of 100
    assert left_out.percent == D("80")  # only the tests count
    medical = calc.subject_term(COMPONENTS, GROUPS, {**scores, "exam": calc.Score("medical")})
    assert medical.percent == D("80")  # medical leave is left out by default
    exempt = calc.subject_term(COMPONENTS, GROUPS, {"exam": calc.Score("exempt")})
    assert exempt.percent is None


def test_a_missing_test_in_a_best_of_group_counts_what_there_is():
    scores = {"pt1": calc.Score("absent"), "pt2": present(40), "pt3": present(30),
              "exam": present(90, 90)}  # fmt: skip
    term = calc.subject_term(COMPONENTS, GROUPS, scores, calc.Rules(absent="zero"))
    # best two of (0, 0.8, 0.6) = 0.7 x 10 = 7 ; exam 90
    assert term.percent == D("97")


def test_year_weights_count_each_term_once():
    # Term 1: 60, Term 2: 90, weighted 40/60 -> 78, not (60+90)/2 nor 60*0.4+90*0.6+...
    assert calc.weighted_year([(D(60), D(40)), (D(90), D(60))]) == D("78")
    # a term without result gives its weight to the others
    assert calc.weighted_year([(None, D(40)), (D(90), D(60))]) == D("90")


def test_ranks_competition_and_dense():
    values = {"a": D(90), "b": D(85), "c": D(85), "d": D(70), "e": None}
    assert calc.ranks(values, "competition") == {"a": 1, "b": 2, "c": 2, "d": 4}
    assert calc.ranks(values, "dense") == {"a": 1, "b": 2, "c": 2, "d": 3}


def test_promotion_rules():
    kw = {"min_attendance": D(75), "compartment_max": 2}
    assert calc.promotion(failed_subjects=0, attendance_percent=D(80), **kw) == "promoted"
    assert calc.promotion(failed_subjects=1, attendance_percent=D(80), **kw) == "compartment"
    assert calc.promotion(failed_subjects=3, attendance_percent=D(80), **kw) == "detained"
    assert calc.promotion(failed_subjects=0, attendance_percent=D("74.99"), **kw) == "detained"
    assert calc.promotion(failed_subjects=0, attendance_percent=None, **kw) == "promoted"


def test_cgpa():
    assert calc.cgpa([D(10), D(9), D(8)]) == D("9.00")
    assert calc.cgpa([]) is None
