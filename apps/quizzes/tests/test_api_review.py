"""What a student (and their parent) sees after an attempt: the score under the quiz's
`release_policy`, and the review - correct answers, explanations, per-question marks - under its
`answers_policy`, never while the student has attempts left or any attempt of the quiz can still
run (the closing time plus the largest extra time, or a later deadline of an attempt in
progress). A manual release of the answers is refused while attempts can run."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from apps.core.models import AuditLog
from apps.quizzes.models import Quiz

from .factories import take


def shown(api, user, attempt) -> dict:
    response = api(user).get(f"/api/v1/attempts/{attempt['id']}/")
    assert response.status_code == 200, response.content
    return response.json()


def close_ago(quiz, minutes: float) -> None:
    """Move the quiz's window so it closed `minutes` ago."""
    now = timezone.now()
    Quiz.objects.filter(pk=quiz["id"]).update(
        opens_at=now - dt.timedelta(hours=3), closes_at=now - dt.timedelta(minutes=minutes)
    )


def release(api, user, quiz, **body):
    return api(user).post(f"/api/v1/quizzes/{quiz['id']}/release/", body)


def test_score_and_answers_follow_their_own_policies(api, cast, make_quiz, Q):
    quiz = make_quiz(attempts_allowed=2, release_policy="on_submit", answers_policy="after_close")
    assert (quiz["answers_policy"], quiz["answers_released"]) == ("after_close", False)
    body = take(api, cast.student.user, quiz, (Q.single, "b"))
    # the score at once; the answers not while Sam has an attempt left and the quiz is open
    assert body["score"] == "2.00"
    assert (body["answers_visible"], body["review"]) == (False, None)
    for user in (cast.student.user, cast.parent):
        seen = shown(api, user, body)
        assert seen["score"] == "2.00" and seen["review"] is None
        assert "correct_answer" not in str(seen["paper"])
    staff = shown(api, cast.teacher.user, body)
    assert staff["answers_visible"] and staff["review"][0]["correct_answer"] == "b"

    close_ago(quiz, 1)
    for user in (cast.student.user, cast.parent):
        seen = shown(api, user, body)
        assert seen["answers_visible"] is True
        review = {r["question"]: r for r in seen["review"]}
        assert review[Q.single["id"]]["correct_answer"] == "b"
        assert review[Q.single["id"]]["explanation"] == "Count on your fingers."
        assert review[Q.single["id"]]["marks_awarded"] == "2.00"


def test_answers_stay_hidden_while_a_classmate_with_extra_time_can_still_run(
    api, cast, make_quiz, Q
):
    quiz = make_quiz(answers_policy="after_close")
    response = api(cast.teacher.user).post(
        f"/api/v1/quizzes/{quiz['id']}/accommodations/",
        {"student": str(cast.other_student.pk), "extra_minutes": 30},
    )
    assert response.status_code == 200
    body = take(api, cast.student.user, quiz, (Q.single, "b"))

    close_ago(quiz, 1)  # Oscar may still start and run until closes_at + 30 min
    assert shown(api, cast.student.user, body)["review"] is None
    close_ago(quiz, 31)
    assert shown(api, cast.student.user, body)["review"] is not None


def test_answers_stay_hidden_while_an_attempt_runs_past_an_early_close(api, cast, make_quiz, Q):
    quiz = make_quiz(answers_policy="after_close")
    body = take(api, cast.student.user, quiz, (Q.single, "b"))
    oscar = take(api, cast.other_student.user, quiz, submit=False)
    assert api(cast.teacher.user).post(f"/api/v1/quizzes/{quiz['id']}/close/").status_code == 200

    # closed now, but Oscar's attempt keeps its deadline
    assert shown(api, cast.student.user, body)["review"] is None
    response = release(api, cast.teacher.user, quiz, answers=True)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "attempts_running"

    submitted = api(cast.other_student.user).post(f"/api/v1/attempts/{oscar['id']}/submit/")
    assert submitted.status_code == 200
    assert shown(api, cast.student.user, body)["review"] is not None


def test_a_manual_release_of_the_answers_waits_for_every_attempt(api, cast, make_quiz, Q):
    quiz = make_quiz(release_policy="manual", answers_policy="manual")
    body = take(api, cast.student.user, quiz, (Q.single, "b"))

    response = release(api, cast.teacher.user, quiz, answers=True)
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "attempts_running" and "answers" in error["fields"]
    stored = Quiz.objects.get(pk=quiz["id"])
    assert (stored.answers_released, stored.answers_released_at) == (False, None)
    assert not AuditLog.objects.filter(action="quiz.release_results").exists()

    # scores alone may be released while attempts run; the answers stay as they were
    response = release(api, cast.teacher.user, quiz, released=True)
    assert response.status_code == 200
    assert (response.json()["results_released"], response.json()["answers_released"]) == (
        True,
        False,
    )
    seen = shown(api, cast.student.user, body)
    assert (seen["score"], seen["review"]) == ("2.00", None)

    close_ago(quiz, 1)
    assert shown(api, cast.student.user, body)["review"] is None  # manual: not released yet
    response = release(api, cast.teacher.user, quiz, answers=True)
    assert response.status_code == 200, response.content
    assert response.json()["answers_released"] is True
    assert shown(api, cast.parent, body)["review"][0]["correct_answer"] == "b"
    entry = AuditLog.objects.filter(action="quiz.release_results").first()
    assert (entry.before, entry.after) == ({"answers_released": False}, {"answers_released": True})

    # hiding them again is always possible
    assert release(api, cast.teacher.user, quiz, answers=False).json()["answers_released"] is False
    assert shown(api, cast.student.user, body)["review"] is None
    assert shown(api, cast.student.user, body)["score"] == "2.00"


def test_a_never_policy_keeps_the_answers_and_refuses_their_release(api, cast, make_quiz, Q):
    quiz = make_quiz(answers_policy="never")
    body = take(api, cast.student.user, quiz, (Q.single, "b"))
    close_ago(quiz, 10)
    assert shown(api, cast.student.user, body)["review"] is None
    response = release(api, cast.admin, quiz, answers=True)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "answers_never_shown"
    assert Quiz.objects.get(pk=quiz["id"]).answers_released is False
    assert shown(api, cast.teacher.user, body)["review"] is not None  # staff always


def test_a_quiz_whose_answers_students_can_see_is_not_reopened(api, cast, make_quiz, Q):
    quiz = make_quiz(attempts_allowed=2, answers_policy="after_close")
    body = take(api, cast.student.user, quiz, (Q.single, "b"))
    close_ago(quiz, 1)
    assert shown(api, cast.student.user, body)["review"] is not None
    closes_at = Quiz.objects.get(pk=quiz["id"]).closes_at
    later = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    response = api(cast.teacher.user).patch(f"/api/v1/quizzes/{quiz['id']}/", {"closes_at": later})
    # Sam, with an attempt left, would take it with the answers in hand
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "answers_shown"
    assert Quiz.objects.get(pk=quiz["id"]).closes_at == closes_at
