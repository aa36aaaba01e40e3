"""The demo: six routes around Jaipur, papers near expiry, 40% riding; the simulator drives the
demo student's bus and their parent is told once that it is approaching."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.notifications.models import Notification
from apps.transport.models import Assignment, Route, TripRun, Vehicle

pytestmark = pytest.mark.django_db


def test_demo_transport_and_the_simulated_bus(settings, api):
    settings.DEBUG = True
    call_command("seed_demo", students=30)
    routes = Route.objects.filter(school__code="demo")
    assert routes.count() == 6
    assert all(8 <= r.stops.count() <= 12 for r in routes)
    today = timezone.localdate()
    assert [v.registration_number for v in Vehicle.objects.filter(school__code="demo")
            if not v.is_roadworthy(today)] == ["RJ14 PB 4112"]  # fmt: skip
    riders = Assignment.objects.filter(school__code="demo", shift="pickup").count()
    assert riders == 12  # 40% of 30
    call_command("seed_demo", students=30)  # idempotent
    assert Assignment.objects.filter(school__code="demo", shift="pickup").count() == riders

    from apps.accounts.models import User

    call_command("simulate_trip", "R1 pickup A", school="demo", points=3, interval=0)
    call_command("simulate_trip", "R1 pickup A", school="demo", points=3, interval=0, end=True)
    parent = User.objects.get(email="parent@demo.schools24.test")
    alerts = Notification.objects.filter(recipient=parent, kind="transport.approaching")
    assert alerts.count() == 1
    assert TripRun.objects.get(trip__name="R1 pickup A").status == "ended"


def test_demo_riders_pay_their_stops_fee_on_the_first_invoices(monkeypatch):
    """Transport is seeded before the fee office, so the first quarter bills each rider the fee
    slab of their stop for the days ridden, and nobody else."""
    import datetime as dt

    import time_machine

    from apps.fees.models import InvoiceLine

    monkeypatch.setattr("apps.quizzes.demo.seed_quizzes", lambda **kwargs: None)
    with time_machine.travel(dt.datetime(2026, 6, 15, 6, tzinfo=dt.UTC), tick=False):
        call_command("seed_demo", students=30, force=True)
    riders = set(
        Assignment.objects.filter(school__code="demo").values_list("student_id", flat=True)
    )
    billed = dict(
        InvoiceLine.objects.filter(invoice__school__code="demo", head__code="TRN").values_list(
            "invoice__student_id", "amount"
        )
    )
    assert billed and set(billed) == riders
    assert all(amount > 0 for amount in billed.values())
    assert len(set(billed.values())) > 1  # by stop: the distance slabs differ
