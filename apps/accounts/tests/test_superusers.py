"""Platform superusers stay out of every school: no school admin finds or changes one through
the API, and a superuser with a school cannot be stored."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from apps.accounts.models import User
from apps.accounts.tests.factories import UserFactory
from apps.core import audit


def test_a_superuser_with_a_school_is_refused_by_the_database(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(school=cast.school, is_superuser=True, email="boss@alice.test")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_superuser("root2@alice.test", "x" * 16, school=cast.school)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=cast.admin.pk).update(is_superuser=True)
    assert not User.objects.filter(is_superuser=True).exists()


@pytest.mark.parametrize("persona", ["admin", "accountant"])
def test_school_people_never_see_or_change_a_platform_superuser(cast, api, root, persona):
    client = api(cast.user(persona))
    listed = client.get("/api/v1/users/", {"page_size": 200})
    assert listed.status_code == 200
    emails = {u["email"] for u in listed.json()["results"]}
    assert cast.admin.email in emails and root.email not in emails
    searched = client.get("/api/v1/users/", {"search": "root"}).json()
    assert searched["count"] == 0
    assert client.get(f"/api/v1/users/{root.pk}/").status_code == 404
    patched = client.patch(f"/api/v1/users/{root.pk}/", {"full_name": "Owned"}, format="json")
    assert patched.status_code in (403, 404)
    reset = client.post(f"/api/v1/users/{root.pk}/deactivate/")
    assert reset.status_code in (403, 404)
    root.refresh_from_db()
    assert root.full_name != "Owned" and root.is_active and root.is_superuser


def test_the_audit_log_shows_a_platform_change_without_who_made_it(cast, api, root):
    audit.record(
        actor=root, action="user.update", instance=cast.teacher.user, before={}, after={"x": 1}
    )
    (entry,) = api(cast.admin).get("/api/v1/audit-log/").json()["results"]
    assert entry["by_platform"] is True
    assert entry["actor"] is None and entry["actor_email"] is None
    assert root.email not in str(entry)


def test_the_admin_audit_log_does_not_name_a_platform_superuser(cast, client, root):
    entry = audit.record(
        actor=root, action="user.update", instance=cast.teacher.user, before={}, after={"x": 1}
    )
    client.force_login(cast.admin)
    page = client.get("/admin/core/auditlog/")
    assert page.status_code == 200
    assert "Platform operator" in page.content.decode()
    assert root.email not in page.content.decode()
    detail = client.get(f"/admin/core/auditlog/{entry.pk}/change/")
    assert detail.status_code == 200
    assert "Platform operator" in detail.content.decode()
    assert root.email not in detail.content.decode()
    client.force_login(root)
    assert root.email in client.get("/admin/core/auditlog/").content.decode()
