"""`Accept-Language` picks the language of API messages; English is the default."""

from __future__ import annotations

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from apps.accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
RESET_URL = "/api/v1/auth/password/reset/"

WRONG_LOGIN_EN = "No active account found with the given credentials."
WRONG_LOGIN_HI = "दिए गए विवरण से कोई सक्रिय खाता नहीं मिला।"
INVALID_EN = "Some of the information you sent is not valid."
INVALID_HI = "आपकी भेजी गई कुछ जानकारी मान्य नहीं है।"


@pytest.fixture
def anon():
    return APIClient()


def test_failed_sign_in_in_hindi(anon, cast):
    response = anon.post(
        TOKEN_URL,
        {"email": cast.admin.email, "password": "not-the-password"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="hi",
    )
    assert response.status_code == 401
    assert response.json()["error"]["message"] == WRONG_LOGIN_HI
    assert response["Content-Language"] == "hi"


def test_failed_sign_in_in_english_by_default(anon, cast):
    response = anon.post(
        TOKEN_URL, {"email": cast.admin.email, "password": "not-the-password"}, format="json"
    )
    assert response.status_code == 401
    assert response.json()["error"]["message"] == WRONG_LOGIN_EN


def test_regional_hindi_header_falls_back_to_hindi(anon, cast):
    response = anon.post(
        TOKEN_URL,
        {"email": cast.admin.email, "password": "not-the-password"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="hi-IN,hi;q=0.9,en;q=0.8",
    )
    assert response.json()["error"]["message"] == WRONG_LOGIN_HI


def test_validation_error_in_hindi(anon):
    response = anon.post(
        RESET_URL, {"email": "not-an-email"}, format="json", HTTP_ACCEPT_LANGUAGE="hi"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"] == INVALID_HI
    assert "email" in error["fields"]
    # The field message comes from Django's own Hindi catalogue; it is not the English text.
    assert error["fields"]["email"] != ["Enter a valid email address."]


def test_validation_error_in_english_by_default(anon):
    response = anon.post(RESET_URL, {"email": "not-an-email"}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == INVALID_EN
    assert error["fields"]["email"] == ["Enter a valid email address."]


def test_successful_sign_in_unaffected_by_language(anon, cast):
    response = anon.post(
        TOKEN_URL,
        {"email": cast.admin.email, "password": PASSWORD},
        format="json",
        HTTP_ACCEPT_LANGUAGE="hi",
    )
    assert response.status_code == 200
    assert "access" in response.json()


def test_hindi_catalogue_is_compiled_and_complete():
    """The committed .mo has a Hindi text for the project's own messages and placeholders."""
    with translation.override("hi"):
        assert translation.gettext(INVALID_EN) == INVALID_HI
        minutes = translation.gettext(
            "Too many failed sign-in attempts. Try again in %(minutes)d minutes."
        )
        assert minutes != "Too many failed sign-in attempts. Try again in %(minutes)d minutes."
        assert (minutes % {"minutes": 5}).count("5") == 1
        assert translation.gettext("Schools24 administration") != "Schools24 administration"


def test_admin_speaks_hindi(client, cast):
    client.force_login(cast.admin)
    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="hi")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Schools24 प्रशासन" in body
    assert "छात्र" in body  # "students" in the app list
