"""The question bank's additions to the `questions` collection (loaded by `manage.py ensure_mongo`).

`apps.core.mongo` declares the roadmap's fields (school_id, quiz_id, question_text,
correct_answer, options, difficulty, tokens, tags, version, dates). This adds the fields
`apps.quizzes.question_bank` writes. Shapes that vary by question type (options, pairs,
correct_answer) stay loose here: `apps.quizzes.question_types` checks them before every write,
and a new type must not need a validator change.
"""

from __future__ import annotations

from apps.core.mongo import Index, extend_collection

_ID_OR_NULL = {"bsonType": ["string", "binData", "objectId", "null"]}
_TEXT_OR_NULL = {"bsonType": ["string", "null"]}

extend_collection(
    "questions",
    properties={
        "class_id": _ID_OR_NULL,
        "author_id": _ID_OR_NULL,
        "topic": _TEXT_OR_NULL,
        "title": _TEXT_OR_NULL,
        "explanation": _TEXT_OR_NULL,
        "marks": {
            "bsonType": ["int", "long", "double", "decimal"],
            "minimum": 0,
            "exclusiveMinimum": True,
            "description": "the question's default marks; above 0",
        },
        "media_urls": {"bsonType": "array", "items": {"bsonType": "string"}},
        "pairs": {
            "bsonType": "array",
            "items": {"bsonType": "object"},
            "description": "matching questions: [{id, left, right, right_id}]",
        },
        "partial_credit": {"bsonType": "bool"},
        "shuffle_options": {"bsonType": "bool"},
    },
    indexes=[
        # The default listing: a school's questions, newest first.
        Index((("school_id", 1), ("created_at", -1)), "school_recent"),
        # The usual browse: a subject (and class) of the school.
        Index((("school_id", 1), ("subject_id", 1), ("class_id", 1)), "school_subject_class"),
    ],
)
