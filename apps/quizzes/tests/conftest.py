"""The quiz cast: the shared `school_year` (root conftest) in a current academic year around
today: Tara (cast.teacher) teaches Mathematics in 5-A, Cole (cast.colleague) Science there, Vera
Mathematics in 5-B; Sam and Oscar are in 5-A, Sia in 5-B. `Q` holds three bank questions of
school one, made through `question_bank`: `single` (2 marks in quizzes made by `make_quiz`),
`multiple` with partial credit, `numeric`. Every test gets a private write-buffer namespace in
Redis; `private_redis` is a redis-server of the test's own, to freeze. The API helpers (`take`,
`start`, `save`, `quiz_payload`, `flush_here`) are in `factories.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.utils import timezone

from apps.core import buffer
from apps.core.testing import PrivateRedis, buffer_namespace, year_around

from .factories import quiz_payload


@pytest.fixture(autouse=True)
def ns(settings):
    """A private write-buffer namespace (see the root conftest), no grace after deadlines."""
    settings.QUIZ_DEADLINE_GRACE_SECONDS = 0
    with buffer_namespace(settings, "quiz") as prefix:
        yield prefix


@pytest.fixture
def school_year_span():
    return year_around(timezone.localdate())


@dataclass
class Questions:
    single: dict
    multiple: dict
    numeric: dict


@pytest.fixture
def Q(cast, school_year, mongo_db) -> Questions:
    from apps.quizzes import question_bank

    def make(data):
        return question_bank.create(
            cast.school.pk,
            {"subject_id": str(school_year.maths.pk), "topic": "algebra", **data},
            author_id=cast.teacher.user.pk,
        )

    return Questions(
        single=make(
            {
                "type": "single",
                "question_text": "2 + 2 = ?",
                "options": [{"id": "a", "text": "3"}, {"id": "b", "text": "4"}],
                "correct_answer": "b",
                "explanation": "Count on your fingers.",
                "difficulty": "easy",
            }
        ),
        multiple=make(
            {
                "type": "multiple",
                "question_text": "Which are even?",
                "options": [
                    {"id": "a", "text": "2"},
                    {"id": "b", "text": "3"},
                    {"id": "c", "text": "4"},
                    {"id": "d", "text": "5"},
                ],
                "correct_answer": ["a", "c"],
                "partial_credit": True,
                "difficulty": "medium",
            }
        ),
        numeric=make(
            {
                "type": "numeric",
                "question_text": "pi to two decimals?",
                "correct_answer": {"value": 3.14, "tolerance": 0.005},
                "difficulty": "hard",
            }
        ),
    )


@pytest.fixture
def make_quiz(api, cast, school_year, Q):
    """`make_quiz(**overrides)` creates (as the teacher) and publishes a quiz over the three
    questions (2 marks each) for 5-A; returns the quiz's JSON. `publish=False` keeps a draft."""

    def make(*, publish: bool = True, questions=None, actor=None, **overrides):
        client = api(actor or cast.teacher.user)
        picked = questions if questions is not None else [Q.single, Q.multiple, Q.numeric]
        response = client.post("/api/v1/quizzes/", quiz_payload(school_year, picked, **overrides))
        assert response.status_code == 201, response.content
        quiz = response.json()
        if publish:
            response = client.post(f"/api/v1/quizzes/{quiz['id']}/publish/")
            assert response.status_code == 200, response.content
            quiz = response.json()
        return quiz

    return make


@pytest.fixture
def no_mongo(monkeypatch):
    """`no_mongo()`: any use of MongoDB from then on fails the test (the client factory and
    the bank's database handle raise)."""
    from apps.core import mongo
    from apps.quizzes.question_bank import store

    def boom(*args, **kwargs):
        raise AssertionError("MongoDB was queried")

    def switch_off():
        monkeypatch.setattr(mongo, "get_client", boom)
        monkeypatch.setattr(mongo, "get_database", boom)
        monkeypatch.setattr(store, "get_database", boom)

    return switch_off


@pytest.fixture
def private_redis():
    """A redis-server of this test's own (`apps.core.testing.PrivateRedis`): the buffer may be
    pointed at it, then it may be frozen (SIGSTOP, a hung server) and thawed, never the
    machine's shared Redis."""
    server = PrivateRedis()
    try:
        yield server
    finally:
        server.stop()
        buffer.reset_client()
