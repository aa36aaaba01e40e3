"""Quiz test data: factories for published quizzes, their frozen questions and attempts (written
directly, no service rules, no MongoDB), and the helpers that drive quizzes and attempts through
the API and flush the answer buffer."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from apps.academics.tests.factories import SubjectFactory
from apps.accounts.tests.factories import SchoolFactory, StudentFactory
from apps.core import buffer
from apps.quizzes.buffer_kinds import KIND
from apps.quizzes.models import Attempt, Quiz, QuizQuestion


class QuizFactory(factory.django.DjangoModelFactory):
    """A published quiz open from an hour ago for two hours; give it `sections` and frozen
    questions (`QuizQuestionFactory`) as the test needs."""

    class Meta:
        model = Quiz
        skip_postgeneration_save = True

    school = factory.SubFactory(SchoolFactory)
    title = factory.Sequence(lambda n: f"Quiz {n}")
    subject = factory.SubFactory(SubjectFactory, school=factory.SelfAttribute("..school"))
    opens_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    closes_at = factory.LazyAttribute(lambda o: o.opens_at + dt.timedelta(hours=2))
    duration_minutes = 30
    attempts_allowed = 1
    status = "published"
    published_at = factory.SelfAttribute("opens_at")
    questions = factory.LazyFunction(list)

    @factory.post_generation
    def sections(self, create, extracted, **kwargs):
        if create and extracted:
            self.sections.set(extracted)


class QuizQuestionFactory(factory.django.DjangoModelFactory):
    """A frozen true/false question (true is right)."""

    class Meta:
        model = QuizQuestion

    quiz = factory.SubFactory(QuizFactory)
    school = factory.SelfAttribute("quiz.school")
    question_id = factory.Sequence(lambda n: f"q{n}")
    document = factory.LazyAttribute(
        lambda o: {
            "id": o.question_id,
            "type": "true_false",
            "question_text": "?",
            "correct_answer": True,
        }
    )
    marks = 1
    position = factory.Sequence(lambda n: n + 1)


class AttemptFactory(factory.django.DjangoModelFactory):
    """An attempt started now; pass `status="submitted"`, `submitted_at`, `score`... for a
    finished one."""

    class Meta:
        model = Attempt

    quiz = factory.SubFactory(QuizFactory)
    school = factory.SelfAttribute("quiz.school")
    student = factory.SubFactory(StudentFactory, school=factory.SelfAttribute("..school"))
    number = 1
    started_at = factory.LazyFunction(timezone.now)
    deadline = factory.LazyAttribute(
        lambda o: o.started_at + dt.timedelta(minutes=o.quiz.duration_minutes)
    )
    seed = 1
    question_order = factory.LazyAttribute(
        lambda o: list(o.quiz.frozen_questions.values_list("question_id", flat=True))
    )


# --- through the API ------------------------------------------------------------------------------


def flush_here() -> int:
    """Flush the quiz_answer kind on this thread and connection (uncommitted test data)."""
    return buffer.flush(KIND, workers=0).records


def quiz_payload(school_year, questions, **overrides) -> dict:
    """A create-quiz body: Mathematics for 5-A, open now for two hours, 2 marks a question."""
    now = timezone.now()
    return {
        "title": "Algebra check",
        "subject": str(school_year.maths.pk),
        "sections": [str(school_year.sec_a.pk)],
        "opens_at": (now - dt.timedelta(minutes=5)).isoformat(),
        "closes_at": (now + dt.timedelta(hours=2)).isoformat(),
        "duration_minutes": 30,
        "questions": [{"question": q["id"], "marks": "2"} for q in questions],
        **overrides,
    }


def start(api, user, quiz) -> dict:
    """`user` (a student) starts or resumes an attempt at `quiz`; returns its JSON."""
    response = api(user).post(f"/api/v1/quizzes/{quiz['id']}/attempts/")
    assert response.status_code in (200, 201), response.content
    return response.json()


def save(api, user, attempt, *pairs):
    """Save ``(question, answer)`` pairs into `attempt` as `user`; returns the response."""
    return api(user).put(
        f"/api/v1/attempts/{attempt['id']}/answers/",
        {"answers": [{"question": q["id"], "answer": a} for q, a in pairs]},
    )


def take(api, user, quiz, *pairs, submit: bool = True) -> dict:
    """`user` (a student) starts an attempt at `quiz`, saves ``(question, answer)`` pairs and
    submits it (unless `submit` is False); returns the attempt's JSON."""
    client = api(user)
    attempt = start(api, user, quiz)
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
