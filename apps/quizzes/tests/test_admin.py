"""The quiz staff screens: scoped changelists and detail pages, read-only attempts, and the
publish action going through the service (the questions are frozen)."""

from __future__ import annotations

from django.urls import reverse

from apps.quizzes.models import Quiz, QuizQuestion

from .test_api_attempts import save, start


def test_quiz_and_attempt_screens_are_scoped(api, cast, make_quiz, Q, client):
    quiz = make_quiz(title="Fractions")
    attempt = start(api, cast.student.user, quiz)
    save(api, cast.student.user, attempt, (Q.single, "b"))
    api(cast.student.user).post(f"/api/v1/attempts/{attempt['id']}/submit/")

    client.force_login(cast.admin)
    page = client.get(reverse("admin:quizzes_quiz_changelist"))
    assert page.status_code == 200 and "Fractions" in page.content.decode()
    page = client.get(reverse("admin:quizzes_quiz_change", args=[quiz["id"]]))
    assert page.status_code == 200 and Q.single["id"] in page.content.decode()
    page = client.get(reverse("admin:quizzes_attempt_changelist"))
    assert page.status_code == 200 and "Sam Student" in page.content.decode()
    detail = client.get(reverse("admin:quizzes_attempt_change", args=[attempt["id"]]))
    assert detail.status_code == 200
    assert reverse("admin:quizzes_attempt_add") not in page.content.decode()

    client.force_login(cast.admin2)
    theirs = client.get(reverse("admin:quizzes_quiz_changelist"))
    assert theirs.status_code == 200 and theirs.context["cl"].result_count == 0
    assert "Fractions" not in theirs.content.decode()
    other = client.get(reverse("admin:quizzes_attempt_change", args=[attempt["id"]]))
    assert other.status_code == 302  # "does not exist": back to the index
    client.force_login(cast.teacher.user)
    assert client.get(reverse("admin:quizzes_quiz_changelist")).status_code == 302


def test_publish_action_freezes_through_the_service(api, cast, make_quiz, client):
    draft = make_quiz(publish=False)
    client.force_login(cast.admin)
    response = client.post(
        reverse("admin:quizzes_quiz_changelist"),
        {"action": "publish_quizzes", "_selected_action": [draft["id"]]},
    )
    assert response.status_code == 302
    assert Quiz.objects.get(pk=draft["id"]).status == "published"
    assert QuizQuestion.objects.filter(quiz_id=draft["id"]).count() == 3
