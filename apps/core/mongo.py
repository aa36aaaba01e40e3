"""MongoDB: the one place a MongoClient is made, and the registry of collections we own.

The client is made lazily, once per process, and re-made after a fork: gunicorn and Celery fork
workers, and a MongoClient must not cross a fork, so the client remembers the pid that made it
and a child process makes its own.

`COLLECTIONS` maps a collection name to its `CollectionSpec`: the `$jsonSchema` validator and the
indexes `manage.py ensure_mongo` installs (idempotently; see `ensure_collections`). The question
bank's `questions` collection is registered here. Another app extends it, or registers its own
collection, from a module named `mongo_collections.py` in the app (ensure_mongo imports every
installed app's `mongo_collections` first), e.g.::

    # apps/quizzes/mongo_collections.py
    from apps.core.mongo import Index, extend_collection

    extend_collection(
        "questions",
        properties={"media": {"bsonType": "array", "items": {"bsonType": "object"}}},
        indexes=[Index((("school_id", 1), ("type", 1)), "school_type")],
    )
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from pymongo import IndexModel, MongoClient
from pymongo.database import Database
from pymongo.errors import OperationFailure

_lock = threading.Lock()
_client: MongoClient | None = None
_client_pid: int | None = None


def get_client() -> MongoClient:
    global _client, _client_pid
    client = _client
    if client is not None and _client_pid == os.getpid():
        return client
    with _lock:
        if _client is None or _client_pid != os.getpid():
            # After a fork the parent's client is dropped, never closed: closing it here would
            # touch sockets and threads that belong to the parent.
            _client = MongoClient(
                settings.MONGODB_URI,
                serverSelectionTimeoutMS=settings.MONGODB_TIMEOUT_MS,
                connectTimeoutMS=settings.MONGODB_TIMEOUT_MS,
                socketTimeoutMS=settings.MONGODB_SOCKET_TIMEOUT_MS,
                retryWrites=True,
                tz_aware=True,
                uuidRepresentation="standard",
                appname="schools24",
            )
            _client_pid = os.getpid()
        return _client


def get_database() -> Database:
    return get_client()[settings.MONGODB_DATABASE]


def reset_client() -> None:
    """Drop the cached client (tests that point MONGODB_URI elsewhere)."""
    global _client, _client_pid
    with _lock:
        if _client is not None and _client_pid == os.getpid():
            _client.close()
        _client, _client_pid = None, None


def _after_fork_in_child() -> None:
    # A fork while another thread held the lock would leave the child's copy locked forever.
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def redacted_uri(uri: str | None = None) -> str:
    """MONGODB_URI without its password, for messages and logs."""
    uri = settings.MONGODB_URI if uri is None else uri
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "<unparseable MONGODB_URI>"
    if "@" not in parts.netloc:
        return uri
    userinfo, hosts = parts.netloc.rsplit("@", 1)
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{hosts}"))


# --- Collections we own: validators and indexes -------------------------------------------------


@dataclass(frozen=True)
class Index:
    """One index: `keys` as ((field, direction), ...), a stable `name`, and index options."""

    keys: tuple[tuple[str, Any], ...]
    name: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def model(self) -> IndexModel:
        return IndexModel(list(self.keys), name=self.name, **dict(self.options))


@dataclass
class CollectionSpec:
    name: str
    schema: dict[str, Any] | None = None  # the $jsonSchema document (None: no validator)
    indexes: list[Index] = field(default_factory=list)
    validation_level: str = "strict"
    validation_action: str = "error"

    @property
    def validator(self) -> dict[str, Any] | None:
        return {"$jsonSchema": self.schema} if self.schema is not None else None


COLLECTIONS: dict[str, CollectionSpec] = {}


def register_collection(spec: CollectionSpec) -> CollectionSpec:
    """Register (or replace) the spec for one collection."""
    COLLECTIONS[spec.name] = spec
    return spec


def extend_collection(
    name: str,
    *,
    properties: Mapping[str, Any] | None = None,
    required: Iterable[str] = (),
    indexes: Iterable[Index] = (),
) -> CollectionSpec:
    """Add `$jsonSchema` properties, required fields and indexes to a registered collection.

    A property already declared is replaced by the new definition; an index with a name already
    registered is replaced too (ensure_mongo rebuilds it on the server if its keys changed).
    """
    spec = COLLECTIONS[name]
    if properties or required:
        schema = spec.schema if spec.schema is not None else {"bsonType": "object"}
        schema.setdefault("properties", {}).update(copy.deepcopy(dict(properties or {})))
        for field_name in required:
            if field_name not in schema.setdefault("required", []):
                schema["required"].append(field_name)
        spec.schema = schema
    for index in indexes:
        spec.indexes = [existing for existing in spec.indexes if existing.name != index.name]
        spec.indexes.append(index)
    return spec


# Identifiers: Postgres UUIDs as strings or BSON UUIDs; ObjectIds for data from the earlier plan.
_ID = ["string", "binData", "objectId"]
_STRINGS = {"bsonType": "array", "items": {"bsonType": "string"}}

QUESTIONS = register_collection(
    CollectionSpec(
        name="questions",
        # Field names are the roadmap's (PRODUCT-NOTES), so documents written by either plan read
        # the same. Permissive on purpose: other fields are allowed, and `options` and
        # `correct_answer` take any shape so new question types need no schema change.
        schema={
            "bsonType": "object",
            "title": "Quiz question",
            "required": ["school_id", "question_text", "correct_answer"],
            "properties": {
                "school_id": {
                    "bsonType": ["string", "binData"],
                    "description": "the owning School's id; every query filters on it",
                },
                "quiz_id": {"bsonType": [*_ID, "null"]},
                "subject_id": {"bsonType": [*_ID, "null"]},
                "question_text": {"bsonType": "string", "minLength": 1},
                "correct_answer": {
                    "bsonType": [
                        "string",
                        "int",
                        "long",
                        "double",
                        "decimal",
                        "bool",
                        "array",
                        "object",
                    ],
                    "description": "any non-null value: a choice, several, a number, a text",
                },
                "options": {"bsonType": "array"},
                "difficulty": {"enum": ["easy", "medium", "hard"]},
                "type": {"bsonType": "string", "description": "e.g. mcq, true_false, numeric"},
                "tokens": {
                    **_STRINGS,
                    "description": "normalised words of the question, for word search",
                },
                "tags": _STRINGS,
                "version": {"bsonType": ["int", "long"], "minimum": 1},
                "created_at": {"bsonType": "date"},
                "updated_at": {"bsonType": "date"},
            },
        },
        indexes=[
            Index((("school_id", 1), ("quiz_id", 1)), "school_quiz"),
            # Word search without $text (SecantusDB has none): `tokens` is multikey.
            Index((("school_id", 1), ("tokens", 1)), "school_tokens"),
            Index((("school_id", 1), ("difficulty", 1)), "school_difficulty"),
            Index((("school_id", 1), ("tags", 1)), "school_tags"),
        ],
    )
)


# --- ensure_collections: what `manage.py ensure_mongo` does -------------------------------------

# Error codes (and words) meaning "this server does not do that", as opposed to "you asked for
# something wrong". The first degrade with a warning; anything else is raised.
_UNSUPPORTED_CODES = {
    59,  # CommandNotFound
    67,  # CannotCreateIndex (e.g. an index type the server lacks)
    115,  # CommandNotSupported
    238,  # NotImplemented
}
_UNSUPPORTED_WORDS = ("not supported", "unsupported", "not implemented", "no such command")
_NAMESPACE_EXISTS = 48


def _unsupported(exc: OperationFailure) -> bool:
    message = str(exc).lower()
    return exc.code in _UNSUPPORTED_CODES or any(word in message for word in _UNSUPPORTED_WORDS)


@dataclass
class Outcome:
    level: str  # "ok" (nothing to do), "changed", "warning"
    message: str


def _collection_options(db: Database, name: str) -> dict[str, Any] | None:
    for info in db.list_collections(filter={"name": name}):
        return dict(info.get("options") or {})
    return None


def _validator_options(spec: CollectionSpec) -> dict[str, Any]:
    return {
        "validator": spec.validator,
        "validationLevel": spec.validation_level,
        "validationAction": spec.validation_action,
    }


def _validator_current(options: Mapping[str, Any], spec: CollectionSpec) -> bool:
    return (
        options.get("validator") == spec.validator
        and options.get("validationLevel", "strict") == spec.validation_level
        and options.get("validationAction", "error") == spec.validation_action
    )


def _ensure_validator(db: Database, spec: CollectionSpec) -> list[Outcome]:
    name = spec.name
    options = _collection_options(db, name)
    wanted = _validator_options(spec) if spec.validator is not None else {}
    if options is None:
        try:
            db.command("create", name, **wanted)
            what = "with its $jsonSchema validator" if wanted else "without a validator"
            return [Outcome("changed", f"{name}: created {what}")]
        except OperationFailure as exc:
            if exc.code == _NAMESPACE_EXISTS:  # made meanwhile by a concurrent run
                options = _collection_options(db, name) or {}
            elif wanted and _unsupported(exc):
                db.command("create", name)
                return [
                    Outcome("changed", f"{name}: created"),
                    Outcome(
                        "warning",
                        f"{name}: this server does not support collection validators ({exc}); "
                        "documents are NOT validated",
                    ),
                ]
            else:
                raise
    if spec.validator is None:
        return [Outcome("ok", f"{name}: exists (no validator declared)")]
    if _validator_current(options, spec):
        return [Outcome("ok", f"{name}: validator up to date")]
    try:
        db.command("collMod", name, **wanted)
    except OperationFailure as exc:
        if not _unsupported(exc):
            raise
        return [
            Outcome(
                "warning",
                f"{name}: this server cannot change a validator with collMod ({exc}); "
                "the stored validator is out of date",
            )
        ]
    verb = "replaced" if options.get("validator") else "applied"
    return [Outcome("changed", f"{name}: validator {verb} (collMod)")]


def _verify_validator(db: Database, spec: CollectionSpec) -> list[Outcome]:
    if spec.validator is None:
        return []
    options = _collection_options(db, spec.name) or {}
    if options.get("validator") != spec.validator:
        return [
            Outcome(
                "warning",
                f"{spec.name}: the server accepted the validator but does not report it back; "
                "documents may NOT be validated",
            )
        ]
    return []


def _index_options(info: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in info.items() if k not in {"v", "key", "name", "ns", "background"}}


def _ensure_indexes(db: Database, spec: CollectionSpec) -> list[Outcome]:
    collection = db[spec.name]
    existing = {info["name"]: info for info in collection.list_indexes()}
    by_keys = {tuple(info["key"].items()): name for name, info in existing.items()}
    outcomes: list[Outcome] = []
    for index in spec.indexes:
        keys = tuple((k, v) for k, v in index.keys)
        label = f"{spec.name}: index {index.name} ({', '.join(k for k, _ in keys)})"
        current = existing.get(index.name)
        if current is not None:
            if tuple(current["key"].items()) == keys and _index_options(current) == dict(
                index.options
            ):
                outcomes.append(Outcome("ok", f"{label} present"))
                continue
            collection.drop_index(index.name)
            verb = "rebuilt (its definition changed)"
        elif keys in by_keys:
            outcomes.append(
                Outcome(
                    "warning",
                    f"{label}: the same keys are already indexed as {by_keys[keys]!r}; "
                    "left as it is (drop it to let ensure_mongo create its own)",
                )
            )
            continue
        else:
            verb = "created"
        try:
            collection.create_indexes([index.model()])
        except OperationFailure as exc:
            if not _unsupported(exc):
                raise
            outcomes.append(Outcome("warning", f"{label} not created, unsupported here: {exc}"))
            continue
        outcomes.append(Outcome("changed", f"{label} {verb}"))
    declared = {index.name for index in spec.indexes} | {"_id_"}
    for name in sorted(set(existing) - declared):
        outcomes.append(Outcome("ok", f"{spec.name}: index {name} is not declared; left alone"))
    return outcomes


def ensure_collection(db: Database, spec: CollectionSpec) -> list[Outcome]:
    """Create the collection with its validator (or bring the validator up to date with
    collMod) and create its indexes. Safe to run any number of times."""
    outcomes = _ensure_validator(db, spec)
    if not any(o.level == "warning" for o in outcomes):
        outcomes += _verify_validator(db, spec)
    return outcomes + _ensure_indexes(db, spec)


def load_collection_specs() -> dict[str, CollectionSpec]:
    """The registry after every installed app's `mongo_collections` module has been imported."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("mongo_collections")
    return COLLECTIONS


def ensure_collections(
    db: Database | None = None, names: Iterable[str] | None = None
) -> list[Outcome]:
    db = get_database() if db is None else db
    specs = load_collection_specs()
    outcomes: list[Outcome] = []
    for name in names if names is not None else sorted(specs):
        outcomes += ensure_collection(db, specs[name])
    return outcomes
