"""Fleet, routes, trips and riders through the API: the manager's rules and everyone's scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.transport.models import Assignment, Stop, Trip, Vehicle

from .factories import DriverFactory, RouteFactory, StopFactory, TripFactory, VehicleFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/transport"
FAR = "2099-12-31"


def vehicle_body(**kw):
    body = {"registration_number": "RJ14 PA 4321", "kind": "bus", "seats": 32,
            "gps_device_id": "GPS-1", "fitness_expiry": FAR, "insurance_expiry": FAR,
            "permit_expiry": FAR, "pollution_expiry": FAR}  # fmt: skip
    body.update(kw)
    return body


def test_manager_creates_a_vehicle_and_an_accountant_cannot(cast, fleet, api):
    response = api(fleet.manager).post(f"{BASE}/vehicles/", vehicle_body(), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["roadworthy"] is True
    assert Vehicle.objects.filter(school=cast.school, registration_number="RJ14 PA 4321").exists()
    assert api(cast.accountant.user).post(f"{BASE}/vehicles/", vehicle_body(registration_number="RJ14 PA 1"),
                                          format="json").status_code == 403  # fmt: skip
    assert api(cast.accountant.user).get(f"{BASE}/vehicles/").status_code == 403


def test_expired_papers_keep_a_vehicle_off_trips(cast, fleet, api):
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    old = VehicleFactory(school=cast.school, insurance_expiry=yesterday)
    listed = api(fleet.manager).get(f"{BASE}/vehicles/{old.pk}/").json()
    assert listed["roadworthy"] is False and listed["expired_documents"] == ["insurance_expiry"]
    # not given to a trip
    response = api(fleet.manager).patch(f"{BASE}/trips/{fleet.trip.pk}/", {"vehicle": str(old.pk)},
                                        format="json")  # fmt: skip
    assert response.status_code == 400
    assert "vehicle" in response.json()["error"]["fields"]
    # and a trip whose vehicle's papers lapse cannot start
    Vehicle.objects.filter(pk=fleet.trip.vehicle_id).update(fitness_expiry=yesterday)
    response = api(fleet.manager).post(f"{BASE}/trips/{fleet.trip.pk}/start/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "trip_not_ready"
    assert not fleet.trip.runs.exists()


def test_a_trip_needs_a_licensed_driver_and_an_attendant(cast, fleet, api):
    expired = DriverFactory(school=cast.school, licence_expiry=dt.date(2020, 1, 1))
    response = api(fleet.manager).patch(f"{BASE}/trips/{fleet.trip.pk}/",
                                        {"driver": str(expired.pk)}, format="json")  # fmt: skip
    assert response.status_code == 400
    assert "driver" in response.json()["error"]["fields"]
    response = api(fleet.manager).patch(f"{BASE}/trips/{fleet.trip.pk}/", {"attendant": None},
                                        format="json")  # fmt: skip
    assert response.status_code == 400
    assert "attendant" in response.json()["error"]["fields"]
    fleet.trip.refresh_from_db()
    assert fleet.trip.attendant_id is not None


def test_a_stop_outside_the_globe_is_refused(cast, fleet, api):
    body = {"route": str(fleet.trip.route_id), "sequence": 9, "name": "Nowhere",
            "latitude": "91.0", "longitude": "75.8"}  # fmt: skip
    response = api(fleet.manager).post(f"{BASE}/stops/", body, format="json")
    assert response.status_code == 400
    assert "latitude" in response.json()["error"]["fields"]
    body.update(latitude="26.95", longitude="-181")
    response = api(fleet.manager).post(f"{BASE}/stops/", body, format="json")
    assert "longitude" in response.json()["error"]["fields"]
    body.update(longitude="75.81")
    assert api(fleet.manager).post(f"{BASE}/stops/", body, format="json").status_code == 201


def trip_body(fleet, stops):
    trip = fleet.trip
    return {"route": str(trip.route_id), "shift": "drop", "name": "R1 afternoon",
            "vehicle": str(trip.vehicle_id), "driver": str(trip.driver_id),
            "attendant": str(trip.attendant_id), "stops": stops}  # fmt: skip


def test_stop_times_must_be_in_order(fleet, api):
    s1, s2, s3 = (str(s.pk) for s in fleet.stops)
    bad = [{"stop": s3, "sequence": 1, "scheduled_time": "14:00"},
           {"stop": s2, "sequence": 1, "scheduled_time": "14:10"},
           {"stop": s1, "sequence": 3, "scheduled_time": "14:05"}]  # fmt: skip
    response = api(fleet.manager).post(f"{BASE}/trips/", trip_body(fleet, bad), format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]["stops"]
    assert set(fields) == {"1", "2"}  # row 1: order not increasing; row 2: time goes back
    assert not Trip.objects.filter(name="R1 afternoon").exists()
    good = [{"stop": s3, "sequence": 1, "scheduled_time": "14:00"},
            {"stop": s2, "sequence": 2, "scheduled_time": "14:10"},
            {"stop": s1, "sequence": 3, "scheduled_time": "14:10"}]  # fmt: skip
    response = api(fleet.manager).post(f"{BASE}/trips/", trip_body(fleet, good), format="json")
    assert response.status_code == 201, response.content
    assert [s["name"] for s in response.json()["stops"]] == ["Stop 3", "Stop 2", "Stop 1"]


def test_a_stop_of_another_route_is_refused(cast, fleet, api):
    other = StopFactory(route=RouteFactory(school=cast.school))
    stops = [{"stop": str(other.pk), "sequence": 1, "scheduled_time": "14:00"}]
    response = api(fleet.manager).post(f"{BASE}/trips/", trip_body(fleet, stops), format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["stops"]["0"]


def test_trip_list_is_a_constant_number_of_queries(cast, fleet, api, django_assert_max_num_queries):
    for _ in range(3):
        TripFactory(school=cast.school, route=fleet.trip.route)
    client = api(fleet.manager)
    client.get(f"{BASE}/trips/")  # warm the principal cache
    with django_assert_max_num_queries(6):
        response = client.get(f"{BASE}/trips/")
    assert response.json()["count"] == 4


def test_parents_see_the_trips_their_children_ride(cast, fleet, api):
    TripFactory(school=cast.school, route=fleet.trip.route, name="Not ours")
    names = [t["name"] for t in api(cast.parent).get(f"{BASE}/trips/").json()["results"]]
    assert names == ["R1 morning"]
    trip = api(cast.parent).get(f"{BASE}/trips/{fleet.trip.pk}/").json()
    assert trip["seats"] == 2 and trip["seats_taken"] == 2
    assert api(cast.teacher.user).get(f"{BASE}/trips/").status_code == 403
    mine = api(cast.parent).get(f"{BASE}/assignments/").json()["results"]
    assert [a["student"] for a in mine] == [str(cast.student.pk)]
    assert (
        api(cast.parent).get(f"{BASE}/assignments/{fleet.other_assignment.pk}/").status_code == 404
    )
    assert api(cast.admin2).get(f"{BASE}/trips/{fleet.trip.pk}/").status_code == 404


def test_a_full_bus_refuses_another_rider(cast, fleet, api):
    trip = fleet.trip  # 2 seats, both taken
    body = {"student": str(cast.sibling.pk), "year": str(fleet.year.pk), "trip": str(trip.pk),
            "stop": str(fleet.stops[0].pk)}  # fmt: skip
    response = api(fleet.manager).post(f"{BASE}/assignments/", body, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "trip_full"
    # ending one frees the seat at once
    response = api(fleet.manager).post(f"{BASE}/assignments/{fleet.other_assignment.pk}/end/", {},
                                       format="json")  # fmt: skip
    assert response.status_code == 200 and response.json()["is_active"] is False
    response = api(fleet.manager).post(f"{BASE}/assignments/", body, format="json")
    assert response.status_code == 201, response.content
    assert Assignment.objects.filter(trip=trip, is_active=True).count() == 2


def test_one_active_assignment_per_shift(cast, fleet, api):
    trip2 = TripFactory(school=cast.school, route=fleet.trip.route, vehicle__seats=10)
    from .factories import TripStopFactory

    TripStopFactory(trip=trip2, stop=fleet.stops[0], sequence=1)
    body = {"student": str(cast.student.pk), "year": str(fleet.year.pk), "trip": str(trip2.pk),
            "stop": str(fleet.stops[0].pk)}  # fmt: skip
    response = api(fleet.manager).post(f"{BASE}/assignments/", body, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_assigned"


def test_another_schools_ids_are_not_found(cast, fleet, api):
    foreign = StopFactory(route=RouteFactory(school=cast.school2))
    body = {"student": str(cast.sibling.pk), "year": str(fleet.year.pk),
            "trip": str(fleet.trip.pk), "stop": str(foreign.pk)}  # fmt: skip
    response = api(fleet.manager).post(f"{BASE}/assignments/", body, format="json")
    assert response.status_code == 400
    assert "stop" in response.json()["error"]["fields"]
    assert Stop.objects.filter(pk=foreign.pk).exists()
