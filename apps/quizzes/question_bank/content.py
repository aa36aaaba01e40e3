"""What an author sends, checked and normalised: the fields common to every question type here,
the per-type shapes in `question_types`; subject and class references against Postgres."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from pymongo.errors import PyMongoError

from apps.core.exceptions import ApplicationError

from .. import question_types as qt
from .store import logger, stored_tokens

MAX_TAGS = 20
MAX_MEDIA = 10

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


def check_references(school_id: str, docs: list[dict], errors: list[dict]) -> None:
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


def build(
    data: Mapping[str, Any], base: Mapping[str, Any] | None = None
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


def invalid(fields: dict[str, Any]) -> ApplicationError:
    return ApplicationError(
        _("Some of the information you sent is not valid."),
        code="validation_error",
        fields=fields,
    )


def stored_document(school_id: str, content: dict[str, Any], **extra: Any) -> dict[str, Any]:
    doc = {"school_id": school_id, "quiz_id": None, **content, **extra}
    doc["tokens"] = stored_tokens(doc)
    return doc


def write_failed(exc: PyMongoError) -> ApplicationError:
    # The server's validator refused what ours let through: a bug, but not the caller's 500.
    logger.error("questions: the server refused a document: %s", exc)
    return ApplicationError(
        _("The question could not be stored; check its fields."), code="invalid_question"
    )
