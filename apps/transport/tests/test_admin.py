"""Transport's admin screens: the manager's changelists, expiry badges, seat counts, the run's
last position; an accountant without the duty sees none of them; a trip with an expired bus is
refused in the admin as in the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.transport import live

pytestmark = pytest.mark.django_db
MODELS = ["vehicle", "crewmember", "route", "trip", "assignment", "triprun", "boardingmark",
          "devicetoken", "feerule", "transportsettings"]  # fmt: skip


def url(name: str, *args) -> str:
    return reverse(f"admin:transport_{name}", args=args)


@pytest.mark.parametrize("model", MODELS)
def test_changelists_open_for_the_manager_not_the_accountant(cast, fleet, client, model):
    client.force_login(fleet.manager)
    assert client.get(url(f"{model}_changelist")).status_code == 200
    client.force_login(cast.accountant.user)
    assert client.get(url(f"{model}_changelist")).status_code == 403


def test_fleet_and_trip_screens_show_expiry_seats_and_position(cast, fleet, client, api,
                                                              device_client,
                                                              django_capture_on_commit_callbacks):  # fmt: skip
    from .conftest import now_fix

    soon = timezone.localdate() + dt.timedelta(days=5)
    fleet.trip.vehicle.permit_expiry = soon
    fleet.trip.vehicle.save()
    client.force_login(fleet.manager)
    page = client.get(url("vehicle_changelist")).content.decode()
    assert soon.isoformat() in page and "#b26a00" in page  # expiring soon: amber
    page = client.get(url("trip_changelist")).content.decode()
    assert "2 / 2" in page
    with django_capture_on_commit_callbacks(execute=True):
        api(fleet.manager).post(f"/api/v1/transport/trips/{fleet.trip.pk}/start/")
    device_client(fleet.device_token).post("/api/v1/transport/pings/", now_fix(-5, lat=26.91234),
                                           format="json")  # fmt: skip
    assert live.position(fleet.trip.vehicle_id)["lat"] == 26.91234
    assert "26.91234" in client.get(url("triprun_changelist")).content.decode()


def test_a_trip_with_an_expired_bus_is_refused_in_the_admin(cast, fleet, client):
    vehicle = fleet.trip.vehicle
    vehicle.pollution_expiry = timezone.localdate() - dt.timedelta(days=1)
    vehicle.save()
    client.force_login(fleet.manager)
    trip = fleet.trip
    response = client.post(url("trip_change", trip.pk), {
        "route": trip.route_id, "shift": "pickup", "name": "Renamed", "vehicle": vehicle.pk,
        "driver": trip.driver_id, "attendant": trip.attendant_id, "is_active": "on",
        "trip_stops-TOTAL_FORMS": "0", "trip_stops-INITIAL_FORMS": "0",
    }, follow=True)  # fmt: skip
    trip.refresh_from_db()
    assert trip.name == "R1 morning"
    assert "not roadworthy" in response.content.decode()
