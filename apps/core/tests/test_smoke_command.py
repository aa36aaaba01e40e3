"""`manage.py smoke` against a live server: health, sign-in as the school admin, one read per
domain and one write that leaves every row as it was."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from apps.academics.models import Subject
from apps.academics.tests.factories import SubjectFactory
from apps.accounts.tests.factories import PASSWORD
from apps.fees.tests.factories import FeeHeadFactory
from apps.inventory.tests.factories import ItemCategoryFactory
from apps.transport.tests.factories import RouteFactory


def smoke(live_server, email, password) -> tuple[str, CommandError | None]:
    out = io.StringIO()
    try:
        call_command("smoke", live_server.url, email=email, password=password, stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


@pytest.mark.django_db(transaction=True)
def test_smoke_passes_changes_nothing_and_fails_on_a_wrong_password(cast, live_server, settings):
    """One live server for both runs (each transactional test rebuilds the database)."""
    settings.ALLOWED_HOSTS = ["*"]
    SubjectFactory(school=cast.school, name="Mathematics")
    FeeHeadFactory(school=cast.school, name="Tuition")
    ItemCategoryFactory(school=cast.school, name="Stationery")
    RouteFactory(school=cast.school, name="North loop")
    output, error = smoke(live_server, cast.admin.email, PASSWORD)
    assert error is None, output
    lines = [line for line in output.splitlines() if line]
    assert lines[-1].startswith("[smoke] passed")
    for domain in ("academics", "fees", "inventory", "transport", "accounts"):
        (write,) = [x for x in lines if f" {domain} " in x and " write " in x]
        assert write.startswith("[smoke] ok") and "PATCH" in write and "-> 200" in write
    assert any(" notifications " in x and "PUT" in x and "-> 200" in x for x in lines)
    assert any("skipped" in x and "exams" in x for x in lines)  # no grade scale yet
    assert Subject.objects.get(school=cast.school).name == "Mathematics"
    cast.admin.refresh_from_db()
    assert cast.admin.full_name  # written back unchanged

    output, error = smoke(live_server, cast.admin.email, "not-the-password")
    assert error is not None and "Smoke check failed" in str(error)
    assert "[smoke] FAIL auth" in output and "-> 401" in output
    assert "[smoke] ok   health" in output


def test_credentials_are_required():
    with pytest.raises(CommandError, match="--password"):
        call_command("smoke", "http://127.0.0.1:1", email="a@b.test", password="")
