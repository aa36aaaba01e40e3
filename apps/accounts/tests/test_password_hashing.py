"""Passwords are hashed with Argon2id at OWASP's parameters; older hashes upgrade at sign-in."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.contrib.auth.hashers import identify_hasher, make_password
from rest_framework.test import APIClient

from apps.accounts.hashers import Argon2idPasswordHasher
from apps.accounts.tests.factories import PASSWORD

TOKEN = "/api/v1/auth/token/"
PRODUCTION_HASHERS = [
    "apps.accounts.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]


def test_the_base_settings_hash_with_argon2id_first():
    from schools24.settings import base

    assert base.PASSWORD_HASHERS == PRODUCTION_HASHERS
    # the test settings swap in a fast hasher; the production list is the base one
    assert django_settings.PASSWORD_HASHERS != PRODUCTION_HASHERS


def test_new_hashes_are_argon2id_with_owasp_parameters(settings):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    encoded = make_password("correct horse battery")
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert isinstance(identify_hasher(encoded), Argon2idPasswordHasher)


def test_a_pbkdf2_hash_is_upgraded_to_argon2id_at_the_next_sign_in(settings, cast):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    user = cast.teacher.user
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])

    response = APIClient().post(TOKEN, {"email": user.email, "password": PASSWORD}, format="json")

    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    # and the upgraded hash still signs in
    again = APIClient().post(TOKEN, {"email": user.email, "password": PASSWORD}, format="json")
    assert again.status_code == 200


def test_an_argon2_hash_with_other_parameters_is_rehashed(settings, cast):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",  # Django's 100 MiB default
        *PRODUCTION_HASHERS,
    ]
    user = cast.teacher.user
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    assert "m=102400" in user.password

    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    response = APIClient().post(TOKEN, {"email": user.email, "password": PASSWORD}, format="json")

    assert response.status_code == 200
    user.refresh_from_db()
    assert "m=19456,t=2,p=1" in user.password
