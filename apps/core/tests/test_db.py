"""`apps.core.db`: a transaction may commit without waiting for the disk, for itself only."""

from __future__ import annotations

import pytest
from django.db import connection, connections, transaction

from apps.core.db import commit_durably, commit_without_disk_wait


def _setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_the_setting_holds_for_the_transaction_only():
    server = _setting()
    with transaction.atomic():
        commit_without_disk_wait()
        assert _setting() == "off"
        commit_durably()
        assert _setting() == server
        commit_without_disk_wait()
    assert _setting() == server  # SET LOCAL: gone with the transaction
    commit_without_disk_wait()  # outside a transaction: nothing to change
    assert _setting() == server


@pytest.fixture
def health_checks(monkeypatch):
    """Django's health check armed as at a request's start; `checks` counts the SELECT 1s."""
    db = connections["default"]
    checks = []
    real = type(db).is_usable

    def counted(self):
        checks.append(1)
        return real(self)

    monkeypatch.setattr(type(db), "is_usable", counted)
    enabled = db.health_check_enabled
    db.health_check_enabled = True
    yield checks
    db.health_check_enabled = enabled


@pytest.mark.django_db
def test_a_connection_answered_on_moments_ago_is_trusted_without_a_round_trip(
    health_checks, settings
):
    db = connections["default"]
    assert type(db).__module__ == "apps.core.postgresql.base"
    settings.DATABASE_HEALTH_CHECK_IDLE = 5.0
    with db.cursor() as cursor:
        cursor.execute("SELECT 1")  # PostgreSQL answered just now
    db.health_check_done = False
    db.close_if_health_check_failed()
    assert health_checks == [] and db.health_check_done


@pytest.mark.django_db
def test_a_connection_idle_longer_is_checked_as_django_checks_it(health_checks, settings):
    db = connections["default"]
    with db.cursor() as cursor:
        cursor.execute("SELECT 1")
    settings.DATABASE_HEALTH_CHECK_IDLE = 0.0  # everything counts as idle
    db.health_check_done = False
    db.close_if_health_check_failed()
    assert health_checks == [1] and db.connection is not None
    # the same with the default limit, once the last answer is long past
    settings.DATABASE_HEALTH_CHECK_IDLE = 5.0
    db.connection.answered_at = 0.0
    db.health_check_done = False
    db.close_if_health_check_failed()
    assert health_checks == [1, 1]


@pytest.mark.django_db(transaction=True)
def test_the_column_turns_the_disk_wait_off_for_its_transaction_in_the_same_query():
    from django.contrib.contenttypes.models import ContentType

    from apps.core.db import no_disk_wait_column

    server = _setting()
    with transaction.atomic():
        rows = list(ContentType.objects.values("pk", off=no_disk_wait_column())[:1])
        assert rows and rows[0]["off"] == "off"
        assert _setting() == "off"
    assert _setting() == server  # local to the transaction
    with transaction.atomic():  # no row read: nothing changes
        assert not ContentType.objects.filter(pk=-1).values("pk", off=no_disk_wait_column())
        assert _setting() == server
