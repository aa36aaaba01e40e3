"""question_bank: the service the quiz engine calls (get_many, pool) and its failure modes."""

from __future__ import annotations

import uuid

import pytest
from bson import ObjectId
from pymongo.collection import Collection
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    NetworkTimeout,
    ServerSelectionTimeoutError,
)

from apps.academics.tests.factories import SubjectFactory
from apps.core.exceptions import ApplicationError, ServiceUnavailable
from apps.quizzes import question_bank as bank
from apps.quizzes.question_bank import writes

pytestmark = [pytest.mark.mongo, pytest.mark.django_db]


class Actor:
    def __init__(self, pk=None, role="teacher"):
        self.pk = pk or uuid.uuid4()
        self.role = role


def q(text="What is the capital of Goa?", **fields):
    return {
        "type": "short",
        "question_text": text,
        "correct_answer": ["Panaji"],
        **fields,
    }


@pytest.fixture
def school():
    return str(uuid.uuid4())


def test_create_fills_defaults_and_returns_the_stored_document(mongo_questions, school):
    author = Actor()
    made = bank.create(school, q(), author_id=author.pk)
    assert made == {
        "id": made["id"],
        "school_id": school,
        "quiz_id": None,
        "type": "short",
        "title": None,
        "question_text": "What is the capital of Goa?",
        "correct_answer": ["Panaji"],
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
        "author_id": str(author.pk),
        "created_at": made["created_at"],
        "updated_at": made["created_at"],
        "version": 1,
    }
    assert bank.get(school, made["id"]) == made


def test_get_many_returns_only_the_schools_questions_by_id(mongo_questions, school):
    mine = bank.create_many(school, [q("One?"), q("Two?")], author_id=None)
    theirs = bank.create(str(uuid.uuid4()), q("Other?"), author_id=None)
    found = bank.get_many(school, [m["id"] for m in mine] + [theirs["id"], "junk", ObjectId()])
    assert set(found) == {m["id"] for m in mine}
    assert found[mine[0]["id"]]["question_text"] == "One?"
    assert found[mine[0]["id"]]["correct_answer"] == ["Panaji"]  # snapshots carry the answer
    assert bank.get_many(school, []) == {}


def test_the_version_snapshot_is_what_was_published(mongo_questions, school):
    made = bank.create(school, q(), author_id=None)
    snapshot = bank.get_many(school, [made["id"]])[made["id"]]
    bank.update(school, made["id"], {"correct_answer": ["Panjim"]}, actor=Actor(role="admin"))
    assert snapshot["version"] == 1 and snapshot["correct_answer"] == ["Panaji"]
    assert bank.get(school, made["id"])["version"] == 2


def test_pool_takes_a_quizs_pool_filter(mongo_questions, school, db):
    from apps.accounts.tests.factories import SchoolFactory

    real_school = SchoolFactory()
    subject = SubjectFactory(school=real_school)
    sid = str(real_school.pk)
    bank.create_many(
        sid,
        [
            q("A?", subject_id=str(subject.pk), difficulty="easy", tags=["x", "y"], topic="T"),
            q("B?", subject_id=str(subject.pk), difficulty="hard", tags=["x"]),
            q("C?", difficulty="easy", tags=["x", "y"]),
        ],
        author_id=None,
    )
    texts = lambda flt: [d["question_text"] for d in bank.pool(sid, flt)]  # noqa: E731
    assert texts({}) == ["A?", "B?", "C?"]
    assert texts({"subject": str(subject.pk)}) == ["A?", "B?"]
    assert texts({"subject": str(subject.pk), "difficulty": "easy"}) == ["A?"]
    assert texts({"tags": ["x", "y"]}) == ["A?", "C?"]
    assert texts({"topic": "T", "ignored": 1}) == ["A?"]
    assert bank.pool(school, {}) == []


def test_create_many_validates_everything_first(mongo_questions, school):
    with pytest.raises(ApplicationError) as caught:
        bank.create_many(school, [q(), q(type="numeric"), q(marks=-1)], author_id=None)
    assert set(caught.value.fields) == {"1", "2"}
    assert "correct_answer" in caught.value.fields["1"]
    assert mongo_questions.count_documents({}) == 0


def test_a_failed_insert_removes_what_was_inserted(mongo_questions, school, monkeypatch):
    real = Collection.insert_many

    def insert_half_then_fail(self, documents, *args, **kwargs):
        real(self, documents[:2], *args, **kwargs)
        raise AutoReconnect("connection reset mid-import")

    monkeypatch.setattr(Collection, "insert_many", insert_half_then_fail)
    with pytest.raises(ServiceUnavailable):
        bank.create_many(school, [q("1?"), q("2?"), q("3?")], author_id=None)
    monkeypatch.undo()
    assert mongo_questions.count_documents({}) == 0


@pytest.mark.parametrize(
    "error",
    [
        ServerSelectionTimeoutError("no servers"),
        ConnectionFailure("refused"),
        AutoReconnect("reset"),
        NetworkTimeout("timed out"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_unreachable_mongodb_is_service_unavailable(mongo_questions, school, monkeypatch, error):
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(Collection, "find", fail)
    monkeypatch.setattr(Collection, "find_one", fail)
    for call in (
        lambda: bank.list_questions(school),
        lambda: bank.get(school, ObjectId()),
        lambda: bank.get_many(school, [ObjectId()]),
        lambda: bank.pool(school, {}),
    ):
        with pytest.raises(ServiceUnavailable) as caught:
            call()
        assert caught.value.status_code == 503
        assert caught.value.message == bank.UNAVAILABLE_MESSAGE


def test_search_works_without_the_index(mongo_db, school):
    """Before ensure_mongo has run there is no `school_tokens` index to hint: still right."""
    bank.create_many(school, [q("Capital of Goa?"), q("Capital of Kerala?")], author_id=None)
    items, count = bank.list_questions(school, search="capital goa")
    assert count == 1 and items[0]["question_text"] == "Capital of Goa?"


def test_an_edit_racing_another_is_a_conflict(mongo_questions, school, monkeypatch):
    made = bank.create(school, q(), author_id=None)
    admin = Actor(role="admin")
    real = writes._editable

    def read_then_someone_saves(*args, **kwargs):
        current = real(*args, **kwargs)
        mongo_questions.update_one({"_id": current["_id"]}, {"$inc": {"version": 1}})
        return current

    monkeypatch.setattr(writes, "_editable", read_then_someone_saves)
    with pytest.raises(ApplicationError) as caught:
        bank.update(school, made["id"], {"marks": 3}, actor=admin)
    assert caught.value.status_code == 409
    assert bank.get(school, made["id"])["marks"] == 1


def test_list_counts_and_pages(mongo_questions, school):
    bank.create_many(school, [q(f"Question {n}?") for n in range(5)], author_id=None)
    items, count = bank.list_questions(school, skip=3, limit=10)
    assert count == 5
    assert [i["question_text"] for i in items] == ["Question 1?", "Question 0?"]
    assert bank.list_questions(school, limit=1000)[0].__len__() == 5
    assert bank.list_questions(school, limit=0) == ([], 5)


def test_no_school_no_bank(mongo_questions):
    with pytest.raises(ApplicationError):
        bank.list_questions(None)


def test_the_server_validator_knows_the_banks_fields(mongo_questions, school):
    from pymongo.errors import WriteError

    made = bank.create(school, q(), author_id=None)
    stored = mongo_questions.find_one({"_id": ObjectId(made["id"])})
    for bad in ({"marks": 0}, {"media_urls": "x"}, {"pairs": ["x"]}, {"partial_credit": "y"}):
        with pytest.raises(WriteError):
            mongo_questions.insert_one({**stored, "_id": ObjectId(), **bad})
