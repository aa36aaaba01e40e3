"""The bank's store: the MongoDB `questions` collection and what every call needs around it
(MongoDB unreachable as a 503, ids from URLs, the school key, the public shape of a document)."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from bson import ObjectId
from bson.errors import InvalidId
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pymongo.collection import Collection
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    NetworkTimeout,
    ServerSelectionTimeoutError,
)
from rest_framework import status

from apps.core.exceptions import ApplicationError, ServiceUnavailable
from apps.core.mongo import get_database

from .. import question_types as qt

logger = logging.getLogger("schools24.quizzes.question_bank")

COLLECTION = "questions"
# Lazy: it is read when the error is raised, in the language of that request.
UNAVAILABLE_MESSAGE = gettext_lazy(
    "The question bank is unavailable right now; try again in a minute."
)
SEARCH_INDEX = "school_tokens"
_UNREACHABLE = (ServerSelectionTimeoutError, ConnectionFailure, AutoReconnect, NetworkTimeout)

F = TypeVar("F", bound=Callable[..., Any])


class QuestionNotFound(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND

    def __init__(self, message: str | None = None):
        super().__init__(message or _("Question not found."), code="not_found")


def guarded(func: F) -> F:
    """MongoDB unreachable -> ServiceUnavailable (503), logged once, never a 500."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except _UNREACHABLE as exc:
            logger.warning("question bank unreachable in %s: %s", func.__name__, exc)
            raise ServiceUnavailable(str(UNAVAILABLE_MESSAGE)) from exc

    return wrapper  # type: ignore[return-value]


def collection() -> Collection:
    return get_database()[COLLECTION]


def utc_now() -> dt.datetime:
    # BSON dates keep milliseconds; truncating here makes what we return equal what we stored.
    now = dt.datetime.now(dt.UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def object_id(question_id: Any) -> ObjectId:
    """The ObjectId of an id from a URL or a quiz; anything malformed is simply not found."""
    if isinstance(question_id, ObjectId):
        return question_id
    try:
        return ObjectId(str(question_id))
    except (InvalidId, TypeError):
        raise QuestionNotFound()


def school_key(school_id: Any) -> str:
    if school_id in (None, ""):
        raise ApplicationError(_("The question bank belongs to a school."), code="no_school")
    return str(school_id)


def public(doc: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if k not in ("_id", "tokens")}
    return {"id": str(doc["_id"]), **out}


def stored_tokens(doc: Mapping[str, Any]) -> list[str]:
    return qt.tokens(
        doc.get("title"), doc.get("question_text"), doc.get("topic"), *(doc.get("tags") or [])
    )


def search_words(text: str | None) -> list[str]:
    """The tokens a search string must all match (the same split as the stored tokens)."""
    return qt.tokens(text)
