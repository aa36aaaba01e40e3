"""The quiz staff screens: scoped changelists and detail pages, read-only attempts, the publish
action going through the service (the questions are frozen), and extra time set in the quiz's
page going through its service (audit-logged)."""

from __future__ import annotations

from html.parser import HTMLParser

from django.urls import reverse

from apps.core.models import AuditLog
from apps.quizzes.models import Quiz, QuizAccommodation, QuizQuestion

from .factories import save, start


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


class _FormFields(HTMLParser):
    """The values a browser would post from the admin change form (inputs, selects, textareas)."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.setdefault(name, []).append(a.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][0] += data


def test_extra_time_set_in_the_admin_goes_through_the_service_and_is_audited(
    api, cast, make_quiz, client
):
    quiz = make_quiz()
    client.force_login(cast.admin)
    url = reverse("admin:quizzes_quiz_change", args=[quiz["id"]])
    parser = _FormFields()
    parser.feed(client.get(url).content.decode())
    data = {k: v for k, v in parser.data.items() if not k.startswith("accommodations-__prefix__")}
    data["accommodations-TOTAL_FORMS"] = ["1"]
    data["accommodations-0-student"] = [str(cast.other_student.pk)]
    data["accommodations-0-extra_minutes"] = ["20"]
    data["accommodations-0-quiz"] = [quiz["id"]]
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]

    extra = QuizAccommodation.objects.get(quiz_id=quiz["id"])
    assert (extra.student_id, extra.extra_minutes) == (cast.other_student.pk, 20)
    entry = AuditLog.objects.get(action="quiz.accommodation", object_id=quiz["id"])
    assert entry.actor == cast.admin
    assert entry.after == {"extra_minutes": {str(cast.other_student.pk): 20}}
