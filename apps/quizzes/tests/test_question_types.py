"""question_types: shapes, validation, grading and the student's paper, per type (pure Python)."""

from __future__ import annotations

import json
import random

import pytest

from apps.quizzes import question_types as qt

OPTIONS = [{"id": "a", "text": "Paris"}, {"id": "b", "text": "Lyon"}, {"id": "c", "text": "Nice"}]


def single(**fields):
    return {"type": "single", "question_text": "Capital?", "options": OPTIONS, **fields} | {
        "correct_answer": fields.get("correct_answer", "a")
    }


def multiple(partial=False, **fields):
    four = [*OPTIONS, {"id": "d", "text": "Lille"}]
    return {
        "type": "multiple",
        "question_text": "Cities of France?",
        "options": four,
        "correct_answer": ["a", "b"],
        "partial_credit": partial,
        **fields,
    }


def matching(partial=False):
    return qt.normalize(
        {
            "type": "matching",
            "question_text": "Match",
            "pairs": [
                {"left": "H2O", "right": "Water"},
                {"left": "NaCl", "right": "Salt"},
                {"left": "D2O", "right": "Water"},
            ],
            "partial_credit": partial,
        }
    )


NUMERIC = {
    "type": "numeric",
    "question_text": "g?",
    "correct_answer": {"value": 9.81, "tolerance": 0.05},
}
SHORT = {"type": "short", "question_text": "Capital?", "correct_answer": ["Paris", "City of Paris"]}
TRUE_FALSE = {"type": "true_false", "question_text": "The sun is a star.", "correct_answer": True}

VALID = {
    "single": single(),
    "multiple": multiple(),
    "true_false": TRUE_FALSE,
    "numeric": NUMERIC,
    "short": SHORT,
    "matching": matching(),
}


# --- validate -------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", qt.TYPES)
def test_every_type_has_a_valid_example(kind):
    assert qt.validate(qt.normalize(VALID[kind])) == {}


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({**TRUE_FALSE, "type": "essay"}, "type"),
        ({**TRUE_FALSE, "question_text": "  "}, "question_text"),
        ({**TRUE_FALSE, "marks": 0}, "marks"),
        ({**TRUE_FALSE, "marks": "2"}, "marks"),
        ({**TRUE_FALSE, "difficulty": "impossible"}, "difficulty"),
        ({**TRUE_FALSE, "correct_answer": "true"}, "correct_answer"),
        ({**TRUE_FALSE, "options": OPTIONS}, "options"),
        ({**TRUE_FALSE, "pairs": [{"id": "1"}]}, "pairs"),
        (single(correct_answer="z"), "correct_answer"),
        (single(correct_answer=["a"]), "correct_answer"),
        (single(options=[{"id": "a", "text": "Only"}]), "options"),
        (single(options=[{"id": "a", "text": "x"}, {"id": "a", "text": "y"}]), "options"),
        (single(options=[{"id": "a", "text": "x"}, {"id": "b", "text": ""}]), "options"),
        (single(options="a, b"), "options"),
        (single(shuffle_options="yes"), "shuffle_options"),
        (multiple(correct_answer=[]), "correct_answer"),
        (multiple(correct_answer=["a", "a"]), "correct_answer"),
        (multiple(correct_answer=["a", "z"]), "correct_answer"),
        (multiple(correct_answer="a"), "correct_answer"),
        (multiple(partial_credit="sometimes"), "partial_credit"),
        ({**NUMERIC, "correct_answer": 9.81}, "correct_answer"),
        ({**NUMERIC, "correct_answer": {"value": "9.81"}}, "correct_answer"),
        ({**NUMERIC, "correct_answer": {"value": 1, "tolerance": -1}}, "correct_answer"),
        ({**NUMERIC, "correct_answer": {"value": float("nan")}}, "correct_answer"),
        ({**NUMERIC, "correct_answer": {"value": 1, "unit": "m"}}, "correct_answer"),
        ({**SHORT, "correct_answer": []}, "correct_answer"),
        ({**SHORT, "correct_answer": ["Paris", " "]}, "correct_answer"),
        ({**SHORT, "correct_answer": None}, "correct_answer"),
    ],
)
def test_invalid_questions_name_the_field(doc, field):
    assert field in qt.validate(qt.normalize(doc))


def test_matching_needs_two_complete_pairs_and_a_consistent_answer():
    one = qt.normalize({"type": "matching", "question_text": "M", "pairs": [{"left": "a"}]})
    assert "pairs" in qt.validate(one)
    doc = matching()
    assert "correct_answer" in qt.validate({**doc, "correct_answer": {"1": "nope"}})
    twins = [dict(p, right_id="same") for p in doc["pairs"]]
    assert "pairs" in qt.validate(qt.normalize({**doc, "pairs": twins}))


def test_normalize_fills_ids_without_touching_the_input():
    raw = {"type": "single", "question_text": "Q", "options": ["x", {"text": "y"}]}
    doc = qt.normalize(raw)
    assert doc["options"] == [{"id": "a", "text": "x"}, {"id": "b", "text": "y"}]
    assert raw["options"] == ["x", {"text": "y"}]
    assert qt.normalize({**SHORT, "correct_answer": "Paris"})["correct_answer"] == ["Paris"]
    assert (
        qt.normalize(multiple(partial_credit=None) | {"partial_credit": False})["partial_credit"]
        is False
    )


def test_normalize_gives_matching_random_right_ids_and_derives_the_answer():
    first, second = matching(), matching()
    assert [p["id"] for p in first["pairs"]] == ["1", "2", "3"]
    right_ids = [p["right_id"] for p in first["pairs"]]
    assert len(set(right_ids)) == 3
    assert first["correct_answer"] == dict(zip(["1", "2", "3"], right_ids, strict=True))
    assert right_ids != [p["right_id"] for p in second["pairs"]]  # not derivable from the ids
    assert qt.normalize(first) == first  # idempotent: an edit keeps the ids


# --- grade ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "answer", "credit"),
    [
        (single(), "a", 1.0),
        (single(), "b", 0.0),
        (TRUE_FALSE, True, 1.0),
        (TRUE_FALSE, False, 0.0),
        ({**TRUE_FALSE, "correct_answer": False}, False, 1.0),
        (NUMERIC, 9.81, 1.0),
        (NUMERIC, 9.86, 1.0),  # on the tolerance boundary
        (NUMERIC, 9.76, 1.0),
        (NUMERIC, 9.87, 0.0),
        (NUMERIC, "9,8", 1.0),  # a decimal comma typed by a student
        (NUMERIC, " 9.8 ", 1.0),
        ({**NUMERIC, "correct_answer": {"value": 0.3, "tolerance": 0}}, 0.1 + 0.2, 1.0),
        ({**NUMERIC, "correct_answer": {"value": 3}}, 3, 1.0),
        (SHORT, "paris", 1.0),
        (SHORT, "  city   OF paris ", 1.0),
        (SHORT, "Pariss", 0.0),
        (multiple(), ["b", "a"], 1.0),
        (multiple(), ["a"], 0.0),
        (multiple(), ["a", "b", "c"], 0.0),
        (multiple(partial=True), ["a"], 0.5),
        (multiple(partial=True), ["a", "b"], 1.0),
        (multiple(partial=True), ["a", "c"], 0.0),  # half right minus half of the wrong ones
        (multiple(partial=True), ["a", "b", "c"], 0.5),
        (multiple(partial=True), ["a", "b", "c", "d"], 0.0),  # choosing everything earns 0
        (multiple(partial=True), [], 0.0),
    ],
)
def test_grade(question, answer, credit):
    assert qt.grade(qt.normalize(question), answer) == pytest.approx(credit)


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        (single(), None),
        (single(), ["a"]),
        (single(), {"a": 1}),
        (TRUE_FALSE, "true"),
        (TRUE_FALSE, 1),
        (NUMERIC, "nine"),
        (NUMERIC, True),
        (NUMERIC, float("inf")),
        (NUMERIC, [9.81]),
        (SHORT, ["Paris"]),
        (SHORT, 7),
        (multiple(), "a"),
        (multiple(), ["a", "a", "b"]),
        (multiple(), ["a", 3]),
        (multiple(partial=True), ["a", "zz"]),
    ],
)
def test_malformed_answers_earn_nothing_and_never_raise(question, answer):
    question = qt.normalize(question)
    assert qt.answer_is_valid_shape(question, answer) is False
    assert qt.grade(question, answer) == 0.0


def test_damaged_questions_grade_zero():
    assert qt.grade({"type": "numeric", "correct_answer": "oops"}, 3) == 0.0
    assert qt.grade({"type": "short", "correct_answer": None}, "x") == 0.0
    assert qt.grade({"type": "matching", "pairs": None}, {}) == 0.0
    assert qt.grade({"type": "essay"}, "words") == 0.0
    assert qt.grade({}, None) == 0.0


def test_matching_grades_by_pair_and_accepts_interchangeable_right_items():
    doc = matching()
    ids = {p["left"]: p["right_id"] for p in doc["pairs"]}
    right = {"1": ids["H2O"], "2": ids["NaCl"], "3": ids["D2O"]}
    assert qt.grade(doc, right) == 1.0
    # D2O and H2O both match "Water": either Water item is right for either.
    assert qt.grade(doc, {"1": ids["D2O"], "2": ids["NaCl"], "3": ids["H2O"]}) == 1.0
    one_wrong = {"1": ids["NaCl"], "2": ids["NaCl"], "3": ids["D2O"]}
    assert qt.grade(doc, one_wrong) == 0.0
    assert qt.grade(matching(partial=True) | {"pairs": doc["pairs"]}, one_wrong) == pytest.approx(
        2 / 3
    )
    assert qt.grade(doc | {"partial_credit": True}, {"1": ids["H2O"]}) == pytest.approx(1 / 3)
    assert qt.answer_is_valid_shape(doc, {"1": ids["H2O"]})  # unanswered items may be left out
    assert not qt.answer_is_valid_shape(doc, {"9": ids["H2O"]})
    assert not qt.answer_is_valid_shape(doc, {"1": "1"})  # the left id is not a right id
    assert not qt.answer_is_valid_shape(doc, [ids["H2O"]])


@pytest.mark.parametrize("kind", qt.TYPES)
def test_valid_answers_have_a_valid_shape(kind):
    answers = {
        "single": "a",
        "multiple": ["a"],
        "true_false": False,
        "numeric": 1,
        "short": "anything",
        "matching": {},
    }
    assert qt.answer_is_valid_shape(VALID[kind], answers[kind])


# --- paper ----------------------------------------------------------------------------------------
SECRETS = ("correct_answer", "explanation", "tolerance", "partial_credit", "pairs", "right_id")


@pytest.mark.parametrize("kind", qt.TYPES)
def test_the_paper_reveals_no_answer(kind):
    question = {
        **VALID[kind],
        "id": "q1",
        "explanation": "Because SECRET-EXPLANATION",
        "author_id": "someone",
        "tags": ["t"],
        "marks": 2,
    }
    paper = qt.paper(question, random.Random(1))
    text = json.dumps(paper)
    for key in SECRETS:
        assert f'"{key}"' not in text
    assert "SECRET-EXPLANATION" not in text
    assert paper["id"] == "q1" and paper["type"] == kind and paper["marks"] == 2
    if kind == "short":
        assert "City of Paris" not in text
    if kind == "numeric":
        assert "9.81" not in text
    if kind in ("single", "multiple"):
        assert paper["options"] == [{"id": o["id"], "text": o["text"]} for o in question["options"]]


def test_paper_options_keep_only_id_and_text_and_shuffle_when_asked():
    options = [{"id": c, "text": c.upper(), "feedback": "right!"} for c in "abcdefgh"]
    question = single(options=options)
    assert [o["id"] for o in qt.paper(question, random.Random(3))["options"]] == list("abcdefgh")
    shuffled = qt.paper({**question, "shuffle_options": True}, random.Random(3))["options"]
    assert sorted(o["id"] for o in shuffled) == list("abcdefgh")
    assert [o["id"] for o in shuffled] != list("abcdefgh")
    assert all(set(o) == {"id", "text"} for o in shuffled)
    again = qt.paper({**question, "shuffle_options": True}, random.Random(3))["options"]
    assert again == shuffled  # the same seed gives a student the same order


def test_matching_paper_shuffles_the_right_side_and_lists_each_text_once():
    doc = matching()
    paper = qt.paper(doc, random.Random(0))
    assert paper["left"] == [
        {"id": "1", "text": "H2O"},
        {"id": "2", "text": "NaCl"},
        {"id": "3", "text": "D2O"},
    ]
    assert sorted(r["text"] for r in paper["right"]) == ["Salt", "Water"]
    right_ids = {p["right_id"] for p in doc["pairs"]}
    assert {r["id"] for r in paper["right"]} <= right_ids
    orders = {
        tuple(r["text"] for r in qt.paper(doc, random.Random(seed))["right"]) for seed in range(20)
    }
    assert len(orders) == 2  # shuffled, not always in the pairs' order


def test_tokens_are_distinct_lowercase_words():
    assert qt.tokens("The Capital of  KARNATAKA?", None, "capital", "world-war") == [
        "the",
        "capital",
        "of",
        "karnataka",
        "world",
        "war",
    ]
