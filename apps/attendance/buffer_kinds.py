"""The "attendance" kind of the write-behind buffer (apps.core.buffer).

A buffered mark is a whole row of `AttendanceRecord` keyed by its natural key (school, student,
date, period). The buffer refuses a key field that is None, and a daily mark has no period, so
the buffer key uses `slot` (the period id, or "day") in its place; the upsert itself targets
the table's (school, student, date, period) constraint, NULLS NOT DISTINCT.

Marks are grouped by (school, section, date), so one section's day is read without scanning.
The primary key travels in the record (`models.mark_id`), so replaying a record never makes a
second row and a pending mark already has its final id.
"""

from __future__ import annotations

import datetime as dt

from apps.core.buffer import BufferKind, Upsert, register_kind, uuid5_text
from apps.core.signals import announce_change

from .models import MARK_NAMESPACE, AttendanceRecord, mark_name

KIND = "attendance"
DAILY_SLOT = "day"

KEY_FIELDS = ("school_id", "student_id", "date", "slot")
GROUP_FIELDS = ("school_id", "section_id", "date")


def slot_of(period_id) -> str:
    return str(period_id) if period_id else DAILY_SLOT


def load_record(record: dict) -> dict:
    """A record read back from Redis, typed like a row from `.values()`; `pending` tells it
    has not reached Postgres yet."""
    out = dict(record)
    out["date"] = dt.date.fromisoformat(out["date"])
    out["pending"] = True
    return out


def _period_id(record: dict):
    slot = record["slot"]
    return None if slot == DAILY_SLOT else slot


def _mark_id(record: dict) -> str:  # str(models.mark_id(...)), fast
    name = mark_name(record["school_id"], record["student_id"], record["date"], record["period_id"])
    return uuid5_text(MARK_NAMESPACE, name)


apply = Upsert.for_model(
    AttendanceRecord,
    ("school", "student", "date", "period"),
    "ts",
    fields=[
        "id",
        "school",
        "student",
        "section",
        "date",
        "period",
        "status",
        "late_minutes",
        "reason",
        "remarks",
        "marked_by",
        "ts",
    ],
    # Never the id: it is derived from the key, and a row keeps the one it was created with.
    update_columns=[
        "section_id",
        "status",
        "late_minutes",
        "reason",
        "remarks",
        "marked_by_id",
        "ts",
        "updated_at",
    ],
)


def apply_and_announce(records: list[dict]) -> int:
    """Upsert a flushed batch, then tell the schools concerned their figures changed."""
    written = apply(records)
    for school_id in {r.get("school_id") for r in records}:
        announce_change(school_id, "attendance")
    return written


ATTENDANCE = register_kind(
    BufferKind(
        name=KIND,
        key_fields=KEY_FIELDS,
        group_fields=GROUP_FIELDS,
        apply=apply_and_announce,
        load=load_record,
        # Stored by position; the period and the id follow from the key, so they are not
        # stored at all (a daily mark packs into about 60 bytes: see apps.core.buffer.layout).
        fields=("section_id", "status", "late_minutes", "reason", "remarks", "marked_by_id"),
        derived=(("period_id", _period_id), ("id", _mark_id)),
    )
)
