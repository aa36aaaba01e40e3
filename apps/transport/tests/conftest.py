"""The cast's school with a bus route around Jaipur: three stops 1.5 km apart going north, a
morning trip on a 2-seat bus with driver and attendant, the cast's student riding it from the
second stop (their parent watches it), the other student from the third. Dates come from a
current year around today (no calendar-dependent assertions). A parent of another family
(Oscar's) and the transport manager (staff with the duty) complete the cast; `device` is a
device token of the bus. Every test starts with no transport keys in Redis."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.academics.tests.factories import AcademicYearFactory
from apps.accounts.duties import TRANSPORT_MANAGER
from apps.accounts.models import Role
from apps.accounts.tests.factories import GuardianFactory, StaffFactory, UserFactory
from apps.core.testing import year_around
from apps.transport import live, services
from apps.transport.models import Assignment

from .factories import StopFactory, TripFactory, TripStopFactory

# Stops going north from 26.9000 N 75.8000 E, ~1.5 km apart.
COORDS = [(26.9000, 75.8000), (26.9135, 75.8000), (26.9270, 75.8000)]


@dataclass
class Fleet:
    year: object
    trip: object
    stops: list
    manager: object
    other_parent: object
    assignment: object
    other_assignment: object
    device_token: str
    device: object


@pytest.fixture(autouse=True)
def _clean_transport_keys():
    r = live.redis()
    for name in r.scan_iter(match=live.key("transport:*"), count=1000):
        r.delete(name)
    yield


def now_fix(offset: float = 0.0, **kw) -> dict:
    at = timezone.now() + dt.timedelta(seconds=offset)
    fix = {"lat": 26.85, "lon": 75.80, "speed_kmh": 25.0, "heading": 0.0,
           "fix_time": at.isoformat(), "accuracy_m": 8.0}  # fmt: skip
    fix.update(kw)
    return fix


@pytest.fixture
def fleet(cast) -> Fleet:
    school = cast.school
    span = year_around(timezone.localdate())
    year = AcademicYearFactory(school=school, name=span.name, start_date=span.start,
                               end_date=span.end, is_current=True)  # fmt: skip
    trip = TripFactory(school=school, route__school=school, name="R1 morning",
                       vehicle__seats=2)  # fmt: skip
    stops = []
    for index, (lat, lon) in enumerate(COORDS, start=1):
        stop = StopFactory(route=trip.route, sequence=index, name=f"Stop {index}",
                           latitude=Decimal(str(lat)), longitude=Decimal(str(lon)),
                           geofence_radius_m=150, distance_km=Decimal(index * 2))  # fmt: skip
        TripStopFactory(trip=trip, stop=stop, sequence=index,
                        scheduled_time=dt.time(7, index * 10))  # fmt: skip
        stops.append(stop)
    manager = StaffFactory(school=school, user__full_name="Tina Transport",
                           user__email="tina@alice.test", user__duties=[TRANSPORT_MANAGER]).user  # fmt: skip
    other_parent = UserFactory(school=school, role=Role.PARENT, full_name="Olga Other",
                               email="olga@alice.test")  # fmt: skip
    GuardianFactory(student=cast.other_student, parent=other_parent, relation="mother")
    assignment = Assignment.objects.create(
        school=school,
        student=cast.student,
        year=year,
        trip=trip,
        shift="pickup",
        stop=stops[1],
        valid_from=span.start,
        valid_to=span.end,
    )
    other = Assignment.objects.create(
        school=school,
        student=cast.other_student,
        year=year,
        trip=trip,
        shift="pickup",
        stop=stops[2],
        valid_from=span.start,
        valid_to=span.end,
    )
    device, token = services.device_create(school=school, actor=cast.admin, vehicle=trip.vehicle,
                                           name="Bus GPS")  # fmt: skip
    return Fleet(year=year, trip=trip, stops=stops, manager=manager, other_parent=other_parent,
                 assignment=assignment, other_assignment=other, device_token=token,
                 device=device)  # fmt: skip


@pytest.fixture
def device_client():
    from rest_framework.test import APIClient

    def make(token: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
        return client

    return make
