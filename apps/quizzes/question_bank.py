"""The question bank: the only code that touches the MongoDB `questions` collection.

Every read and write is filtered on `school_id`, so one school never sees another's questions.
MongoDB being down is a `ServiceUnavailable` (503) with one clear message; nothing else in the
product depends on it.

A stored document (field names from PRODUCT-NOTES; per-type shapes in `question_types`)::

    {
      "_id": ObjectId,                     # the question's id (a 24-hex string in the API)
      "school_id": "uuid-string",
      "quiz_id": None,                     # the roadmap's field; bank questions belong to no quiz
      "subject_id": "uuid-string" | None,  # academics.Subject of the school
      "class_id": "uuid-string" | None,    # academics.SchoolClass of the school
      "topic": str | None, "tags": [str],  # tags lowercased, distinct
      "difficulty": "easy" | "medium" | "hard",
      "type": "single" | "multiple" | "true_false" | "numeric" | "short" | "matching",
      "title": str | None, "question_text": str,
      "options": [{"id", "text"}] ([] unless single/multiple),
      "correct_answer": ..., "pairs": [...] (matching only),
      "partial_credit": bool (multiple/matching), "shuffle_options": bool,
      "explanation": str | None, "marks": number > 0, "media_urls": [str],
      "author_id": "uuid-string", "created_at": datetime, "updated_at": datetime,
      "version": int (1, then +1 on every edit),
      "tokens": [str],                     # words of title, text, topic, tags: word search
    }

Functions return documents as plain dicts with `id` (str) instead of `_id` and without `tokens`.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from bson import ObjectId
from bson.errors import InvalidId
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.collection import Collection
from pymongo.errors import (
    AutoReconnect,
    BulkWriteError,
    ConnectionFailure,
    NetworkTimeout,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
    WriteError,
)
from rest_framework import status

from apps.core.exceptions import ApplicationError, ServiceUnavailable
from apps.core.mongo import get_database

from . import question_types as qt

logger = logging.getLogger("schools24.quizzes.question_bank")

COLLECTION = "questions"
# Lazy: it is read when the error is raised, in the language of that request.
UNAVAILABLE_MESSAGE = gettext_lazy(
    "The question bank is unavailable right now; try again in a minute."
)
MAX_PAGE = 200
MAX_EXPORT = 5000
MAX_POOL = 5000
MAX_TAGS = 20
MAX_MEDIA = 10
SEARCH_INDEX = "school_tokens"

# Fields an author writes (everything else is the bank's).
EDITABLE = (
    "type",
    "title",
    "question_text",
    "options",
    "correct_answer",
    "pairs",
    "partial_credit",
    "shuffle_options",
    "explanation",
    "marks",
    "difficulty",
    "subject_id",
    "class_id",
    "topic",
    "tags",
    "media_urls",
)
DEFAULTS: dict[str, Any] = {
    "title": None,
    "options": [],
    "shuffle_options": False,
    "explanation": None,
    "marks": 1,
    "difficulty": "medium",
    "subject_id": None,
    "class_id": None,
    "topic": None,
    "tags": [],
    "media_urls": [],
}
_UNREACHABLE = (ServerSelectionTimeoutError, ConnectionFailure, AutoReconnect, NetworkTimeout)

F = TypeVar("F", bound=Callable[..., Any])


class QuestionNotFound(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND

    def __init__(self, message: str | None = None):
        super().__init__(message or _("Question not found."), code="not_found")


def _guarded(func: F) -> F:
    """MongoDB unreachable -> ServiceUnavailable (503), logged once, never a 500."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except _UNREACHABLE as exc:
            logger.warning("question bank unreachable in %s: %s", func.__name__, exc)
            raise ServiceUnavailable(str(UNAVAILABLE_MESSAGE)) from exc

    return wrapper  # type: ignore[return-value]


def _collection() -> Collection:
    return get_database()[COLLECTION]


def _now() -> dt.datetime:
    # BSON dates keep milliseconds; truncating here makes what we return equal what we stored.
    now = dt.datetime.now(dt.UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _oid(question_id: Any) -> ObjectId:
    """The ObjectId of an id from a URL or a quiz; anything malformed is simply not found."""
    if isinstance(question_id, ObjectId):
        return question_id
    try:
        return ObjectId(str(question_id))
    except (InvalidId, TypeError):
        raise QuestionNotFound()


def _school(school_id: Any) -> str:
    if school_id in (None, ""):
        raise ApplicationError(_("The question bank belongs to a school."), code="no_school")
    return str(school_id)


def _public(doc: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if k not in ("_id", "tokens")}
    return {"id": str(doc["_id"]), **out}


def _tokens(doc: Mapping[str, Any]) -> list[str]:
    return qt.tokens(
        doc.get("title"), doc.get("question_text"), doc.get("topic"), *(doc.get("tags") or [])
    )


def search_words(text: str | None) -> list[str]:
    """The tokens a search string must all match (the same split as the stored tokens)."""
    return qt.tokens(text)


# --- Validation of the fields common to every type ----------------------------------------------
def _clean_optional_text(value: Any, limit: int, field: str, errors: dict) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        errors[field] = [_("Must be text.")]
        return None
    value = value.strip()
    if len(value) > limit:
        errors[field] = [_("At most %(limit)s characters.") % {"limit": limit}]
    return value or None


def _clean_uuid(value: Any, field: str, errors: dict) -> str | None:
    if value in (None, ""):
        return None
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        errors[field] = [_("Not found in your school.")]
        return None


def _clean_common(data: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    data["title"] = _clean_optional_text(data.get("title"), 200, "title", errors)
    data["topic"] = _clean_optional_text(data.get("topic"), 200, "topic", errors)
    data["explanation"] = _clean_optional_text(
        data.get("explanation"), qt.MAX_TEXT, "explanation", errors
    )
    if isinstance(data.get("question_text"), str):
        data["question_text"] = data["question_text"].strip()
    tags = data.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        errors["tags"] = [_("Give a list of words.")]
        tags = []
    cleaned = list(dict.fromkeys(" ".join(t.split()).lower() for t in tags if t.strip()))
    if len(cleaned) > MAX_TAGS or any(len(t) > 50 for t in cleaned):
        errors["tags"] = [
            _("At most %(limit)s tags of at most %(length)s characters.")
            % {"limit": MAX_TAGS, "length": 50}
        ]
    data["tags"] = cleaned
    media = data.get("media_urls") or []
    check_url = URLValidator(schemes=["http", "https"])
    if not isinstance(media, list) or len(media) > MAX_MEDIA:
        errors["media_urls"] = [_("Give a list of at most %(limit)s links.") % {"limit": MAX_MEDIA}]
    else:
        for url in media:
            try:
                check_url(url)
            except (DjangoValidationError, TypeError):
                errors["media_urls"] = [_("Every entry must be an http(s) link.")]
                break
    data["subject_id"] = _clean_uuid(data.get("subject_id"), "subject_id", errors)
    data["class_id"] = _clean_uuid(data.get("class_id"), "class_id", errors)
    if data.get("options") is None:
        data["options"] = []
    return data


def _check_references(school_id: str, docs: list[dict], errors: list[dict]) -> None:
    """subject_id / class_id must name a subject / class of this school (Postgres)."""
    from apps.academics.models import SchoolClass, Subject

    for field, model in (("subject_id", Subject), ("class_id", SchoolClass)):
        wanted = {d[field] for d in docs if d.get(field)}
        if not wanted:
            continue
        found = {
            str(pk)
            for pk in model.objects.filter(school_id=school_id, pk__in=wanted).values_list(
                "pk", flat=True
            )
        }
        for doc, doc_errors in zip(docs, errors, strict=True):
            if doc.get(field) and doc[field] not in found:
                doc_errors[field] = [_("Not found in your school.")]


def _build(
    school_id: str, data: Mapping[str, Any], base: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The content fields of a question from `data` laid over `base` (an edit) or the defaults,
    normalised, with their field errors. References are checked by the caller (batched)."""
    unknown = sorted(set(data) - set(EDITABLE))
    merged: dict[str, Any] = copy.deepcopy(DEFAULTS)
    merged.update({k: base[k] for k in EDITABLE if base and k in base})
    merged.update(copy.deepcopy({k: v for k, v in data.items() if k in EDITABLE}))
    if merged.get("type") != qt.MATCHING:
        merged.pop("pairs", None)
    if merged.get("type") not in (qt.MULTIPLE, qt.MATCHING):
        merged.pop("partial_credit", None)
    if merged.get("type") not in qt.CHOICE_TYPES and data.get("type") and "options" not in data:
        merged["options"] = []  # a type change away from choices drops the old options
    errors: dict[str, list[str]] = {}
    merged = _clean_common(merged, errors)
    merged = qt.normalize(merged)
    for field, messages in qt.validate(merged).items():
        errors.setdefault(field, []).extend(messages)
    for field in unknown:
        errors[field] = [_("Unknown field.")]
    return merged, errors


def _invalid(fields: dict[str, Any]) -> ApplicationError:
    return ApplicationError(
        _("Some of the information you sent is not valid."),
        code="validation_error",
        fields=fields,
    )


def _stored(school_id: str, content: dict[str, Any], **extra: Any) -> dict[str, Any]:
    doc = {"school_id": school_id, "quiz_id": None, **content, **extra}
    doc["tokens"] = _tokens(doc)
    return doc


def _write_failed(exc: PyMongoError) -> ApplicationError:
    # The server's validator refused what ours let through: a bug, but not the caller's 500.
    logger.error("questions: the server refused a document: %s", exc)
    return ApplicationError(
        _("The question could not be stored; check its fields."), code="invalid_question"
    )


# --- Writes -------------------------------------------------------------------------------------
def check(school_id: Any, items: list[Mapping[str, Any]]) -> list[dict[str, list[str]]]:
    """Field errors for each of `items` as a new question of the school ({} when valid); writes
    nothing. What `create_many(dry_run)` and the GIFT import report."""
    school = _school(school_id)
    built = [_build(school, item) for item in items]
    docs, errors = [b[0] for b in built], [b[1] for b in built]
    _check_references(school, docs, errors)
    return errors


@_guarded
def create(school_id: Any, data: Mapping[str, Any], *, author_id: Any) -> dict[str, Any]:
    """Add one question to the school's bank. Raises ApplicationError with field errors if its
    content is invalid for its type or its subject/class is not the school's."""
    return create_many(school_id, [data], author_id=author_id)[0]


@_guarded
def create_many(
    school_id: Any, items: list[Mapping[str, Any]], *, author_id: Any
) -> list[dict[str, Any]]:
    """Add several questions, all or none.

    Every item is validated before anything is written (errors: `fields` keyed by the item's
    position, "0", "1", ...; a single item's errors are not nested). MongoDB has no transaction
    here, so if `insert_many` fails part-way the questions already inserted are deleted again.
    """
    school = _school(school_id)
    built = [_build(school, item) for item in items]
    docs, errors = [b[0] for b in built], [b[1] for b in built]
    _check_references(school, docs, errors)
    if any(errors):
        if len(items) == 1:
            raise _invalid(errors[0])
        raise _invalid({str(i): e for i, e in enumerate(errors) if e})
    now = _now()
    stored = [
        _stored(
            school,
            doc,
            _id=ObjectId(),
            author_id=str(author_id) if author_id else None,
            created_at=now,
            updated_at=now,
            version=1,
        )
        for doc in docs
    ]
    if not stored:
        return []
    try:
        _collection().insert_many(stored, ordered=True)
    except PyMongoError as exc:
        _undo_insert(school, [d["_id"] for d in stored])
        if isinstance(exc, BulkWriteError | WriteError):
            raise _write_failed(exc)
        raise
    return [_public(d) for d in stored]


def _undo_insert(school: str, ids: list[ObjectId]) -> None:
    try:
        _collection().delete_many({"school_id": school, "_id": {"$in": ids}})
    except PyMongoError:
        logger.exception("questions: could not remove a half-finished import (%d ids)", len(ids))


def can_edit(question: Mapping[str, Any], actor) -> bool:
    """School admins edit every question of their school; a teacher edits the ones they wrote."""
    if getattr(actor, "role", None) == "admin" or getattr(actor, "is_superuser", False):
        return True
    return question.get("author_id") is not None and question.get("author_id") == str(actor.pk)


def _editable(school: str, question_id: Any, actor) -> dict[str, Any]:
    current = _collection().find_one({"_id": _oid(question_id), "school_id": school})
    if current is None:
        raise QuestionNotFound()
    if not can_edit(current, actor):
        raise ApplicationError(
            _("Only the question's author or a school admin may change it."),
            code="permission_denied",
            status_code=status.HTTP_403_FORBIDDEN,
        )
    return current


@_guarded
def update(
    school_id: Any,
    question_id: Any,
    changes: Mapping[str, Any],
    *,
    actor,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Edit a question (the fields in `changes`; the rest is kept), bumping `version`.

    Only the author or a school admin may edit (`can_edit`). The edited question is validated
    as a whole (changing `type` needs the new type's answer fields). With `expected_version`,
    or when someone else saved meanwhile, a stale edit is refused with 409 instead of
    overwriting theirs. Quizzes already published keep their frozen copy.
    """
    school = _school(school_id)
    current = _editable(school, question_id, actor)
    if expected_version is not None and expected_version != current.get("version"):
        raise _conflict()
    content, errors = _build(school, changes, base=current)
    _check_references(school, [content], [errors])
    if errors:
        raise _invalid(errors)
    keep = {k: current[k] for k in ("_id", "author_id", "created_at") if k in current}
    replacement = _stored(
        school,
        content,
        **keep,
        updated_at=_now(),
        version=int(current.get("version") or 1) + 1,
    )
    replacement.pop("_id", None)
    try:
        saved = _collection().find_one_and_replace(
            {"_id": current["_id"], "school_id": school, "version": current.get("version")},
            replacement,
            return_document=ReturnDocument.AFTER,
        )
    except (WriteError, BulkWriteError) as exc:
        raise _write_failed(exc)
    if saved is None:
        if _collection().count_documents({"_id": current["_id"], "school_id": school}) == 0:
            raise QuestionNotFound()
        raise _conflict()
    return _public(saved)


def _conflict() -> ApplicationError:
    return ApplicationError(
        _("Someone else changed this question meanwhile; reload it and edit again."),
        code="conflict",
        status_code=status.HTTP_409_CONFLICT,
    )


@_guarded
def delete(school_id: Any, question_id: Any, *, actor) -> None:
    """Remove a question (author or school admin). Published quizzes keep their frozen copy."""
    school = _school(school_id)
    current = _editable(school, question_id, actor)
    _collection().delete_one({"_id": current["_id"], "school_id": school})


# --- Reads --------------------------------------------------------------------------------------
@_guarded
def get(school_id: Any, question_id: Any) -> dict[str, Any]:
    """One question of the school; QuestionNotFound (404) for a malformed, unknown or another
    school's id."""
    school = _school(school_id)
    doc = _collection().find_one({"_id": _oid(question_id), "school_id": school})
    if doc is None:
        raise QuestionNotFound()
    return _public(doc)


@_guarded
def get_many(school_id: Any, ids: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """The school's questions with these ids, keyed by id (str). Unknown, malformed and other
    schools' ids are simply absent: the caller compares keys with what it asked for."""
    school = _school(school_id)
    oids = []
    for question_id in ids:
        try:
            oids.append(_oid(question_id))
        except QuestionNotFound:
            continue
    if not oids:
        return {}
    cursor = _collection().find({"school_id": school, "_id": {"$in": oids}})
    return {str(doc["_id"]): _public(doc) for doc in cursor}


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
    cursor = _collection().find(query).sort([("created_at", direction), ("_id", direction)])
    if hint:
        cursor = cursor.hint(hint)
    return query, hint, cursor


@_guarded
def list_questions(
    school_id: Any, *, skip: int = 0, limit: int = 25, **filters: Any
) -> tuple[list[dict[str, Any]], int]:
    """A page of the school's questions, newest first, and how many match in all.

    Filters (all optional, combined with AND): subject_id, class_id, topic (exact), tag (one or
    a list: all must be present), difficulty, type, author_id, search (every word must occur in
    the title, text, topic or tags; whole words, case-insensitive).
    """
    school = _school(school_id)
    limit = max(0, min(int(limit), MAX_PAGE))
    query, hint, cursor = _find(school, filters)
    try:
        count = _collection().count_documents(query, **({"hint": hint} if hint else {}))
    except OperationFailure:
        if not hint:
            raise
        # The index is missing (ensure_mongo not run yet): slower, but still right.
        logger.warning("questions: index %s missing; run manage.py ensure_mongo", hint)
        hint = None
        count = _collection().count_documents(query)
        _query, _hint, cursor = _find(school, filters, hint=False)
    items = [_public(d) for d in cursor.skip(max(0, int(skip))).limit(limit)] if limit else []
    return items, count


@_guarded
def export_questions(school_id: Any, **filters: Any) -> list[dict[str, Any]]:
    """Every matching question of the school (oldest first, at most MAX_EXPORT), for export."""
    school = _school(school_id)
    _query, _hint, cursor = _find(school, filters, newest_first=False)
    return [_public(d) for d in cursor.limit(MAX_EXPORT)]


@_guarded
def pool(school_id: Any, flt: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The school's questions a random draw may pick from (at most MAX_POOL).

    `flt` is a quiz's pool filter: subject / subject_id, class / class_id, topic, tags / tag
    (all must be present), difficulty, type. Unknown keys are ignored.
    """
    school = _school(school_id)
    filters = {
        "subject_id": flt.get("subject_id") or flt.get("subject"),
        "class_id": flt.get("class_id") or flt.get("class"),
        "topic": flt.get("topic"),
        "tag": flt.get("tags") or flt.get("tag"),
        "difficulty": flt.get("difficulty"),
        "type": flt.get("type"),
    }
    _query, _hint, cursor = _find(school, filters, newest_first=False)
    return [_public(d) for d in cursor.limit(MAX_POOL)]
