"""Submitting never grades what it could not read, and answers PostgreSQL would refuse are
refused when saved.

- The write buffer's Redis paused (SIGSTOP: a hung server) while the pending answers are read:
  the submit is a 503 in the one error shape, the auto-submit task retries, and the attempt
  stays in progress with nothing graded; once Redis answers, the same answers are graded.
- An autosave that reaches the buffer (or Postgres) after a submit graded the attempt is refused
  and changes nothing; a submit that failed after closing the answers leaves autosaves working.
- NUL characters, lone surrogates, non-finite and oversized numbers: a 400 with per-answer
  field errors at autosave, and a submit that meets one anyway (buffered before the check)
  grades it as no answer instead of failing.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from apps.core import buffer
from apps.core.buffer import connection
from apps.core.exceptions import ServiceUnavailable
from apps.quizzes import tasks
from apps.quizzes.buffer_kinds import KIND
from apps.quizzes.models import Attempt, AttemptAnswer, answer_id
from apps.quizzes.services import attempts as attempt_services

from .factories import flush_here, take


def put_answers(api, user, attempt, body):
    return api(user).put(f"/api/v1/attempts/{attempt['id']}/answers/", body, format="json")


def graded_rows(attempt) -> int:
    return AttemptAnswer.objects.filter(attempt_id=attempt["id"], credit__isnull=False).count()


@pytest.fixture
def hung_buffer(settings, private_redis, monkeypatch):
    """The write buffer on a private Redis; `hang()` pauses it (short client timeouts keep the
    test quick), `wake()` resumes it."""
    settings.BATCH_PROCESSOR_REDIS_URL = private_redis.url
    monkeypatch.setattr(connection, "REDIS_TIMEOUT", 0.5)
    buffer.reset_client()

    class Control:
        @staticmethod
        def hang():
            private_redis.freeze()
            buffer.reset_client()

        @staticmethod
        def wake():
            private_redis.thaw()
            buffer.reset_client()

    return Control


# --- Redis unreadable at submit -------------------------------------------------------------------
def test_submit_with_the_buffer_hung_is_a_503_and_grades_nothing(
    api, cast, make_quiz, Q, hung_buffer
):
    quiz = make_quiz()
    sam = cast.student.user
    attempt = take(api, sam, quiz, (Q.single, "b"), (Q.numeric, 3.14), submit=False)
    assert buffer.pending(KIND, attempt_id=attempt["id"])  # waiting in Redis, not in Postgres
    assert not AttemptAnswer.objects.filter(attempt_id=attempt["id"]).exists()

    hung_buffer.hang()
    response = api(sam).post(f"/api/v1/attempts/{attempt['id']}/submit/")
    assert response.status_code == 503, response.content
    error = response.json()["error"]
    assert error["code"] == "answers_unavailable" and error["message"]
    held = Attempt.objects.get(pk=attempt["id"])
    assert (held.status, held.score, held.submitted_at) == ("in_progress", None, None)
    assert graded_rows(attempt) == 0

    hung_buffer.wake()
    response = api(sam).post(f"/api/v1/attempts/{attempt['id']}/submit/")
    assert response.status_code == 200, response.content
    held = Attempt.objects.get(pk=attempt["id"])
    assert (held.status, held.score) == ("submitted", Decimal("4.00"))


def test_auto_submit_with_the_buffer_hung_retries_and_leaves_the_attempt_open(
    api, cast, make_quiz, Q, hung_buffer
):
    quiz = make_quiz()
    attempt = take(api, cast.student.user, quiz, (Q.single, "b"), submit=False)
    Attempt.objects.filter(pk=attempt["id"]).update(
        deadline=timezone.now() - dt.timedelta(seconds=1)
    )

    hung_buffer.hang()
    with pytest.raises(Retry) as retry:
        tasks.submit_expired_attempts.apply(throw=True)
    assert retry.value.when == tasks.RETRY_DELAY
    assert isinstance(retry.value.exc, ServiceUnavailable)
    held = Attempt.objects.get(pk=attempt["id"])
    assert (held.status, held.score) == ("in_progress", None)
    assert graded_rows(attempt) == 0
    # Reading the expired attempt (the lazy auto-submit) is a 503 too, not a zero.
    response = api(cast.student.user).get(f"/api/v1/attempts/{attempt['id']}/")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "answers_unavailable"

    hung_buffer.wake()
    assert tasks.submit_expired_attempts() == 1
    held = Attempt.objects.get(pk=attempt["id"])
    assert (held.status, held.auto_submitted, held.score) == ("submitted", True, Decimal("2.00"))


# --- an autosave racing a submit -------------------------------------------------------------
@pytest.mark.parametrize("path", ["buffered", "written through"])
def test_an_autosave_arriving_after_the_submit_graded_is_refused_and_changes_nothing(
    api, cast, make_quiz, Q, monkeypatch, settings, path
):
    """The autosave reads the attempt (in progress) without a lock; the submit grades before
    the autosave puts. The put must be refused, not land over the graded answer."""
    quiz = make_quiz()
    sam = cast.student.user
    attempt = take(api, sam, quiz, (Q.single, "b"), submit=False)  # "b" is right: 2 marks
    real = attempt_services._own_attempt

    def submitted_meanwhile(*args, **kwargs):
        found = real(*args, **kwargs)
        assert found.status == "in_progress"
        response = api(sam).post(f"/api/v1/attempts/{attempt['id']}/submit/")
        assert response.status_code == 200, response.content
        if path == "written through":
            settings.BATCH_PROCESSOR_ENABLED = False
        return found

    monkeypatch.setattr(attempt_services, "_own_attempt", submitted_meanwhile)
    response = put_answers(
        api, sam, attempt, {"answers": [{"question": Q.single["id"], "answer": "a"}]}
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "attempt_submitted"
    settings.BATCH_PROCESSOR_ENABLED = True
    assert [r["answer"] for r in buffer.pending(KIND, attempt_id=attempt["id"])] == ["b"]
    flush_here()
    held = AttemptAnswer.objects.get(attempt_id=attempt["id"], question_id=Q.single["id"])
    assert (held.answer, held.marks_awarded) == ("b", Decimal("2.00"))
    assert Attempt.objects.get(pk=attempt["id"]).score == Decimal("2.00")


def test_a_submit_that_failed_after_closing_the_answers_leaves_autosaves_working(
    api, cast, make_quiz, Q, monkeypatch
):
    quiz = make_quiz()
    sam = cast.student.user
    attempt = take(api, sam, quiz, (Q.single, "a"), submit=False)

    def broken(*args, **kwargs):
        raise RuntimeError("grading failed")

    with monkeypatch.context() as patch:
        patch.setattr(attempt_services, "_grade", broken)
        response = api(sam).post(f"/api/v1/attempts/{attempt['id']}/submit/")
        assert response.status_code == 500
    assert Attempt.objects.get(pk=attempt["id"]).status == "in_progress"

    # The answers were left closed: the next autosave finds the attempt in progress under its
    # lock, opens them again and saves; the one after goes straight to the buffer.
    for answer in ("b", "b"):
        body = {"answers": [{"question": Q.single["id"], "answer": answer}]}
        response = put_answers(api, sam, attempt, body)
        assert response.status_code == 200, response.content
        assert response.json()["answers"] == {Q.single["id"]: "b"}
    assert [r["answer"] for r in buffer.pending(KIND, attempt_id=attempt["id"])] == ["b"]
    response = api(sam).post(f"/api/v1/attempts/{attempt['id']}/submit/")
    assert response.status_code == 200, response.content
    assert Attempt.objects.get(pk=attempt["id"]).score == Decimal("2.00")


# --- text PostgreSQL refuses ----------------------------------------------------------------------
BAD_ANSWERS = {
    "nul": ('"4\\u0000"', "NUL"),
    "surrogate": ('"\\ud800"', "surrogate"),
    "nul_in_a_list": ('["a", "c\\u0000"]', "NUL"),
    "nul_in_a_key": ('{"\\u0000": "x"}', "NUL"),
    "infinite": ("1e999", "valid JSON"),  # DRF's JSONField refuses it already
    "huge": ("1" + "0" * 30, "too large"),
}


@pytest.mark.parametrize("case", sorted(BAD_ANSWERS))
def test_answers_postgres_refuses_are_a_400_at_save(api, cast, make_quiz, Q, case):
    raw, says = BAD_ANSWERS[case]
    quiz = make_quiz()
    sam = cast.student.user
    attempt = take(api, sam, quiz, (Q.single, "b"), submit=False)
    question = Q.multiple if "list" in case else Q.numeric
    good = json.dumps({"question": Q.single["id"], "answer": "a"})
    bad = '{"question": ' + json.dumps(question["id"]) + ', "answer": ' + raw + "}"
    body = '{"answers": [' + good + ", " + bad + "]}"  # raw JSON: json.dumps cannot write these
    response = api(sam).generic(
        "PUT", f"/api/v1/attempts/{attempt['id']}/answers/", body, "application/json"
    )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == ("validation_error" if case == "infinite" else "invalid_answers")
    errors = error["fields"]["answers"]
    if isinstance(errors, dict):  # DRF's own errors name the failing entries by index
        errors = [errors.get(str(i), {}) for i in range(2)]
    first, second = errors
    assert first == {} and says in second["answer"][0]
    # nothing of the request was saved: Sam's earlier answer stands
    pending = buffer.pending(KIND, attempt_id=attempt["id"])
    assert [(r["question_id"], r["answer"]) for r in pending] == [(Q.single["id"], "b")]

    response = api(sam).post(f"/api/v1/attempts/{attempt['id']}/submit/")
    assert response.status_code == 200, response.content
    assert Attempt.objects.get(pk=attempt["id"]).score == Decimal("2.00")


def test_a_submit_meeting_an_unstorable_buffered_answer_grades_it_as_none(api, cast, make_quiz, Q):
    quiz = make_quiz()
    sam = cast.student.user
    attempt = take(api, sam, quiz, (Q.single, "b"), submit=False)
    # As if saved before answers were checked: a NUL character waiting in the buffer.
    buffer.put_many(
        KIND,
        [
            {
                "id": str(answer_id(attempt["id"], Q.numeric["id"])),
                "school_id": str(cast.school.pk),
                "attempt_id": attempt["id"],
                "question_id": Q.numeric["id"],
                "answer": "3.14\x00",
            }
        ],
    )
    response = api(sam).post(f"/api/v1/attempts/{attempt['id']}/submit/")
    assert response.status_code == 200, response.content
    held = Attempt.objects.get(pk=attempt["id"])
    assert (held.status, held.score) == ("submitted", Decimal("2.00"))
    stored = AttemptAnswer.objects.get(attempt_id=attempt["id"], question_id=Q.numeric["id"])
    assert (stored.answer, stored.marks_awarded) == (None, Decimal("0.00"))
