"""The language a recipient is written in: their choice on /me/, then Accept-Language, then
the school's default, then LANGUAGE_CODE."""

from __future__ import annotations

import pytest
from django.utils.translation import gettext_lazy

from apps.notifications.services import notify, recipient_language

pytestmark = pytest.mark.django_db


def test_language_is_chosen_on_me(cast, api):
    client = api(cast.parent)
    assert client.get("/api/v1/me/").json()["language"] == ""
    response = client.patch("/api/v1/me/", {"language": "hi"}, format="json")
    assert response.status_code == 200 and response.json()["language"] == "hi"
    cast.parent.refresh_from_db()
    assert cast.parent.language == "hi"
    bad = client.patch("/api/v1/me/", {"language": "fr"}, format="json")
    assert bad.status_code == 400 and "language" in bad.json()["error"]["fields"]
    assert client.patch("/api/v1/me/", {"language": ""}, format="json").json()["language"] == ""


def test_fallbacks(cast):
    parent = cast.parent
    assert recipient_language(parent) == "en"
    assert recipient_language(parent, accept_language="fr-FR,hi;q=0.9,en;q=0.5") == "hi"
    assert recipient_language(parent, accept_language="hi-IN") == "hi"
    assert recipient_language(parent, accept_language="fr") == "en"
    cast.school.language = "hi"
    cast.school.save()
    parent.refresh_from_db()
    assert recipient_language(parent, school=cast.school) == "hi"
    parent.language = "en"
    assert recipient_language(parent, accept_language="hi", school=cast.school) == "en"


def test_notify_writes_in_the_school_default_when_the_user_has_none(cast):
    cast.school.language = "hi"
    cast.school.save()
    (parent_note, other) = sorted(
        notify(
            recipients=[cast.parent, cast.admin2],
            kind="general",
            title=gettext_lazy("Notifications"),
            body="",
            email=False,
        ),
        key=lambda n: n.recipient_id != cast.parent.pk,
    )
    assert parent_note.language == "hi" and parent_note.title == "सूचनाएँ"
    assert other.language == "en" and other.title == "Notifications"
