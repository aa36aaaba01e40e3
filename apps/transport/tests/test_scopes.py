"""The named access helpers of apps.transport.scopes, directly."""

from __future__ import annotations

import pytest

from apps.accounts.tests.factories import StaffFactory
from apps.transport import scopes

from .factories import AttendantFactory

pytestmark = pytest.mark.django_db


def test_manages_transport(cast, fleet, root):
    assert scopes.manages_transport(fleet.manager)
    assert scopes.manages_transport(cast.admin)
    assert scopes.manages_transport(root)
    for user in (cast.accountant.user, cast.parent, cast.teacher.user, cast.student.user):
        assert not scopes.manages_transport(user)


def test_may_quote_fees(cast, fleet):
    assert scopes.may_quote_fees(cast.accountant.user)
    assert scopes.may_quote_fees(fleet.manager)
    assert not scopes.may_quote_fees(cast.parent)


def test_readable_trips(cast, fleet):
    assert list(scopes.readable_trips(cast.parent)) == [fleet.trip]
    assert list(scopes.readable_trips(cast.student.user)) == [fleet.trip]
    assert list(scopes.readable_trips(fleet.other_parent)) == [fleet.trip]  # Oscar rides it too
    assert not scopes.readable_trips(cast.teacher.user).exists()
    assert not scopes.readable_trips(cast.accountant.user).exists()
    assert not scopes.readable_trips(cast.admin2).exists()


def test_position_scope(cast, fleet):
    trip = fleet.trip.pk
    assert scopes.position_scope(fleet.manager, trip) == "*"
    assert scopes.position_scope(cast.parent, trip) == [
        {"student": str(cast.student.pk), "stop": str(fleet.stops[1].pk)}
    ]
    assert scopes.position_scope(cast.admin2, trip) is False
    assert scopes.position_scope(cast.teacher.user, trip) is False
    fleet.assignment.is_active = False
    fleet.assignment.save()
    assert scopes.position_scope(cast.parent, trip) is False


def test_can_mark_boarding(cast, fleet):
    from apps.transport.models import TripRun

    run = TripRun(trip=fleet.trip, school=cast.school)
    assert scopes.can_mark_boarding(fleet.manager, run)
    staff = StaffFactory(school=cast.school).user
    assert not scopes.may_mark_boarding(staff) and not scopes.can_mark_boarding(staff, run)
    fleet.trip.attendant.user = staff
    fleet.trip.attendant.save()
    assert scopes.may_mark_boarding(staff) and scopes.can_mark_boarding(staff, run)
    other = StaffFactory(school=cast.school).user
    AttendantFactory(school=cast.school, user=other)
    assert scopes.may_mark_boarding(other) and not scopes.can_mark_boarding(other, run)


def test_boarding_lookups_name_the_runs_school_only(cast, fleet):
    from apps.transport.models import TripRun

    lookups = scopes.boarding_lookups(TripRun(trip=fleet.trip, school=cast.school))
    assert cast.student in lookups["student"] and cast.other_student in lookups["student"]
    assert cast.student2 not in lookups["student"]
    assert set(lookups["stop"]) == set(fleet.stops)


def test_fee_quote_students(cast, fleet):
    for user in (cast.accountant.user, fleet.manager):
        students = scopes.fee_quote_students(user)
        assert cast.student in students and cast.student2 not in students
    for user in (cast.parent, cast.teacher.user, cast.student.user):
        assert not scopes.fee_quote_students(user).exists()
