"""Two clerks take the last seat of a bus at the same moment, through the API, each in its own
thread and database connection: exactly one gets it, the other a clear 409."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from apps.transport.models import Assignment

from .factories import TripFactory, TripStopFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_assignments_for_the_last_seat(cast, api):
    from django.utils import timezone

    from apps.academics.tests.factories import AcademicYearFactory
    from apps.core.testing import year_around

    span = year_around(timezone.localdate())
    year = AcademicYearFactory(school=cast.school, name=span.name, start_date=span.start,
                               end_date=span.end, is_current=True)  # fmt: skip
    trip = TripFactory(school=cast.school, route__school=cast.school, vehicle__seats=1)
    stop = TripStopFactory(trip=trip).stop
    barrier = threading.Barrier(2)
    results: list[tuple[int, str]] = []

    def take(student):
        try:
            client = api(cast.admin)
            body = {"student": str(student.pk), "year": str(year.pk), "trip": str(trip.pk),
                    "stop": str(stop.pk)}  # fmt: skip
            barrier.wait(timeout=10)
            response = client.post("/api/v1/transport/assignments/", body, format="json")
            code = (
                response.json().get("error", {}).get("code", "")
                if response.status_code >= 400
                else ""
            )
            results.append((response.status_code, code))
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(s,)) for s in (cast.student, cast.sibling)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [(201, ""), (409, "trip_full")]
    assert Assignment.objects.filter(trip=trip, is_active=True).count() == 1
