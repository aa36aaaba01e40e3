"""Who may manage a quiz: publish, close, release or hide its results, set extra time and
override scores. A school admin, the quiz's author and a teacher of its subject in every one of
its sections may; a colleague who teaches another subject in one of its sections sees the quiz
but is refused with a 403, and nothing changes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.core.models import AuditLog
from apps.quizzes.models import Attempt, Quiz, QuizAccommodation

from .factories import take

MANAGEMENT_ACTIONS = (
    "quiz.accommodation",
    "quiz.release_results",
    "quiz.attempt.override",
    "quiz.close",
    "quiz.publish",
)


def manage(client, quiz_id, attempt_id, student_id) -> dict:
    """Every management call in turn (close last); their responses by name."""
    base = f"/api/v1/quizzes/{quiz_id}"
    return {
        "accommodation": client.post(
            f"{base}/accommodations/", {"student": str(student_id), "extra_minutes": 15}
        ),
        "release": client.post(f"{base}/release/", {"released": True}),
        "override": client.post(
            f"/api/v1/attempts/{attempt_id}/override/", {"score": "1.00", "reason": "Recount"}
        ),
        "close": client.post(f"{base}/close/"),
    }


@pytest.fixture
def quiz_with_attempt(api, cast, make_quiz, Q):
    """`quiz_with_attempt(actor)`: a manual-release quiz for 5-A made and published by `actor`,
    and Sam's submitted attempt at it."""

    def make(actor=None, **overrides):
        quiz = make_quiz(actor=actor, release_policy="manual", **overrides)
        attempt = take(api, cast.student.user, quiz, (Q.single, "b"))
        return quiz, attempt

    return make


def test_a_colleague_sees_the_quiz_but_may_not_manage_it(api, cast, quiz_with_attempt):
    quiz, attempt = quiz_with_attempt()
    colleague = api(cast.colleague.user)
    assert colleague.get(f"/api/v1/quizzes/{quiz['id']}/").status_code == 200
    assert colleague.get(f"/api/v1/attempts/{attempt['id']}/").status_code == 200
    audit_before = AuditLog.objects.filter(action__in=MANAGEMENT_ACTIONS).count()

    responses = manage(colleague, quiz["id"], attempt["id"], cast.other_student.pk)
    for name, response in responses.items():
        assert response.status_code == 403, (name, response.content)
        assert response.json()["error"]["code"] == "not_quiz_manager", name
    patched = colleague.patch(f"/api/v1/quizzes/{quiz['id']}/", {"release_policy": "on_submit"})
    assert patched.status_code == 403

    stored = Quiz.objects.get(pk=quiz["id"])
    assert (stored.status, stored.results_released, stored.release_policy) == (
        "published",
        False,
        "manual",
    )
    assert not QuizAccommodation.objects.filter(quiz_id=quiz["id"]).exists()
    held = Attempt.objects.get(pk=attempt["id"])
    assert (held.score_override, held.override_reason) == (None, "")
    assert AuditLog.objects.filter(action__in=MANAGEMENT_ACTIONS).count() == audit_before
    # the student still sees no score
    assert api(cast.student.user).get(f"/api/v1/attempts/{attempt['id']}/").json()["score"] is None


def test_a_colleague_may_not_publish_a_draft_they_see(api, cast, make_quiz):
    draft = make_quiz(publish=False)
    response = api(cast.colleague.user).post(f"/api/v1/quizzes/{draft['id']}/publish/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_quiz_manager"
    assert Quiz.objects.get(pk=draft["id"]).status == "draft"
    assert api(cast.teacher.user).post(f"/api/v1/quizzes/{draft['id']}/publish/").status_code == 200


def test_a_teacher_of_the_subject_in_only_some_sections_may_not_manage(
    api, cast, school_year, quiz_with_attempt
):
    quiz, attempt = quiz_with_attempt(
        actor=cast.admin, sections=[str(school_year.sec_a.pk), str(school_year.sec_b.pk)]
    )
    vera = api(school_year.vera.user)  # Mathematics in 5-B only
    for name, response in manage(vera, quiz["id"], attempt["id"], cast.sibling.pk).items():
        # Sam's attempt is not hers to see (she does not teach him): not found
        assert response.status_code == (404 if name == "override" else 403), name
    assert Quiz.objects.get(pk=quiz["id"]).status == "published"


@pytest.mark.parametrize("who", ["author", "subject_teacher", "admin"])
def test_managers_may_manage(api, cast, school_year, make_quiz, Q, quiz_with_attempt, who):
    if who == "author":
        # Tara made the draft for 5-A; the admin added 5-B, where Vera teaches Mathematics. Tara
        # no longer teaches the subject in every section, but as its author still manages it.
        draft = make_quiz(publish=False, release_policy="manual")
        both = [str(school_year.sec_a.pk), str(school_year.sec_b.pk)]
        response = api(cast.admin).patch(f"/api/v1/quizzes/{draft['id']}/", {"sections": both})
        assert response.status_code == 200, response.content
        response = api(cast.teacher.user).post(f"/api/v1/quizzes/{draft['id']}/publish/")
        assert response.status_code == 200, response.content
        quiz, attempt = draft, take(api, cast.student.user, draft, (Q.single, "b"))
        user = cast.teacher.user
    elif who == "subject_teacher":
        quiz, attempt = quiz_with_attempt(actor=cast.admin)  # Tara teaches it, did not make it
        user = cast.teacher.user
    else:
        quiz, attempt = quiz_with_attempt()
        user = cast.admin
    responses = manage(api(user), quiz["id"], attempt["id"], cast.other_student.pk)
    for name, response in responses.items():
        assert response.status_code == 200, (name, response.content)

    stored = Quiz.objects.get(pk=quiz["id"])
    assert (stored.status, stored.results_released) == ("closed", True)
    extra = QuizAccommodation.objects.get(quiz_id=quiz["id"])
    assert (extra.student_id, extra.extra_minutes) == (cast.other_student.pk, 15)
    assert Attempt.objects.get(pk=attempt["id"]).score_override == Decimal("1.00")
    logged = set(
        AuditLog.objects.filter(actor=user, object_id__in=[quiz["id"], attempt["id"]]).values_list(
            "action", flat=True
        )
    )
    assert {"quiz.accommodation", "quiz.release_results", "quiz.attempt.override"} <= logged
    assert "quiz.close" in logged


def test_extra_time_changes_are_audited(api, cast, make_quiz):
    quiz = make_quiz()
    client = api(cast.teacher.user)
    url = f"/api/v1/quizzes/{quiz['id']}/accommodations/"
    student = str(cast.other_student.pk)
    for minutes in (10, 10, 25, 0):
        assert client.post(url, {"student": student, "extra_minutes": minutes}).status_code == 200
    entries = AuditLog.objects.filter(action="quiz.accommodation", object_id=quiz["id"])
    trail = [(e.before, e.after) for e in entries.order_by("created_at", "id")]
    assert trail == [
        ({"extra_minutes": {student: 0}}, {"extra_minutes": {student: 10}}),
        ({"extra_minutes": {student: 10}}, {"extra_minutes": {student: 25}}),
        ({"extra_minutes": {student: 25}}, {"extra_minutes": {student: 0}}),
    ]
    assert all(e.actor == cast.teacher.user for e in entries)
    assert not QuizAccommodation.objects.filter(quiz_id=quiz["id"]).exists()
