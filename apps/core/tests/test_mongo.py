"""The MongoClient factory and `manage.py ensure_mongo`, against a real wire server."""

from __future__ import annotations

import copy
import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from pymongo.errors import OperationFailure, WriteError

from apps.core import mongo

pytestmark = pytest.mark.mongo


def ensure(*args) -> str:
    out = StringIO()
    call_command("ensure_mongo", *args, stdout=out)
    return out.getvalue()


def question(**fields) -> dict:
    document = {
        "school_id": str(uuid.uuid4()),
        "quiz_id": str(uuid.uuid4()),
        "question_text": "What is the capital of Karnataka?",
        "options": ["Bengaluru", "Mysuru", "Hubballi", "Mangaluru"],
        "correct_answer": "Bengaluru",
        "difficulty": "easy",
        "type": "mcq",
        "tokens": ["capital", "karnataka"],
        "tags": ["geography"],
        "version": 1,
    }
    document.update(fields)
    return {k: v for k, v in document.items() if v is not ...}


@pytest.fixture
def spec_snapshot():
    """Tests that change the registry get it back afterwards."""
    saved = {name: (spec, copy.deepcopy(vars(spec))) for name, spec in mongo.COLLECTIONS.items()}
    yield
    mongo.COLLECTIONS.clear()
    for name, (spec, state) in saved.items():
        vars(spec).update(state)  # in place: mongo.QUESTIONS is the same object
        mongo.COLLECTIONS[name] = spec


# --- The client factory -------------------------------------------------------------------------


def test_factory_returns_one_client_per_process(mongo_db, monkeypatch):
    first = mongo.get_client()
    assert mongo.get_client() is first
    assert mongo.get_database().name == mongo_db.name
    real_pid = mongo.os.getpid()
    monkeypatch.setattr(mongo.os, "getpid", lambda: real_pid + 100_000)  # "after a fork"
    child = mongo.get_client()
    assert child is not first
    assert mongo.get_client() is child
    assert child.admin.command("ping")["ok"] == 1
    child.close()


def test_reset_client_makes_a_new_client(mongo_db):
    first = mongo.get_client()
    mongo.reset_client()
    assert mongo.get_client() is not first


def test_client_stores_uuids_as_standard_binary(mongo_db):
    school = uuid.uuid4()
    mongo_db.scratch.insert_one({"school_id": school})
    assert mongo_db.scratch.find_one({"school_id": school})["school_id"] == school


def test_redacted_uri_hides_the_password():
    assert mongo.redacted_uri("mongodb://app:s3cr%40t@db1:27017,db2/x?tls=true") == (
        "mongodb://app:***@db1:27017,db2/x?tls=true"
    )
    assert mongo.redacted_uri("mongodb://127.0.0.1:27017") == "mongodb://127.0.0.1:27017"


# --- ensure_mongo -------------------------------------------------------------------------------


def collection_options(db, name="questions") -> dict:
    return next(db.list_collections(filter={"name": name}))["options"]


def test_ensure_mongo_creates_validator_and_indexes(mongo_db):
    output = ensure()
    assert "questions: created with its $jsonSchema validator" in output
    options = collection_options(mongo_db)
    assert options["validator"] == {"$jsonSchema": mongo.QUESTIONS.schema}
    assert options["validationLevel"] == "strict"
    assert options["validationAction"] == "error"
    schema = options["validator"]["$jsonSchema"]
    assert schema["required"] == ["school_id", "question_text", "correct_answer"]
    assert schema["properties"]["difficulty"] == {"enum": ["easy", "medium", "hard"]}
    indexes = {ix["name"]: list(ix["key"].items()) for ix in mongo_db.questions.list_indexes()}
    # Apps add their own (apps/*/mongo_collections.py); these are the core's.
    core = {
        "_id_": [("_id", 1)],
        "school_quiz": [("school_id", 1), ("quiz_id", 1)],
        "school_tokens": [("school_id", 1), ("tokens", 1)],
        "school_difficulty": [("school_id", 1), ("difficulty", 1)],
        "school_tags": [("school_id", 1), ("tags", 1)],
    }
    assert {name: indexes.get(name) for name in core} == core
    declared = {ix.name: list(ix.keys) for ix in mongo.QUESTIONS.indexes}
    assert indexes == {"_id_": [("_id", 1)], **declared}
    assert f"Done: {1 + len(declared)} change(s), 0 warning(s)." in output


def test_ensure_mongo_twice_changes_nothing(mongo_db):
    ensure()
    before = (collection_options(mongo_db), list(mongo_db.questions.list_indexes()))
    output = ensure()
    assert "questions: validator up to date" in output
    assert "Done: 0 change(s), 0 warning(s)." in output
    assert (collection_options(mongo_db), list(mongo_db.questions.list_indexes())) == before


def test_ensure_mongo_applies_validator_to_existing_collection_with_collmod(mongo_db):
    mongo_db.create_collection("questions")  # e.g. made by the earlier plan, unvalidated
    mongo_db.questions.insert_one({"quiz_id": "legacy", "question_text": "Old?"})
    output = ensure()
    assert "questions: validator applied (collMod)" in output
    assert collection_options(mongo_db)["validator"] == {"$jsonSchema": mongo.QUESTIONS.schema}
    assert mongo_db.questions.count_documents({}) == 1  # existing documents are kept


def test_changed_spec_is_applied_on_the_next_run(mongo_db, spec_snapshot):
    ensure()
    mongo.extend_collection(
        "questions",
        properties={"points": {"bsonType": ["int", "double"], "minimum": 0}},
        indexes=[
            mongo.Index((("school_id", 1), ("type", 1)), "school_type"),
            mongo.Index((("school_id", 1), ("tags", 1), ("difficulty", 1)), "school_tags"),
        ],
    )
    output = ensure()
    assert "questions: validator replaced (collMod)" in output
    assert "index school_type (school_id, type) created" in output
    assert "index school_tags (school_id, tags, difficulty) rebuilt" in output
    schema = collection_options(mongo_db)["validator"]["$jsonSchema"]
    assert schema["properties"]["points"] == {"bsonType": ["int", "double"], "minimum": 0}
    with pytest.raises(WriteError):
        mongo_db.questions.insert_one(question(points=-1))
    assert "Done: 0 change(s)" in ensure()


def test_undeclared_and_duplicate_indexes_are_left_alone(mongo_db):
    mongo_db.create_collection("questions")
    mongo_db.questions.create_index([("quiz_id", 1)], name="legacy_quiz")
    mongo_db.questions.create_index([("school_id", 1), ("tags", 1)], name="old_tags")
    output = ensure()
    assert "index legacy_quiz is not declared; left alone" in output
    assert "WARNING: questions: index school_tags (school_id, tags): the same keys" in output
    names = {ix["name"] for ix in mongo_db.questions.list_indexes()}
    assert {"legacy_quiz", "old_tags", "school_quiz"} <= names
    assert "school_tags" not in names
    with pytest.raises(CommandError, match="warning"):
        call_command("ensure_mongo", "--strict", stdout=StringIO())


def test_unknown_collection_name_is_refused(mongo_db):
    with pytest.raises(CommandError, match="Unknown collection"):
        ensure("answers")


def test_unreachable_server_is_a_clear_error(mongo_db, settings):
    settings.MONGODB_URI = "mongodb://app:secret@127.0.0.1:1"
    settings.MONGODB_TIMEOUT_MS = 200
    mongo.reset_client()
    try:
        with pytest.raises(CommandError, match="not reachable") as caught:
            ensure()
        assert "secret" not in str(caught.value)
    finally:
        mongo.reset_client()


def test_unsupported_validator_degrades_with_a_warning(mongo_db, monkeypatch):
    """A server without validators still gets the collection and indexes, and says so."""
    real = type(mongo_db).command

    def no_validators(self, command, value=None, *args, **kwargs):
        if command in ("create", "collMod") and "validator" in kwargs:
            raise OperationFailure("validator is not supported", code=115)
        return real(self, command, value, *args, **kwargs)

    monkeypatch.setattr(type(mongo_db), "command", no_validators)
    output = ensure()
    assert "WARNING: questions: this server does not support collection validators" in output
    assert "index school_tokens (school_id, tokens) created" in output
    assert "validator" not in collection_options(mongo_db)


# --- What the validator accepts and rejects (SecantusDB enforces it) ------------------------------


@pytest.fixture
def questions(mongo_db):
    ensure()
    return mongo_db.questions


def test_validator_accepts_a_question(questions):
    questions.insert_one(question())
    questions.insert_one(question(school_id=uuid.uuid4(), quiz_id=None))  # BSON UUID, bank-only
    questions.insert_one(question(correct_answer=["a", "c"], type="multi_select"))
    questions.insert_one(question(options=[{"id": "a", "text": "x", "media": None}]))
    questions.insert_one(question(explanation="Any extra field is allowed", difficulty=...))
    assert questions.count_documents({}) == 5


@pytest.mark.parametrize(
    "fields",
    [
        {"question_text": ...},
        {"question_text": ""},
        {"school_id": ...},
        {"school_id": 7},
        {"correct_answer": ...},
        {"correct_answer": None},
        {"difficulty": "impossible"},
        {"options": "a, b"},
        {"tokens": ["ok", 3]},
        {"tags": "geography"},
        {"version": 0},
    ],
    ids=lambda fields: "-".join(f"{k}={v!r}" for k, v in fields.items()),
)
def test_validator_rejects_a_bad_question(questions, fields):
    with pytest.raises(WriteError) as caught:
        questions.insert_one(question(**fields))
    assert caught.value.code == 121  # DocumentValidationFailure
    assert questions.count_documents({}) == 0


def test_word_search_uses_the_tokens_index(questions):
    """Word search runs on the (school_id, tokens) multikey index, no $text needed.

    SecantusDB's planner picks the index for one word (equality) or `$in`, but not unaided for
    `$all`; with `.hint("school_tokens")` it does (real MongoDB picks it either way), so the
    question bank should hint multi-word searches.
    """
    school = str(uuid.uuid4())
    questions.insert_many(
        [
            question(school_id=school, tokens=["capital", "karnataka"]),
            question(school_id=school, tokens=["capital", "kerala"]),
            question(school_id=school, tokens=["photosynthesis", "plants"]),
            question(tokens=["capital", "karnataka"]),  # another school
        ]
    )

    def plan(cursor) -> str:
        return str(cursor.explain()["queryPlanner"]["winningPlan"])

    one_word = {"school_id": school, "tokens": "capital"}
    assert questions.count_documents(one_word) == 2
    assert "school_tokens" in plan(questions.find(one_word))
    all_words = {"school_id": school, "tokens": {"$all": ["capital", "karnataka"]}}
    assert len(list(questions.find(all_words).hint("school_tokens"))) == 1
    assert "school_tokens" in plan(questions.find(all_words).hint("school_tokens"))
