"""The PostgreSQL backend (`apps.core.postgresql`): a connection that answered moments ago is
reused without Django's health-check round trip."""

from __future__ import annotations

import pytest
from django.db import connections


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
