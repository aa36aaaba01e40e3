"""Writes to the bank: create (one or many, all or none), update (optimistic, versioned) and
delete, and the rule of who may edit a question."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bson import ObjectId
from django.utils.translation import gettext as _
from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError, PyMongoError, WriteError
from rest_framework import status

from apps.core.exceptions import ApplicationError

from .content import build, check_references, invalid, stored_document, write_failed
from .store import (
    QuestionNotFound,
    collection,
    guarded,
    logger,
    object_id,
    public,
    school_key,
    utc_now,
)


def check(school_id: Any, items: list[Mapping[str, Any]]) -> list[dict[str, list[str]]]:
    """Field errors for each of `items` as a new question of the school ({} when valid); writes
    nothing. What `create_many(dry_run)` and the GIFT import report."""
    school = school_key(school_id)
    built = [build(item) for item in items]
    docs, errors = [b[0] for b in built], [b[1] for b in built]
    check_references(school, docs, errors)
    return errors


@guarded
def create(school_id: Any, data: Mapping[str, Any], *, author_id: Any) -> dict[str, Any]:
    """Add one question to the school's bank. Raises ApplicationError with field errors if its
    content is invalid for its type or its subject/class is not the school's."""
    return create_many(school_id, [data], author_id=author_id)[0]


@guarded
def create_many(
    school_id: Any, items: list[Mapping[str, Any]], *, author_id: Any
) -> list[dict[str, Any]]:
    """Add several questions, all or none.

    Every item is validated before anything is written (errors: `fields` keyed by the item's
    position, "0", "1", ...; a single item's errors are not nested). MongoDB has no transaction
    here, so if `insert_many` fails part-way the questions already inserted are deleted again.
    """
    school = school_key(school_id)
    built = [build(item) for item in items]
    docs, errors = [b[0] for b in built], [b[1] for b in built]
    check_references(school, docs, errors)
    if any(errors):
        if len(items) == 1:
            raise invalid(errors[0])
        raise invalid({str(i): e for i, e in enumerate(errors) if e})
    now = utc_now()
    stored = [
        stored_document(
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
        collection().insert_many(stored, ordered=True)
    except PyMongoError as exc:
        _undo_insert(school, [d["_id"] for d in stored])
        if isinstance(exc, BulkWriteError | WriteError):
            raise write_failed(exc)
        raise
    return [public(d) for d in stored]


def _undo_insert(school: str, ids: list[ObjectId]) -> None:
    try:
        collection().delete_many({"school_id": school, "_id": {"$in": ids}})
    except PyMongoError:
        logger.exception("questions: could not remove a half-finished import (%d ids)", len(ids))


def can_edit(question: Mapping[str, Any], actor) -> bool:
    """School admins edit every question of their school; a teacher edits the ones they wrote."""
    if getattr(actor, "role", None) == "admin" or getattr(actor, "is_superuser", False):
        return True
    return question.get("author_id") is not None and question.get("author_id") == str(actor.pk)


def _editable(school: str, question_id: Any, actor) -> dict[str, Any]:
    current = collection().find_one({"_id": object_id(question_id), "school_id": school})
    if current is None:
        raise QuestionNotFound()
    if not can_edit(current, actor):
        raise ApplicationError(
            _("Only the question's author or a school admin may change it."),
            code="permission_denied",
            status_code=status.HTTP_403_FORBIDDEN,
        )
    return current


@guarded
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
    school = school_key(school_id)
    current = _editable(school, question_id, actor)
    if expected_version is not None and expected_version != current.get("version"):
        raise _conflict()
    content, errors = build(changes, base=current)
    check_references(school, [content], [errors])
    if errors:
        raise invalid(errors)
    keep = {k: current[k] for k in ("_id", "author_id", "created_at") if k in current}
    replacement = stored_document(
        school,
        content,
        **keep,
        updated_at=utc_now(),
        version=int(current.get("version") or 1) + 1,
    )
    replacement.pop("_id", None)
    try:
        saved = collection().find_one_and_replace(
            {"_id": current["_id"], "school_id": school, "version": current.get("version")},
            replacement,
            return_document=ReturnDocument.AFTER,
        )
    except (WriteError, BulkWriteError) as exc:
        raise write_failed(exc)
    if saved is None:
        if collection().count_documents({"_id": current["_id"], "school_id": school}) == 0:
            raise QuestionNotFound()
        raise _conflict()
    return public(saved)


def _conflict() -> ApplicationError:
    return ApplicationError(
        _("Someone else changed this question meanwhile; reload it and edit again."),
        code="conflict",
        status_code=status.HTTP_409_CONFLICT,
    )


@guarded
def delete(school_id: Any, question_id: Any, *, actor) -> None:
    """Remove a question (author or school admin). Published quizzes keep their frozen copy."""
    school = school_key(school_id)
    current = _editable(school, question_id, actor)
    collection().delete_one({"_id": current["_id"], "school_id": school})
