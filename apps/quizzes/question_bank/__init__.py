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

The package's rooms: `store` (the collection, MongoDB errors as a 503, ids and school keys),
`content` (validating and normalising what an author sends), `writes` (create, update, delete,
with who may edit) and `reads` (get, lists, export, the random-draw pool). Callers import from the
package: `from apps.quizzes import question_bank`.
"""

from .content import DEFAULTS, EDITABLE, MAX_MEDIA, MAX_TAGS
from .reads import (
    MAX_EXPORT,
    MAX_PAGE,
    MAX_POOL,
    export_questions,
    get,
    get_many,
    list_questions,
    pool,
)
from .store import (
    COLLECTION,
    SEARCH_INDEX,
    UNAVAILABLE_MESSAGE,
    QuestionNotFound,
    search_words,
)
from .writes import can_edit, check, create, create_many, delete, update

__all__ = [
    "COLLECTION",
    "DEFAULTS",
    "EDITABLE",
    "MAX_EXPORT",
    "MAX_MEDIA",
    "MAX_PAGE",
    "MAX_POOL",
    "MAX_TAGS",
    "SEARCH_INDEX",
    "UNAVAILABLE_MESSAGE",
    "QuestionNotFound",
    "can_edit",
    "check",
    "create",
    "create_many",
    "delete",
    "export_questions",
    "get",
    "get_many",
    "list_questions",
    "pool",
    "search_words",
    "update",
]
