"""Replay a trip's pings along its stops, so the live view and the alerts can be watched.

    manage.py simulate_trip "R1 pickup A" [--school demo] [--points 6] [--interval 1] [--end]

Starts today's run when the trip is not running (same checks as the API: a bus whose papers
have expired does not start), then moves the bus from stop to stop in `--points` steps per leg,
one fix every `--interval` seconds, through the same service the device endpoint calls (so
geofence and speed alerts fire as they would). `--end` ends the run afterwards; the buffered
pings are written to the history either way.
"""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.core.exceptions import ApplicationError
from apps.transport import history, live, services
from apps.transport.models import RunStatus, Trip, TripRun
from apps.transport.services.trips import run_state


class Command(BaseCommand):
    help = "Replay a running trip's GPS pings along its stops (demo and manual testing)."

    def add_arguments(self, parser):
        parser.add_argument("trip", help="the trip's id or name")
        parser.add_argument("--school", default="", help="the school's code (names are per school)")
        parser.add_argument("--points", type=int, default=6, help="fixes per leg between stops")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between fixes")
        parser.add_argument("--end", action="store_true", help="end the run afterwards")

    def handle(self, *args, trip, school, points, interval, end, **options):
        trip_obj = self._trip(trip, school)
        run = TripRun.objects.filter(trip=trip_obj, status=RunStatus.RUNNING).first()
        try:
            if run is None:
                run = services.run_start(trip=trip_obj, actor=None)
            live.run_put(run_state(run))  # (again) in case Redis was emptied meanwhile
        except ApplicationError as exc:
            raise CommandError(f"{exc.message} {exc.fields}") from exc
        state = live.run_of_trip(trip_obj.pk)
        stops = state["stops"]
        device = {"vehicle": str(run.vehicle_id)}
        sent = 0
        for here, there in zip(stops, stops[1:], strict=False):
            for step in range(points):
                share = step / points
                lat = here["lat"] + (there["lat"] - here["lat"]) * share
                lon = here["lon"] + (there["lon"] - here["lon"]) * share
                fix = {"lat": lat, "lon": lon, "speed_kmh": 28.0, "heading": None,
                       "accuracy_m": 10.0, "fix_time": timezone.now()}  # fmt: skip
                services.pings_record(device=device, fixes=[fix], batched=False)
                sent += 1
                time.sleep(max(interval, 0.001))
        last = stops[-1]
        services.pings_record(device=device, batched=False, fixes=[
            {"lat": last["lat"], "lon": last["lon"], "speed_kmh": 0.0, "heading": None,
             "accuracy_m": 10.0, "fix_time": timezone.now() + dt.timedelta(milliseconds=1)}])  # fmt: skip
        written = history.flush()
        if end:
            services.run_end(run=run, actor=None)
            live.run_forget(run_id=run.pk, trip_id=run.trip_id, vehicle_id=run.vehicle_id,
                            school_id=run.school_id)  # fmt: skip
        self.stdout.write(f"{trip_obj.name}: {sent + 1} fixes along {len(stops)} stops; "
                          f"{written} written to the history; run {run.pk}"
                          f"{' ended' if end else ' still running'}.")  # fmt: skip

    def _trip(self, value: str, school: str) -> Trip:
        trips = Trip.objects.all()
        if school:
            trips = trips.filter(school__code=school)
        found = trips.filter(pk=value).first() if _is_uuid(value) else None
        if found is None:
            matches = list(trips.filter(name=value)[:2])
            if len(matches) != 1:
                raise CommandError(f"No single trip named {value!r}; give its id or --school.")
            found = matches[0]
        return found


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
