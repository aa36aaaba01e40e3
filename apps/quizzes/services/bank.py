"""The quizzes' side of the question bank: the few calls the quiz workflow makes into
`apps.quizzes.question_bank` (MongoDB, reached only through that module) and
`apps.quizzes.question_types` (pure per-type functions), and the JSON shape a bank document is
frozen in.

Only publishing reads the bank. Papers, autosaves and grading work on the frozen documents in
`QuizQuestion.document`, so none of them can reach MongoDB.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

EMPTY_ANSWERS = (None, "", [], {})


def jsonable(value: Any) -> Any:
    """A bank document as plain JSON (ids, dates and decimals as strings)."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)  # ObjectId, Decimal128, ...


def question_id(document: Mapping[str, Any]) -> str:
    return str(document.get("id") or document["_id"])


def version_of(document: Mapping[str, Any]) -> int:
    return int(document.get("version") or 1)


def get_many(school_id, ids: Iterable[str]) -> dict[str, dict]:
    """The school's bank documents with these ids, by id (missing ids are absent)."""
    from apps.quizzes import question_bank

    found = question_bank.get_many(school_id, list(ids))
    return {str(k): jsonable(v) for k, v in found.items()}


def pool(school_id, flt: Mapping[str, Any]) -> list[dict]:
    """Every bank question of the school matching a random draw's pool filter."""
    from apps.quizzes import question_bank

    return [jsonable(d) for d in question_bank.pool(school_id, dict(flt))]


def grade(document: Mapping[str, Any], answer: Any) -> float:
    """Credit in [0, 1] for `answer`; an empty answer earns nothing."""
    from apps.quizzes import question_types

    if answer in EMPTY_ANSWERS:
        return 0.0
    return min(1.0, max(0.0, float(question_types.grade(dict(document), answer))))


def paper(document: Mapping[str, Any], rng: random.Random | None) -> dict:
    """What a student sees of the question (no answer, no explanation)."""
    from apps.quizzes import question_types

    return question_types.paper(dict(document), rng)


def answer_is_valid_shape(document: Mapping[str, Any], answer: Any) -> bool:
    from apps.quizzes import question_types

    if answer is None:
        return True  # clearing an answer
    return bool(question_types.answer_is_valid_shape(dict(document), answer))
