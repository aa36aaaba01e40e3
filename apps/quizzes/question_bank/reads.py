"""Reads from the bank: one question, several by id, filtered pages, the export and the pool a
random draw picks from; every query is on the school's key."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import OperationFailure

from .store import (
    SEARCH_INDEX,
    QuestionNotFound,
    collection,
    guarded,
    logger,
    object_id,
    public,
    school_key,
    search_words,
)

MAX_PAGE = 200
MAX_EXPORT = 5000
MAX_POOL = 5000


@guarded
def get(school_id: Any, question_id: Any) -> dict[str, Any]:
    """One question of the school; QuestionNotFound (404) for a malformed, unknown or another
    school's id."""
    school = school_key(school_id)
    doc = collection().find_one({"_id": object_id(question_id), "school_id": school})
    if doc is None:
        raise QuestionNotFound()
    return public(doc)


@guarded
def get_many(school_id: Any, ids: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """The school's questions with these ids, keyed by id (str). Unknown, malformed and other
    schools' ids are simply absent: the caller compares keys with what it asked for."""
    school = school_key(school_id)
    oids = []
    for question_id in ids:
        try:
            oids.append(object_id(question_id))
        except QuestionNotFound:
            continue
    if not oids:
        return {}
    cursor = collection().find({"school_id": school, "_id": {"$in": oids}})
    return {str(doc["_id"]): public(doc) for doc in cursor}


def _filter(
    school: str,
    *,
    subject_id: Any = None,
    class_id: Any = None,
    topic: str | None = None,
    tag: str | Iterable[str] | None = None,
    difficulty: str | None = None,
    type: str | None = None,  # noqa: A002 - the field's name
    search: str | None = None,
    author_id: Any = None,
) -> tuple[dict[str, Any], str | None]:
    """The Mongo filter (always on school_id) and the index to hint, if any."""
    query: dict[str, Any] = {"school_id": school}
    if subject_id:
        query["subject_id"] = str(subject_id)
    if class_id:
        query["class_id"] = str(class_id)
    if topic:
        query["topic"] = topic.strip()
    tags = [tag] if isinstance(tag, str) else list(tag or [])
    tags = [" ".join(t.split()).lower() for t in tags if t and t.strip()]
    if len(tags) == 1:
        query["tags"] = tags[0]
    elif tags:
        query["tags"] = {"$all": tags}
    if difficulty:
        query["difficulty"] = difficulty
    if type:
        query["type"] = type
    if author_id:
        query["author_id"] = str(author_id)
    hint = None
    words = search_words(search)
    if len(words) == 1:
        query["tokens"] = words[0]
    elif words:
        # SecantusDB's planner does not pick the multikey index for $all by itself.
        query["tokens"] = {"$all": words}
        hint = SEARCH_INDEX
    return query, hint


def _find(school: str, filters: Mapping[str, Any], *, newest_first: bool = True, hint: bool = True):
    query, index = _filter(school, **filters)
    hint = index if hint else None
    direction = DESCENDING if newest_first else ASCENDING
    cursor = collection().find(query).sort([("created_at", direction), ("_id", direction)])
    if hint:
        cursor = cursor.hint(hint)
    return query, hint, cursor


@guarded
def list_questions(
    school_id: Any, *, skip: int = 0, limit: int = 25, **filters: Any
) -> tuple[list[dict[str, Any]], int]:
    """A page of the school's questions, newest first, and how many match in all.

    Filters (all optional, combined with AND): subject_id, class_id, topic (exact), tag (one or
    a list: all must be present), difficulty, type, author_id, search (every word must occur in
    the title, text, topic or tags; whole words, case-insensitive).
    """
    school = school_key(school_id)
    limit = max(0, min(int(limit), MAX_PAGE))
    query, hint, cursor = _find(school, filters)
    try:
        count = collection().count_documents(query, **({"hint": hint} if hint else {}))
    except OperationFailure:
        if not hint:
            raise
        # The index is missing (ensure_mongo not run yet): slower, but still right.
        logger.warning("questions: index %s missing; run manage.py ensure_mongo", hint)
        hint = None
        count = collection().count_documents(query)
        _query, _hint, cursor = _find(school, filters, hint=False)
    items = [public(d) for d in cursor.skip(max(0, int(skip))).limit(limit)] if limit else []
    return items, count


@guarded
def export_questions(school_id: Any, **filters: Any) -> list[dict[str, Any]]:
    """Every matching question of the school (oldest first, at most MAX_EXPORT), for export."""
    school = school_key(school_id)
    _query, _hint, cursor = _find(school, filters, newest_first=False)
    return [public(d) for d in cursor.limit(MAX_EXPORT)]


@guarded
def pool(school_id: Any, flt: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The school's questions a random draw may pick from (at most MAX_POOL).

    `flt` is a quiz's pool filter: subject / subject_id, class / class_id, topic, tags / tag
    (all must be present), difficulty, type. Unknown keys are ignored.
    """
    school = school_key(school_id)
    filters = {
        "subject_id": flt.get("subject_id") or flt.get("subject"),
        "class_id": flt.get("class_id") or flt.get("class"),
        "topic": flt.get("topic"),
        "tag": flt.get("tags") or flt.get("tag"),
        "difficulty": flt.get("difficulty"),
        "type": flt.get("type"),
    }
    _query, _hint, cursor = _find(school, filters, newest_first=False)
    return [public(d) for d in cursor.limit(MAX_POOL)]
