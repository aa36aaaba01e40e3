"""Attempts through the API: start (window, limit, deadline), paper, autosave through the write
buffer, submit and grading, auto-submit."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from apps.quizzes import tasks
from apps.quizzes.models import Attempt, AttemptAnswer, Quiz

from .factories import flush_here, save, start


def expire(attempt) -> None:
    Attempt.objects.filter(pk=attempt["id"]).update(
        deadline=timezone.now() - dt.timedelta(seconds=1)
    )


# --- start ----------------------------------------------------------------------------------------
def test_start_fixes_the_deadline_and_the_order(api, cast, make_quiz, Q):
    quiz = make_quiz(duration_minutes=30)
    before = timezone.now()
    response = api(cast.student.user).post(f"/api/v1/quizzes/{quiz['id']}/attempts/")
    assert response.status_code == 201
    body = response.json()
    attempt = Attempt.objects.get(pk=body["id"])
    assert attempt.student == cast.student and attempt.number == 1
    assert before + dt.timedelta(minutes=30) <= attempt.deadline
    assert attempt.deadline <= timezone.now() + dt.timedelta(minutes=30)
    assert attempt.question_order == [Q.single["id"], Q.multiple["id"], Q.numeric["id"]]
    assert body["status"] == "in_progress" and body["score"] is None and body["review"] is None
    # resuming returns the same attempt
    again = api(cast.student.user).post(f"/api/v1/quizzes/{quiz['id']}/attempts/")
    assert again.status_code == 200 and again.json()["id"] == body["id"]


def test_deadline_is_capped_by_the_closing_time_plus_extra_time(api, cast, make_quiz):
    closes = timezone.now() + dt.timedelta(minutes=10)
    quiz = make_quiz(duration_minutes=60, closes_at=closes.isoformat())
    response = api(cast.teacher.user).post(
        f"/api/v1/quizzes/{quiz['id']}/accommodations/",
        {"student": str(cast.student.pk), "extra_minutes": 15},
    )
    assert response.status_code == 200
    assert response.json()[0]["extra_minutes"] == 15
    sam = Attempt.objects.get(pk=start(api, cast.student.user, quiz)["id"])
    oscar = Attempt.objects.get(pk=start(api, cast.other_student.user, quiz)["id"])
    assert sam.deadline == Quiz.objects.get(pk=quiz["id"]).closes_at + dt.timedelta(minutes=15)
    assert oscar.deadline == Quiz.objects.get(pk=quiz["id"]).closes_at


def test_start_outside_the_window_or_beyond_the_limit_is_refused(api, cast, make_quiz, Q):
    later = make_quiz(
        opens_at=(timezone.now() + dt.timedelta(hours=1)).isoformat(),
        closes_at=(timezone.now() + dt.timedelta(hours=2)).isoformat(),
    )
    response = api(cast.student.user).post(f"/api/v1/quizzes/{later['id']}/attempts/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "quiz_not_open"

    quiz = make_quiz(attempts_allowed=2)
    for _ in range(2):
        attempt = start(api, cast.student.user, quiz)
        api(cast.student.user).post(f"/api/v1/attempts/{attempt['id']}/submit/")
    response = api(cast.student.user).post(f"/api/v1/quizzes/{quiz['id']}/attempts/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "attempt_limit"
    assert Attempt.objects.filter(quiz_id=quiz["id"]).count() == 2
    # only students take quizzes; a student of another section does not find it
    assert api(cast.parent).post(f"/api/v1/quizzes/{quiz['id']}/attempts/").status_code == 403
    response = api(cast.sibling.user).post(f"/api/v1/quizzes/{quiz['id']}/attempts/")
    assert response.status_code == 404


def test_an_expired_attempt_in_progress_is_submitted_when_the_next_one_starts(
    api, cast, make_quiz, Q
):
    quiz = make_quiz(attempts_allowed=2)
    first = start(api, cast.student.user, quiz)
    save(api, cast.student.user, first, (Q.single, "b"))
    expire(first)
    second = start(api, cast.student.user, quiz)
    assert second["id"] != first["id"] and second["number"] == 2
    done = Attempt.objects.get(pk=first["id"])
    assert done.status == "submitted" and done.auto_submitted and done.score == Decimal("2.00")


def test_an_expired_attempt_is_submitted_even_when_the_next_start_is_refused(
    api, cast, make_quiz, Q
):
    quiz = make_quiz(attempts_allowed=2)
    first = start(api, cast.student.user, quiz)
    save(api, cast.student.user, first, (Q.single, "b"))
    expire(first)
    now = timezone.now()
    Quiz.objects.filter(pk=quiz["id"]).update(
        opens_at=now - dt.timedelta(hours=2), closes_at=now - dt.timedelta(minutes=1)
    )
    response = api(cast.student.user).post(f"/api/v1/quizzes/{quiz['id']}/attempts/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "quiz_not_open"
    done = Attempt.objects.get(pk=first["id"])
    assert done.status == "submitted" and done.auto_submitted and done.score == Decimal("2.00")
    assert Attempt.objects.filter(quiz_id=quiz["id"]).count() == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_starts_cannot_exceed_the_limit(api, cast, make_quiz):
    quiz = make_quiz(attempts_allowed=1)
    barrier = threading.Barrier(4)
    codes: list[int] = []

    def go():
        try:
            barrier.wait()
            response = api(cast.student.user).post(f"/api/v1/quizzes/{quiz['id']}/attempts/")
            codes.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 200, 200, 201]
    assert Attempt.objects.filter(quiz_id=quiz["id"]).count() == 1


# --- paper and autosave ----------------------------------------------------------------------------
def test_paper_and_autosave_never_touch_mongo_and_reload_before_flush(
    api, cast, make_quiz, Q, no_mongo
):
    quiz = make_quiz(shuffle_questions=True, shuffle_options=True)
    no_mongo()
    client = api(cast.student.user)
    attempt = start(api, cast.student.user, quiz)
    paper = attempt["paper"]
    assert {p["question"] for p in paper} == {Q.single["id"], Q.multiple["id"], Q.numeric["id"]}
    for item in paper:
        assert "correct_answer" not in item["content"] and "explanation" not in item["content"]
    stored = Attempt.objects.get(pk=attempt["id"])
    assert [p["question"] for p in paper] == stored.question_order
    options = {p["question"]: [o["id"] for o in p["content"].get("options", [])] for p in paper}
    assert stored.option_orders[Q.multiple["id"]] == options[Q.multiple["id"]]

    response = save(api, cast.student.user, attempt, (Q.single, "a"), (Q.multiple, ["a"]))
    assert response.status_code == 200, response.content
    response = save(api, cast.student.user, attempt, (Q.single, "b"))
    assert response.json()["answers"] == {Q.single["id"]: "b", Q.multiple["id"]: ["a"]}
    assert not AttemptAnswer.objects.exists()  # still in the write buffer

    reloaded = client.get(f"/api/v1/attempts/{attempt['id']}/").json()
    assert reloaded["answers"] == {Q.single["id"]: "b", Q.multiple["id"]: ["a"]}
    assert reloaded["paper"] == paper  # same order, same option order

    assert flush_here() == 2
    assert dict(AttemptAnswer.objects.values_list("question_id", "answer")) == {
        Q.single["id"]: "b",
        Q.multiple["id"]: ["a"],
    }
    again = client.get(f"/api/v1/attempts/{attempt['id']}/").json()
    assert again["answers"] == reloaded["answers"]


def test_autosave_rejections(api, cast, make_quiz, Q):
    quiz = make_quiz(questions=[Q.single, Q.multiple])
    attempt = start(api, cast.student.user, quiz)

    response = save(api, cast.student.user, attempt, (Q.numeric, 3.14))
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["answers"][0]["question"]
    response = save(api, cast.student.user, attempt, (Q.single, "z"), (Q.multiple, "a"))
    assert response.status_code == 400
    errors = response.json()["error"]["fields"]["answers"]
    assert errors[0]["answer"] and errors[1]["answer"]
    response = save(api, cast.student.user, attempt, (Q.single, "a"), (Q.single, "b"))
    assert response.status_code == 400
    response = api(cast.student.user).put(f"/api/v1/attempts/{attempt['id']}/answers/", {})
    assert response.status_code == 400
    # someone else's attempt: another student does not find it, a parent may not write
    other = api(cast.other_student.user).put(
        f"/api/v1/attempts/{attempt['id']}/answers/",
        {"answers": [{"question": Q.single["id"], "answer": "b"}]},
    )
    assert other.status_code == 404
    assert save(api, cast.parent, attempt, (Q.single, "b")).status_code == 403

    assert save(api, cast.student.user, attempt, (Q.single, "b")).status_code == 200
    expire(attempt)
    response = save(api, cast.student.user, attempt, (Q.single, "a"))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "deadline_passed"
    done = Attempt.objects.get(pk=attempt["id"])
    assert done.status == "submitted" and done.auto_submitted
    assert done.score == Decimal("2.00")  # the answer saved before the deadline
    response = save(api, cast.student.user, attempt, (Q.single, "a"))
    assert response.json()["error"]["code"] == "attempt_submitted"


# --- submit and grading ---------------------------------------------------------------------------
def test_submit_grades_with_partial_credit_and_negative_marking(api, cast, make_quiz, Q, no_mongo):
    quiz = make_quiz(negative_marking="0.5")
    no_mongo()
    attempt = start(api, cast.student.user, quiz)
    # single right (2), multiple half right (a of a,c: 0.5 x 2 = 1), numeric wrong (-0.5 x 2)
    save(api, cast.student.user, attempt, (Q.single, "b"), (Q.multiple, ["a"]), (Q.numeric, 3))
    response = api(cast.student.user).post(f"/api/v1/attempts/{attempt['id']}/submit/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "submitted" and not body["auto_submitted"]
    assert (body["score"], body["max_score"], body["percent"]) == ("2.00", "6.00", 33.33)
    # the student sees the score at once, not the marking per question while the quiz runs
    assert (body["review"], body["answers_visible"]) == (None, False)
    teacher = api(cast.teacher.user).get(f"/api/v1/attempts/{attempt['id']}/").json()
    review = {r["question"]: r for r in teacher["review"]}
    assert review[Q.single["id"]]["marks_awarded"] == "2.00"
    assert review[Q.single["id"]]["is_correct"] is True
    assert review[Q.multiple["id"]]["credit"] == 0.5
    assert review[Q.multiple["id"]]["marks_awarded"] == "1.00"
    assert review[Q.numeric["id"]]["marks_awarded"] == "-1.00"
    assert review[Q.numeric["id"]]["is_correct"] is False
    rows = {a.question_id: a for a in AttemptAnswer.objects.filter(attempt_id=attempt["id"])}
    assert rows[Q.multiple["id"]].answer == ["a"] and rows[Q.multiple["id"]].credit == 0.5

    # submitting again changes nothing; the buffer's later flush of the same answers neither
    again = api(cast.student.user).post(f"/api/v1/attempts/{attempt['id']}/submit/")
    assert again.json()["score"] == "2.00"
    flush_here()
    assert AttemptAnswer.objects.get(pk=rows[Q.numeric["id"]].pk).marks_awarded == Decimal("-1")


def test_the_total_never_goes_below_zero_and_empty_answers_cost_nothing(api, cast, make_quiz, Q):
    quiz = make_quiz(negative_marking="1")
    attempt = start(api, cast.student.user, quiz)
    save(api, cast.student.user, attempt, (Q.single, "a"), (Q.multiple, ["b"]))
    body = api(cast.student.user).post(f"/api/v1/attempts/{attempt['id']}/submit/").json()
    assert body["score"] == "0.00"
    teacher = api(cast.teacher.user).get(f"/api/v1/attempts/{attempt['id']}/").json()
    review = {r["question"]: r for r in teacher["review"]}
    assert review[Q.numeric["id"]]["marks_awarded"] == "0.00"  # unanswered: no penalty
    assert review[Q.numeric["id"]]["is_correct"] is None


def test_only_the_student_submits(api, cast, make_quiz):
    quiz = make_quiz()
    attempt = start(api, cast.student.user, quiz)
    assert (
        api(cast.teacher.user).post(f"/api/v1/attempts/{attempt['id']}/submit/").status_code == 403
    )
    assert (
        api(cast.other_student.user).post(f"/api/v1/attempts/{attempt['id']}/submit/").status_code
        == 404
    )


# --- auto-submit ----------------------------------------------------------------------------------
def test_the_beat_task_submits_expired_attempts_with_their_saved_answers(api, cast, make_quiz, Q):
    from django_celery_beat.models import PeriodicTask

    assert PeriodicTask.objects.filter(task=tasks.AUTO_SUBMIT_TASK, enabled=True).exists()
    quiz = make_quiz()
    sam = start(api, cast.student.user, quiz)
    oscar = start(api, cast.other_student.user, quiz)
    save(api, cast.student.user, sam, (Q.single, "b"), (Q.numeric, "3.14"))  # pending only
    expire(sam)

    assert tasks.submit_expired_attempts() == 1
    done = Attempt.objects.get(pk=sam["id"])
    assert done.status == "submitted" and done.auto_submitted
    assert done.submitted_at <= done.deadline
    assert done.score == Decimal("4.00")
    assert Attempt.objects.get(pk=oscar["id"]).status == "in_progress"
    assert tasks.submit_expired_attempts() == 0  # idempotent
    assert Attempt.objects.get(pk=sam["id"]).score == Decimal("4.00")


def test_reading_an_expired_attempt_submits_it(api, cast, make_quiz, Q):
    quiz = make_quiz()
    attempt = start(api, cast.student.user, quiz)
    save(api, cast.student.user, attempt, (Q.single, "b"))
    expire(attempt)
    body = api(cast.student.user).get(f"/api/v1/attempts/{attempt['id']}/").json()
    assert body["status"] == "submitted" and body["auto_submitted"] and body["score"] == "2.00"
    assert body["answers"][Q.single["id"]] == "b"
