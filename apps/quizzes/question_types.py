"""Question types: what each stores, how it is checked, graded and shown to a student.

No MongoDB, and of Django only `gettext` for the messages, so the bank, the GIFT importer and the
quiz engine share one definition of every type. The stored shapes (PRODUCT-NOTES field names:
`question_text`, `options` (array), `correct_answer`):

``single``      one correct option
    options:        [{"id": "a", "text": "Paris"}, {"id": "b", "text": "Lyon"}, ...]  (2..26)
    correct_answer: "a"                                  (an option id)
    shuffle_options: bool (optional, default false)

``multiple``    one or more correct options
    options:        as for single
    correct_answer: ["a", "c"]                           (distinct option ids, at least one)
    partial_credit: bool (default false). False: all or nothing. True: the fraction of correct
                    options chosen minus the fraction of wrong options chosen, never below 0
                    (Moodle's multiple-answer weighting: choosing everything scores 0).
    shuffle_options: bool (optional)

``true_false``
    correct_answer: true | false                         (a BSON bool)

``numeric``
    correct_answer: {"value": 9.81, "tolerance": 0.05}  (tolerance >= 0; right if
                    |answer - value| <= tolerance)

``short``       a typed answer
    correct_answer: ["Paris", "City of Paris"]          (accepted answers, at least one; compared
                    case-insensitively with runs of white space collapsed)

``matching``    match each left item to a right item
    pairs:          [{"id": "1", "left": "H2O", "right": "Water", "right_id": "k3f9a2"}, ...]
                    (at least 2; ids and right_ids distinct). `right_id` is what a student answers
                    with; `normalize()` makes it random so the paper does not reveal the pairing.
    correct_answer: {"1": "k3f9a2", ...}                 (left id -> right_id; `normalize()`
                    derives it from `pairs`)
    partial_credit: bool (default false): the fraction of left items matched right, else all
                    or nothing. Two pairs with the same right text are interchangeable.

Answers a student sends (`answer_is_valid_shape`): single "a"; multiple ["a", "c"];
true_false true/false; numeric a number (or a numeric string); short a string; matching
{"1": "k3f9a2", ...} (left id -> right_id; unanswered left items may be left out).

`grade(question, answer)` is the fraction (0..1) of the question's marks earned; a malformed
answer earns 0 and never raises. `paper(question, rng)` is what a student may see: an allowlist
of fields, never the answer, explanation, accepted answers, tolerance or pairing.
"""

from __future__ import annotations

import math
import random
import re
import secrets
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

SINGLE, MULTIPLE, TRUE_FALSE, NUMERIC, SHORT, MATCHING = (
    "single",
    "multiple",
    "true_false",
    "numeric",
    "short",
    "matching",
)
TYPES = (SINGLE, MULTIPLE, TRUE_FALSE, NUMERIC, SHORT, MATCHING)
DIFFICULTIES = ("easy", "medium", "hard")
CHOICE_TYPES = (SINGLE, MULTIPLE)
MAX_OPTIONS = 26
MAX_PAIRS = 26
MAX_TEXT = 10_000
MAX_OPTION_TEXT = 2_000

Errors = dict[str, list[str]]


# --- Small helpers -------------------------------------------------------------------------------
def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _to_number(value: Any) -> float | None:
    """A finite float from a number or a numeric string; None otherwise."""
    if _is_number(value):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def normalize_text(value: str) -> str:
    """How short answers compare: case-insensitive, white space collapsed."""
    return " ".join(value.split()).casefold()


def _option_ids(doc: Mapping[str, Any]) -> list[str]:
    options = doc.get("options")
    if not isinstance(options, list):
        return []
    return [o["id"] for o in options if isinstance(o, Mapping) and isinstance(o.get("id"), str)]


# --- normalize: fill in what the author need not type ------------------------------------------
def _letters(count: int) -> list[str]:
    return [chr(ord("a") + i) for i in range(count)]


def normalize(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `doc` with the derivable parts filled in, ready for `validate`.

    Choice options without ids get "a", "b", ... (by position); a short answer given as one
    string becomes a list; matching pairs get ids ("1", "2", ...) and random `right_id`s where
    missing, and `correct_answer` is derived from the pairs; partial_credit defaults to False
    for multiple and matching. Anything malformed is left for `validate` to report.
    """
    out = dict(doc)
    kind = out.get("type")
    if kind in CHOICE_TYPES and isinstance(out.get("options"), list):
        out["options"] = _options_with_ids(out["options"])
    if kind in (MULTIPLE, MATCHING):
        out.setdefault("partial_credit", False)
    if kind == SHORT and isinstance(out.get("correct_answer"), str):
        out["correct_answer"] = [out["correct_answer"]]
    if kind == MATCHING and isinstance(out.get("pairs"), list):
        pairs = _pairs_with_ids(out["pairs"])
        out["pairs"] = pairs
        if all(isinstance(p, Mapping) for p in pairs):
            out["correct_answer"] = {
                str(p.get("id")): p.get("right_id") for p in pairs if isinstance(p.get("id"), str)
            }
    if kind not in (MATCHING,) and "pairs" in out and not out["pairs"]:
        out.pop("pairs")
    return out


def _options_with_ids(given: list) -> list:
    """Options as objects, each with an id ("a", "b", ... by position where missing)."""
    options = []
    for letter, option in zip(_letters(len(given)), given, strict=False):
        if isinstance(option, str):
            option = {"id": letter, "text": option}
        elif isinstance(option, Mapping):
            option = dict(option)
            if option.get("id") in (None, ""):
                option["id"] = letter
        options.append(option)
    return options


def _pairs_with_ids(given: list) -> list:
    """Matching pairs with an id ("1", "2", ... by position) and a random, distinct `right_id`
    where missing; malformed entries are kept as they are for `validate`."""
    pairs = []
    used = {p.get("right_id") for p in given if isinstance(p, Mapping)}
    for position, pair in enumerate(given, start=1):
        if not isinstance(pair, Mapping):
            pairs.append(pair)
            continue
        pair = dict(pair)
        if pair.get("id") in (None, ""):
            pair["id"] = str(position)
        if pair.get("right_id") in (None, ""):
            right_id = secrets.token_hex(3)
            while right_id in used:
                right_id = secrets.token_hex(3)
            used.add(right_id)
            pair["right_id"] = right_id
        pairs.append(pair)
    return pairs


# --- validate ------------------------------------------------------------------------------------
def _validate_options(doc: Mapping[str, Any], errors: Errors) -> list[str]:
    options = doc.get("options")
    if not isinstance(options, list) or len(options) < 2:
        errors.setdefault("options", []).append(_("Give at least two options."))
        return []
    if len(options) > MAX_OPTIONS:
        errors.setdefault("options", []).append(
            _("At most %(limit)s options.") % {"limit": MAX_OPTIONS}
        )
    ids: list[str] = []
    for position, option in enumerate(options, start=1):
        if not isinstance(option, Mapping):
            errors.setdefault("options", []).append(
                _("Option %(position)s must be an object with id and text.")
                % {"position": position}
            )
            continue
        if not _text(option.get("id")) or len(option["id"]) > 40:
            errors.setdefault("options", []).append(
                _("Option %(position)s needs a short id.") % {"position": position}
            )
        else:
            ids.append(option["id"])
        if not _text(option.get("text")):
            errors.setdefault("options", []).append(
                _("Option %(position)s needs a text.") % {"position": position}
            )
        elif len(option["text"]) > MAX_OPTION_TEXT:
            errors.setdefault("options", []).append(
                _("Option %(position)s is too long.") % {"position": position}
            )
    if len(set(ids)) != len(ids):
        errors.setdefault("options", []).append(_("Option ids must be distinct."))
    return ids


def _validate_single(doc: Mapping[str, Any], errors: Errors) -> None:
    ids = _validate_options(doc, errors)
    answer = doc.get("correct_answer")
    if not isinstance(answer, str) or (ids and answer not in ids):
        errors.setdefault("correct_answer", []).append(_("Name the id of the one correct option."))


def _validate_multiple(doc: Mapping[str, Any], errors: Errors) -> None:
    ids = _validate_options(doc, errors)
    answer = doc.get("correct_answer")
    if (
        not isinstance(answer, list)
        or not answer
        or not all(isinstance(a, str) for a in answer)
        or len(set(answer)) != len(answer)
    ):
        errors.setdefault("correct_answer", []).append(
            _("Give a list of the distinct ids of the correct options (at least one).")
        )
    elif ids and not set(answer) <= set(ids):
        errors.setdefault("correct_answer", []).append(
            _("Every correct answer must be an option id.")
        )
    if not isinstance(doc.get("partial_credit", False), bool):
        errors.setdefault("partial_credit", []).append(_("Must be true or false."))


def _validate_true_false(doc: Mapping[str, Any], errors: Errors) -> None:
    if not isinstance(doc.get("correct_answer"), bool):
        errors.setdefault("correct_answer", []).append(_("Must be true or false."))


def _validate_numeric(doc: Mapping[str, Any], errors: Errors) -> None:
    answer = doc.get("correct_answer")
    if not (
        isinstance(answer, Mapping)
        and set(answer) <= {"value", "tolerance"}
        and _is_number(answer.get("value"))
        and _is_number(answer.get("tolerance", 0))
        and answer.get("tolerance", 0) >= 0
    ):
        errors.setdefault("correct_answer", []).append(
            _('Give {"value": number, "tolerance": number >= 0}.')
        )


def _validate_short(doc: Mapping[str, Any], errors: Errors) -> None:
    answer = doc.get("correct_answer")
    if (
        not isinstance(answer, list)
        or not answer
        or not all(_text(a) and len(a) <= MAX_OPTION_TEXT for a in answer)
    ):
        errors.setdefault("correct_answer", []).append(
            _("Give a list of accepted answers (at least one, none empty).")
        )


def _pair_message(side: str, problem: str, position: int) -> str:
    """One message per side and problem, so a translator sees whole sentences."""
    if side == "left":
        if problem == "missing":
            message = _("Pair %(position)s needs a left text.")
        else:
            message = _("Pair %(position)s: left is too long.")
    elif problem == "missing":
        message = _("Pair %(position)s needs a right text.")
    else:
        message = _("Pair %(position)s: right is too long.")
    return message % {"position": position}


def _validate_matching(doc: Mapping[str, Any], errors: Errors) -> None:
    pairs = doc.get("pairs")
    if not isinstance(pairs, list) or len(pairs) < 2:
        errors.setdefault("pairs", []).append(_("Give at least two pairs."))
        return
    if len(pairs) > MAX_PAIRS:
        errors.setdefault("pairs", []).append(_("At most %(limit)s pairs.") % {"limit": MAX_PAIRS})
    ids, right_ids = [], []
    for position, pair in enumerate(pairs, start=1):
        if not isinstance(pair, Mapping):
            errors.setdefault("pairs", []).append(
                _("Pair %(position)s must be an object with left and right.")
                % {"position": position}
            )
            continue
        if found := _pair_errors(pair, position):
            errors.setdefault("pairs", []).extend(found)
        ids.append(pair.get("id"))
        right_ids.append(pair.get("right_id"))
    if len(set(map(str, ids))) != len(ids) or len(set(map(str, right_ids))) != len(right_ids):
        errors.setdefault("pairs", []).append(_("Pair ids and right ids must be distinct."))
    expected = {
        p.get("id"): p.get("right_id") for p in pairs if isinstance(p, Mapping)
    }  # what normalize() derives
    if doc.get("correct_answer") != expected:
        errors.setdefault("correct_answer", []).append(
            _("Must map each pair's id to its right_id (it is derived from pairs).")
        )
    if not isinstance(doc.get("partial_credit", False), bool):
        errors.setdefault("partial_credit", []).append(_("Must be true or false."))


def _pair_errors(pair: Mapping[str, Any], position: int) -> list[str]:
    """What is wrong with one matching pair: its ids, and its left and right texts."""
    found = []
    for key in ("id", "right_id"):
        if not _text(pair.get(key)) or len(pair[key]) > 40:
            found.append(
                _("Pair %(position)s needs a short %(key)s.") % {"position": position, "key": key}
            )
    for key in ("left", "right"):
        if not _text(pair.get(key)):
            found.append(_pair_message(key, "missing", position))
        elif len(pair[key]) > MAX_OPTION_TEXT:
            found.append(_pair_message(key, "too_long", position))
    return found


_VALIDATORS = {
    SINGLE: _validate_single,
    MULTIPLE: _validate_multiple,
    TRUE_FALSE: _validate_true_false,
    NUMERIC: _validate_numeric,
    SHORT: _validate_short,
    MATCHING: _validate_matching,
}


def validate(doc: Mapping[str, Any]) -> Errors:
    """Field errors of a question's content ({} when valid): type, text, marks, difficulty and
    the per-type options / pairs / correct_answer. Call `normalize` first."""
    errors: Errors = {}
    kind = doc.get("type")
    if kind not in TYPES:
        errors["type"] = [_("Must be one of: %(choices)s.") % {"choices": ", ".join(TYPES)}]
    text = doc.get("question_text")
    if not _text(text):
        errors["question_text"] = [_("This field may not be blank.")]
    elif len(text) > MAX_TEXT:
        errors["question_text"] = [_("At most %(limit)s characters.") % {"limit": MAX_TEXT}]
    if "correct_answer" not in doc or doc.get("correct_answer") is None:
        errors.setdefault("correct_answer", []).append(_("This field is required."))
    marks = doc.get("marks", 1)
    if not _is_number(marks) or marks <= 0 or marks > 1000:
        errors["marks"] = [_("Must be a number above 0 (at most 1000).")]
    if doc.get("difficulty") not in (None, *DIFFICULTIES):
        errors["difficulty"] = [
            _("Must be one of: %(choices)s.") % {"choices": ", ".join(DIFFICULTIES)}
        ]
    if not isinstance(doc.get("shuffle_options", False), bool):
        errors["shuffle_options"] = [_("Must be true or false.")]
    if kind in _VALIDATORS and "correct_answer" not in errors:
        _VALIDATORS[kind](doc, errors)
    elif kind in CHOICE_TYPES:
        _validate_options(doc, errors)
    if kind not in CHOICE_TYPES and doc.get("options"):
        errors.setdefault("options", []).append(
            _("A %(type)s question has no options.") % {"type": kind}
        )
    if kind != MATCHING and doc.get("pairs"):
        errors.setdefault("pairs", []).append(_("Only a matching question has pairs."))
    return errors


# --- answer shapes and grading -------------------------------------------------------------------
def answer_is_valid_shape(question: Mapping[str, Any], answer: Any) -> bool:
    """Whether `answer` has the shape this question type takes (not whether it is right).

    Option ids and matching ids must be ones the question has; this lets the quiz engine refuse
    garbage at autosave time instead of grading it 0 later.
    """
    kind = question.get("type")
    if kind == SINGLE:
        return isinstance(answer, str) and answer in _option_ids(question)
    if kind == MULTIPLE:
        ids = set(_option_ids(question))
        return (
            isinstance(answer, list)
            and all(isinstance(a, str) and a in ids for a in answer)
            and len(set(answer)) == len(answer)
        )
    if kind == TRUE_FALSE:
        return isinstance(answer, bool)
    if kind == NUMERIC:
        return _to_number(answer) is not None
    if kind == SHORT:
        return isinstance(answer, str) and len(answer) <= MAX_OPTION_TEXT
    if kind == MATCHING:
        pairs = [p for p in question.get("pairs") or [] if isinstance(p, Mapping)]
        left = {p.get("id") for p in pairs}
        right = {p.get("right_id") for p in pairs}
        return isinstance(answer, Mapping) and all(
            isinstance(k, str) and k in left and isinstance(v, str) and v in right
            for k, v in answer.items()
        )
    return False


def _grade_multiple(question: Mapping[str, Any], answer: Any) -> float:
    correct = set(question.get("correct_answer") or [])
    chosen = set(answer)
    if not question.get("partial_credit"):
        return 1.0 if chosen == correct else 0.0
    wrong = set(_option_ids(question)) - correct
    earned = len(chosen & correct) / len(correct) if correct else 0.0
    penalty = len(chosen & wrong) / len(wrong) if wrong else 0.0
    return max(0.0, min(1.0, earned - penalty))


def _grade_numeric(question: Mapping[str, Any], answer: Any) -> float:
    spec = question.get("correct_answer") or {}
    value, given = spec.get("value"), _to_number(answer)
    if given is None or not _is_number(value):
        return 0.0
    tolerance = float(spec.get("tolerance") or 0)
    # A hair of slack so 0.1 + 0.2 style float noise never fails a boundary answer.
    slack = 1e-9 * max(1.0, abs(float(value)))
    return 1.0 if abs(given - float(value)) <= tolerance + slack else 0.0


def _grade_matching(question: Mapping[str, Any], answer: Mapping[str, Any]) -> float:
    pairs = [p for p in question.get("pairs") or [] if isinstance(p, Mapping)]
    if not pairs:
        return 0.0
    right_text = {p.get("right_id"): normalize_text(str(p.get("right", ""))) for p in pairs}
    matched = sum(
        1
        for p in pairs
        if answer.get(p.get("id")) in right_text
        and right_text[answer.get(p.get("id"))] == normalize_text(str(p.get("right", "")))
    )
    if question.get("partial_credit"):
        return matched / len(pairs)
    return 1.0 if matched == len(pairs) else 0.0


def grade(question: Mapping[str, Any], answer: Any) -> float:
    """The fraction (0.0..1.0) of the question's marks `answer` earns. Never raises: an answer
    of the wrong shape (or a damaged question) earns 0."""
    try:
        if not answer_is_valid_shape(question, answer):
            return 0.0
        kind = question.get("type")
        correct = question.get("correct_answer")
        if kind == SINGLE:
            return 1.0 if answer == correct else 0.0
        if kind == MULTIPLE:
            return _grade_multiple(question, answer)
        if kind == TRUE_FALSE:
            return 1.0 if answer is correct else 0.0
        if kind == NUMERIC:
            return _grade_numeric(question, answer)
        if kind == SHORT:
            accepted = {normalize_text(a) for a in correct or [] if isinstance(a, str)}
            return 1.0 if normalize_text(answer) in accepted else 0.0
        if kind == MATCHING:
            return _grade_matching(question, answer)
    except Exception:  # noqa: BLE001 - a damaged stored question must not break grading a quiz
        return 0.0
    return 0.0


# --- paper: what a student sees ------------------------------------------------------------------
def paper(question: Mapping[str, Any], rng: random.Random | None = None) -> dict[str, Any]:
    """The question as a student sees it. Built from an allowlist, so nothing that reveals the
    answer (correct_answer, explanation, accepted answers, tolerance, the pairing) can leak.

    Choice options are shuffled when `shuffle_options` is set; a matching question's right-hand
    items are always shuffled (and listed once per distinct text). Pass a seeded `rng` to give
    one student the same order on every load.
    """
    rng = rng or random.Random()  # noqa: S311 - order of options, not a secret
    kind = question.get("type")
    out: dict[str, Any] = {
        "id": str(question.get("id") or question.get("_id") or ""),
        "type": kind,
        "question_text": question.get("question_text", ""),
        "marks": question.get("marks", 1),
        "media_urls": list(question.get("media_urls") or []),
    }
    if kind in CHOICE_TYPES:
        options = [
            {"id": str(o.get("id")), "text": str(o.get("text", ""))}
            for o in question.get("options") or []
            if isinstance(o, Mapping)
        ]
        if question.get("shuffle_options"):
            rng.shuffle(options)
        out["options"] = options
    elif kind == MATCHING:
        pairs = [p for p in question.get("pairs") or [] if isinstance(p, Mapping)]
        out["left"] = [{"id": str(p.get("id")), "text": str(p.get("left", ""))} for p in pairs]
        right, seen = [], set()
        for p in pairs:
            key = normalize_text(str(p.get("right", "")))
            if key not in seen:
                seen.add(key)
                right.append({"id": str(p.get("right_id")), "text": str(p.get("right", ""))})
        rng.shuffle(right)
        out["right"] = right
    return out


_WORD = re.compile(r"\w+", re.UNICODE)


def tokens(*texts: str | None) -> list[str]:
    """Distinct lowercased words of the texts, for word search (in first-seen order)."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in _WORD.findall((text or "").casefold()):
            seen.setdefault(word, None)
    return list(seen)
