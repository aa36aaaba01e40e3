"""The "quiz_answer" kind of the write-behind buffer (apps.core.buffer).

A buffered answer is the saved part of an `AttemptAnswer` row, keyed by (attempt, question) and
grouped by attempt, so one attempt's pending answers are read without scanning (a paper reload,
the submit). The primary key travels in the record (`models.answer_id`), so replaying a record
never makes a second row and a pending answer already has its final id.

The upsert only ever writes the answer and its time: grading columns are written by the submit
service, which stores the graded answers with the same `ts` as the pending records it read, so a
flush that runs after a submit changes nothing.
"""

from __future__ import annotations

from apps.core.buffer import BufferKind, Upsert, register_kind, uuid5_text

from .models import ANSWER_NAMESPACE, AttemptAnswer, answer_name

KIND = "quiz_answer"
KEY_FIELDS = ("attempt_id", "question_id")
GROUP_FIELDS = ("attempt_id",)


def _load(record: dict) -> dict:
    out = dict(record)
    out["pending"] = True
    return out


def _answer_id(record: dict) -> str:  # str(models.answer_id(...)), fast
    return uuid5_text(ANSWER_NAMESPACE, answer_name(record["attempt_id"], record["question_id"]))


_upsert = Upsert.for_model(
    AttemptAnswer,
    ("attempt", "question_id"),
    "ts",
    fields=["id", "school", "attempt", "question_id", "answer", "ts"],
    # Never the id (derived from the key) nor the grading columns (the submit's).
    update_columns=["answer", "ts", "updated_at"],
)


def apply(records) -> int:
    """Write answers to Postgres (a flush, or an autosave written through while Redis is down,
    under the attempt's row lock: `services.attempts._put_locked`)."""
    return _upsert(records)


QUIZ_ANSWER = register_kind(
    BufferKind(
        name=KIND,
        key_fields=KEY_FIELDS,
        group_fields=GROUP_FIELDS,
        apply=apply,
        load=_load,
        fields=("school_id", "answer"),
        derived=(("id", _answer_id),),
    )
)
