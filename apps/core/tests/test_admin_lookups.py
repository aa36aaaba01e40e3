"""The admin answers only the lookups its list filters declare. A changelist URL is a query
language: `?password__startswith=pbkdf2_sha256$870000$a` or `?user__password__startswith=...`
would let a school admin or an accountant guess any password hash one character at a time
(or probe any field through a relation). For every ModelAdmin either of them can open, such a
query is refused (400) or sent back to the list with an error (`?e=1`), never answered."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import models
from django.urls import reverse

PERSONAS = ["admin", "accountant"]


def _paths_to_user(model, depth: int = 2, prefix: str = "") -> list[str]:
    """Lookup paths from `model` to a user, over forward foreign keys, at most `depth` hops."""
    user_model = get_user_model()
    if model is user_model:
        return [prefix]
    if depth == 0:
        return []
    found = []
    for field in model._meta.get_fields():
        if isinstance(field, models.ForeignKey | models.OneToOneField) and field.concrete:
            found += _paths_to_user(field.related_model, depth - 1, f"{prefix}{field.name}__")
    return found


def _probes(model) -> list[str]:
    probes = [f"{path}password__startswith" for path in _paths_to_user(model)]
    fields = {f.name for f in model._meta.get_fields()}
    if "school" in fields:  # back from the school to every account in it
        probes.append("school__users__password__startswith")
    return probes or ["password__startswith"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_admin_answers_an_undeclared_lookup(cast, client, persona):
    client.force_login(cast.user(persona))
    hash_prefix = cast.student.user.password[:12]
    opened = []
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        page = client.get(url)
        if page.status_code in (302, 403):  # not theirs to open
            continue
        assert page.status_code == 200, (url, page.status_code)
        assert "cl" in page.context, url  # a real changelist
        opened.append(model._meta.label)
        for probe in _probes(model):
            response = client.get(url, {probe: hash_prefix})
            if response.status_code == 302:
                assert response["Location"].endswith("?e=1"), (url, probe, response["Location"])
            else:
                assert response.status_code == 400, (url, probe, response.status_code)
            assert response.context is None or "cl" not in response.context, (url, probe)
    expected = {"accounts.User", "accounts.StudentProfile"}
    assert expected <= set(opened), opened
    if persona == "admin":
        assert len(opened) >= 15, opened
