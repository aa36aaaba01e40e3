"""Live location through the API: device authentication, ping validation, the position without
SQL, parents' scope, the approaching alert once, the history's write-behind and its purge."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from apps.notifications.models import Notification
from apps.transport import history, live
from apps.transport.models import TripRun

from .conftest import COORDS, now_fix

pytestmark = pytest.mark.django_db
BASE = "/api/v1/transport"


@pytest.fixture
def running(fleet, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api(fleet.manager).post(f"{BASE}/trips/{fleet.trip.pk}/start/")
    assert response.status_code == 201, response.content
    return TripRun.objects.get(pk=response.json()["id"])


def test_a_device_reports_while_its_trip_runs(fleet, running, device_client):
    client = device_client(fleet.device_token)
    response = client.post(f"{BASE}/pings/", now_fix(-5), format="json")
    assert response.status_code == 202, response.content
    assert response.json() == {"accepted": 1, "run": str(running.pk)}
    pos = live.position(fleet.trip.vehicle_id)
    assert pos["lat"] == 26.85 and pos["speed_kmh"] == 25.0
    batch = {"fixes": [now_fix(-4, lat=26.86), now_fix(-3, lat=26.87)]}
    assert client.post(f"{BASE}/pings/", batch, format="json").status_code == 202
    assert live.position(fleet.trip.vehicle_id)["lat"] == 26.87
    assert live.buffer_length() == 3
    assert live.vehicles_near(fleet.trip.school_id, 26.87, 75.80, 100) == [
        str(fleet.trip.vehicle_id)
    ]


def test_a_device_may_not_report_when_no_trip_runs(fleet, device_client):
    response = device_client(fleet.device_token).post(f"{BASE}/pings/", now_fix(), format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_running"


@pytest.mark.parametrize(
    ("fix", "field"),
    [
        ({"lat": 91}, "lat"),
        ({"lon": -180.5}, "lon"),
        ({"speed_kmh": -3}, "speed_kmh"),
        ({"heading": 400}, "heading"),
        ({"lat": "north"}, "lat"),
        ({"fix_time": "yesterday"}, "fix_time"),
    ],
)
def test_invalid_fixes_are_field_errors(fleet, running, device_client, fix, field):
    response = device_client(fleet.device_token).post(f"{BASE}/pings/", now_fix(**fix),
                                                      format="json")  # fmt: skip
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert live.position(fleet.trip.vehicle_id) is None


def test_stale_and_far_future_fixes_are_refused(fleet, running, device_client):
    client = device_client(fleet.device_token)
    assert client.post(f"{BASE}/pings/", now_fix(-5), format="json").status_code == 202
    stale = client.post(f"{BASE}/pings/", now_fix(-10), format="json")
    assert stale.status_code == 400
    assert "stale" in stale.json()["error"]["fields"]["fix_time"][0]
    future = client.post(f"{BASE}/pings/", now_fix(3600), format="json")
    assert future.status_code == 400 and "fix_time" in future.json()["error"]["fields"]
    # a batch is all or nothing: its second fix goes back in time
    batch = {"fixes": [now_fix(-2), now_fix(-3)]}
    response = client.post(f"{BASE}/pings/", batch, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]["fixes"]) == {"1"}
    assert live.buffer_length() == 1


def test_user_tokens_cannot_ping_and_device_tokens_cannot_read(cast, fleet, running, api,
                                                               device_client):  # fmt: skip
    assert api(fleet.manager).post(f"{BASE}/pings/", now_fix(), format="json").status_code in (
        401, 403)  # fmt: skip
    device = device_client(fleet.device_token)
    for path in (f"{BASE}/trips/", f"{BASE}/trips/{fleet.trip.pk}/position/", "/api/v1/me/",
                 f"{BASE}/assignments/", "/api/v1/students/"):  # fmt: skip
        assert device.get(path).status_code == 401, path
    assert device_client("s24d_not-a-token").post(f"{BASE}/pings/", now_fix(),
                                                  format="json").status_code == 401  # fmt: skip


def test_a_revoked_token_is_refused(fleet, running, api, device_client,
                                    django_capture_on_commit_callbacks):  # fmt: skip
    client = device_client(fleet.device_token)
    assert client.post(f"{BASE}/pings/", now_fix(-5), format="json").status_code == 202
    with django_capture_on_commit_callbacks(execute=True):
        response = api(fleet.manager).post(f"{BASE}/devices/{fleet.device.pk}/revoke/")
    assert response.status_code == 200 and response.json()["revoked_at"]
    assert client.post(f"{BASE}/pings/", now_fix(-1), format="json").status_code == 401


def test_the_parent_reads_the_position_without_sql(cast, fleet, running, api, device_client,
                                                   django_assert_num_queries):  # fmt: skip
    device_client(fleet.device_token).post(f"{BASE}/pings/", now_fix(-5), format="json")
    client = api(cast.parent)
    url = f"{BASE}/trips/{fleet.trip.pk}/position/"
    assert client.get(url).status_code == 200  # signs in and caches the scope
    with django_assert_num_queries(0):
        response = client.get(url)
    body = response.json()
    assert body["running"] is True and body["stale"] is False
    assert body["position"]["lat"] == 26.85
    assert body["next_stop"]["name"] == "Stop 1"
    assert [(s["name"], s["student"]) for s in body["stops"]] == [("Stop 2", str(cast.student.pk))]
    assert body["stops"][0]["eta"] is not None
    # the manager sees every stop
    assert len(api(fleet.manager).get(url).json()["stops"]) == 3


def test_another_family_and_other_schools_do_not_see_the_bus(cast, fleet, running, api):
    url = f"{BASE}/trips/{fleet.trip.pk}/position/"
    # Oscar rides this trip too: his parent sees it, but only his stop
    stops = api(fleet.other_parent).get(url).json()["stops"]
    assert [s["student"] for s in stops] == [str(cast.other_student.pk)]
    fleet.other_assignment.is_active = False
    fleet.other_assignment.save()
    live.scope_forget(fleet.trip.pk)
    assert api(fleet.other_parent).get(url).status_code == 404
    assert api(cast.admin2).get(url).status_code == 404
    assert api(cast.teacher.user).get(url).status_code == 404
    assert api(cast.accountant.user).get(url).status_code == 404
    assert api(cast.student.user).get(url).status_code == 200


def test_stale_when_the_last_fix_is_old(cast, fleet, running, device_client, api, settings):
    settings.TRANSPORT_POSITION_STALE_SECONDS = 30
    device_client(fleet.device_token).post(f"{BASE}/pings/", now_fix(-50), format="json")
    assert api(cast.parent).get(f"{BASE}/trips/{fleet.trip.pk}/position/").json()["stale"] is True


def test_not_running_shows_no_position(cast, fleet, api):
    body = api(cast.parent).get(f"{BASE}/trips/{fleet.trip.pk}/position/").json()
    assert body["running"] is False and body["position"] is None


def test_entering_the_geofence_alerts_the_parent_once(cast, fleet, running, device_client,
                                                      django_capture_on_commit_callbacks):  # fmt: skip
    client = device_client(fleet.device_token)
    lat, lon = COORDS[1]  # the cast student's stop
    fixes = [now_fix(-30, lat=lat - 0.01, lon=lon), now_fix(-20, lat=lat - 0.0005, lon=lon),
             now_fix(-10, lat=lat, lon=lon), now_fix(-5, lat=lat + 0.0005, lon=lon)]  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        for fix in fixes:
            assert client.post(f"{BASE}/pings/", fix, format="json").status_code == 202
    alerts = Notification.objects.filter(kind="transport.approaching")
    assert [(n.recipient_id, n.data["student"]) for n in alerts] == [
        (cast.parent.pk, str(cast.student.pk))
    ]
    # the stop is reached: the next stop moves on
    assert str(fleet.stops[1].pk) in live.reached(running.pk)


def test_overspeed_alerts_the_transport_manager(cast, fleet, running, device_client):
    client = device_client(fleet.device_token)
    client.post(f"{BASE}/pings/", now_fix(-10, speed_kmh=55), format="json")
    client.post(f"{BASE}/pings/", now_fix(-5, speed_kmh=60), format="json")
    alerts = Notification.objects.filter(kind="transport.overspeed")
    assert [n.recipient_id for n in alerts] == [fleet.manager.pk]
    assert "55" in alerts[0].body


def test_pings_reach_the_partitioned_history_in_batches(fleet, running, device_client):
    client = device_client(fleet.device_token)
    client.post(f"{BASE}/pings/", {"fixes": [now_fix(-3), now_fix(-2), now_fix(-1)]},
                format="json")  # fmt: skip
    assert history.flush() == 3
    assert history.flush() == 0
    assert [round(f["lat"], 2) for f in history.track(running.pk)] == [26.85] * 3
    today = timezone.now().astimezone(dt.UTC).date()
    assert history.partition_name(today) in history.partitions()


def test_a_crashed_flush_is_finished_without_duplicates(fleet, running, device_client):
    device_client(fleet.device_token).post(f"{BASE}/pings/", now_fix(-1), format="json")
    live.snapshot()  # a flush took the snapshot, then died before writing
    device_client(fleet.device_token).post(f"{BASE}/pings/", now_fix(0), format="json")
    assert history.flush() == 1  # the left snapshot first
    assert history.flush() == 1  # then the new buffer
    assert len(history.track(running.pk)) == 2


def test_old_partitions_are_dropped(db, settings):
    settings.TRANSPORT_PING_RETENTION_DAYS = 3
    today = timezone.now().astimezone(dt.UTC).date()
    days = {today - dt.timedelta(days=n) for n in range(6)}
    history.ensure_partitions(days)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO transport_ping (school_id, vehicle_id, run_id, fix_time, lat, lon, "
            "received_at) VALUES (gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), "
            "%s, 1, 1, now())",
            [timezone.now() - dt.timedelta(days=5)],
        )
    dropped = history.purge()
    assert sorted(dropped) == sorted(
        history.partition_name(today - dt.timedelta(days=n)) for n in (4, 5)
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM transport_ping")
        assert cursor.fetchone()[0] == 0
    made = history.ensure_partitions(ahead=2)
    assert history.partition_name(today + dt.timedelta(days=2)) in made + history.partitions()


def test_ending_the_run_stops_the_device_and_the_view(cast, fleet, running, api, device_client,
                                                      django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert api(fleet.manager).post(f"{BASE}/runs/{running.pk}/end/").status_code == 200
    assert device_client(fleet.device_token).post(f"{BASE}/pings/", now_fix(),
                                                  format="json").status_code == 409  # fmt: skip
    body = api(cast.parent).get(f"{BASE}/trips/{fleet.trip.pk}/position/").json()
    assert body["running"] is False


def test_a_parent_who_turned_the_alert_off_is_not_told(cast, fleet, running, api, device_client):
    url = f"{BASE}/assignments/{fleet.assignment.pk}/alerts/"
    assert (
        api(fleet.other_parent).post(url, {"approaching": False}, format="json").status_code == 404
    )
    response = api(cast.parent).post(url, {"approaching": False}, format="json")
    assert response.status_code == 200 and response.json()["approach_alerts"] is False
    lat, lon = COORDS[1]
    device_client(fleet.device_token).post(f"{BASE}/pings/", now_fix(-5, lat=lat, lon=lon),
                                           format="json")  # fmt: skip
    assert str(fleet.stops[1].pk) in live.reached(running.pk)
    assert not Notification.objects.filter(kind="transport.approaching").exists()


def test_an_eta_below_the_threshold_alerts_before_the_geofence(cast, fleet, running,
                                                               device_client, settings):  # fmt: skip
    settings.TRANSPORT_APPROACH_MINUTES = 10
    lat, lon = COORDS[0]
    # at stop 1 (no riders): stop 2 is 1.5 km (4.5 min at 20 km/h) ahead, stop 3 a further
    # 10 minutes by the timetable (14.5): only stop 2 is due within 10 minutes
    device_client(fleet.device_token).post(f"{BASE}/pings/", now_fix(-5, lat=lat, lon=lon),
                                           format="json")  # fmt: skip
    alerts = Notification.objects.filter(kind="transport.approaching")
    assert [n.data["student"] for n in alerts] == [str(cast.student.pk)]
    assert str(fleet.stops[1].pk) not in live.reached(running.pk)


@pytest.fixture
def mid_morning():
    """A school day at 09:30 in Kolkata with the clock running: a run started now is on that
    day whatever the real time is (just after midnight a 00:00 stop would be only minutes late)."""
    import time_machine

    with time_machine.travel(dt.datetime(2026, 12, 2, 4, 0, tzinfo=dt.UTC), tick=True):
        yield


def test_a_late_bus_tells_the_waiting_parents_once(mid_morning, cast, fleet, running,
                                                   device_client, settings):  # fmt: skip
    from apps.transport.models import TripStop

    settings.TRANSPORT_DELAY_ALERT_MINUTES = 10
    # the timetable says stop 1 at 00:00 school time: any time today is late
    TripStop.objects.filter(trip=fleet.trip).update(scheduled_time=dt.time(0, 0))
    live.run_put(
        __import__("apps.transport.services.trips", fromlist=["run_state"]).run_state(running)
    )
    client = device_client(fleet.device_token)
    for n, (lat, lon) in enumerate(COORDS[:2]):
        client.post(f"{BASE}/pings/", now_fix(-10 + n, lat=lat, lon=lon), format="json")
    delayed = Notification.objects.filter(kind="transport.delayed")
    assert {n.recipient_id for n in delayed} == {cast.parent.pk, fleet.other_parent.pk,
                                                 fleet.manager.pk}  # fmt: skip
