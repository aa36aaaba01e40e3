"""Trips with their timetable, and their runs (a day's driving, during which devices report)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core import audit
from apps.core.exceptions import ApplicationError
from apps.core.services import refuse, save_checked
from apps.core.signals import announce_change

from .. import live
from ..models import VEHICLE_DOCUMENTS, RunStatus, TransportSettings, Trip, TripRun, TripStop
from .fleet import check_same_school, record_update

TRIP_FIELDS = ["route", "shift", "name", "vehicle", "driver", "attendant", "is_active"]


def school_today(school) -> dt.date:
    from apps.attendance.selectors import school_today as today

    return today(school)


def attendant_required(school_id) -> bool:
    row = TransportSettings.objects.filter(school_id=school_id).values("attendant_required")
    return row[0]["attendant_required"] if row else True


def check_crew_and_vehicle(trip: Trip, on: dt.date) -> None:
    """The rules a trip must meet on day `on` to be given its crew and vehicle, or to run:
    the vehicle is active with every paper valid (roadworthy), the driver is a driver with a
    valid licence, the attendant (required unless the school says otherwise) is an attendant."""
    errors: dict[str, list[str]] = {}
    vehicle = trip.vehicle
    expired = vehicle.expired_documents(on)
    if expired:
        names = ", ".join(str(VEHICLE_DOCUMENTS[name]) for name in expired)
        errors["vehicle"] = [
            _("The vehicle is not roadworthy: expired %(papers)s.") % {"papers": names}
        ]
    elif not vehicle.is_active:
        errors["vehicle"] = [_("The vehicle is not active.")]
    driver = trip.driver
    if driver.role != "driver" or not driver.is_active:
        errors["driver"] = [_("Choose an active driver.")]
    elif not driver.licence_valid(on):
        errors["driver"] = [_("The driver's licence has expired.")]
    if trip.attendant is not None:
        if trip.attendant.role != "attendant" or not trip.attendant.is_active:
            errors["attendant"] = [_("Choose an active attendant.")]
    elif attendant_required(trip.school_id):
        errors["attendant"] = [_("This school requires an attendant on every trip.")]
    if errors:
        raise ApplicationError(_("This trip cannot run like this."), code="trip_not_ready",
                               fields=errors)  # fmt: skip


def check_stops(trip: Trip, stops: list[dict[str, Any]]) -> None:
    """Stop times: each stop of the trip's route, once; sequences strictly increasing and times
    never going back, in the order given."""
    errors: dict[str, Any] = {}
    seen = set()
    for index, row in enumerate(stops):
        problems = []
        if row["stop"].route_id != trip.route_id:
            problems.append(_("This stop is not on the trip's route."))
        if row["stop"].pk in seen:
            problems.append(_("This stop is listed twice."))
        seen.add(row["stop"].pk)
        if index:
            before = stops[index - 1]
            if row["sequence"] <= before["sequence"]:
                problems.append(_("The order must increase from one stop to the next."))
            if row["scheduled_time"] < before["scheduled_time"]:
                problems.append(_("A stop's time cannot be before the previous stop's."))
        if problems:
            errors[str(index)] = problems
    if errors:
        raise ApplicationError(_("The stop times are not in order."), code="stops_out_of_order",
                               fields={"stops": errors})  # fmt: skip


def _set_stops(trip: Trip, stops: list[dict[str, Any]]) -> None:
    check_stops(trip, stops)
    trip.trip_stops.all().delete()
    TripStop.objects.bulk_create(
        [TripStop(school_id=trip.school_id, trip=trip, stop=row["stop"], sequence=row["sequence"],
                  scheduled_time=row["scheduled_time"]) for row in stops]
    )  # fmt: skip


@transaction.atomic
def trip_create(*, school, actor, data: dict[str, Any]) -> Trip:
    """A trip of a route in a shift with its crew, vehicle and stop times (see the checks)."""
    stops = data.pop("stops", [])
    check_same_school(school.pk, **{k: v for k, v in data.items() if hasattr(v, "school_id")})
    trip = Trip(school=school, **data)
    check_crew_and_vehicle(trip, school_today(school))
    save_checked(trip)
    _set_stops(trip, stops)
    audit.record(actor=actor, action="transport.trip.create", instance=trip,
                 after=audit.snapshot(trip, TRIP_FIELDS))  # fmt: skip
    return trip


@transaction.atomic
def trip_update(*, trip: Trip, actor, data: dict[str, Any]) -> Trip:
    stops = data.pop("stops", None)
    trip = (
        Trip.objects.select_for_update(of=("self",))
        .select_related("vehicle", "driver", "attendant")
        .get(pk=trip.pk)
    )
    if (
        "route" in data
        and data["route"].pk != trip.route_id
        and trip.assignments.filter(is_active=True).exists()
    ):
        raise refuse(_("Riders are assigned to this trip's stops; end their assignments first."),
                     code="trip_has_riders", fields=["route"])  # fmt: skip
    for name in ("vehicle", "driver", "attendant"):
        if name in data:
            setattr(trip, name, data[name])
    if {"vehicle", "driver", "attendant"} & data.keys():
        check_crew_and_vehicle(trip, school_today(trip.school))
        if "vehicle" in data:
            seated = trip.assignments.filter(is_active=True).count()
            if seated > data["vehicle"].seats:
                raise refuse(_("The vehicle has fewer seats than the trip has riders."),
                             code="not_enough_seats", fields=["vehicle"])  # fmt: skip
    record_update(trip, actor=actor, data=data, fields=TRIP_FIELDS, action="transport.trip.update")
    if stops is not None:
        _set_stops(trip, stops)
    live.scope_forget(trip.pk)
    return trip


def run_state(run: TripRun) -> dict:
    """What Redis keeps of a running trip, so pings and the live view need no SQL."""
    stops = run.trip.trip_stops.select_related("stop").order_by("sequence")
    return {
        "run": str(run.pk), "trip": str(run.trip_id), "school": str(run.school_id),
        "vehicle": str(run.vehicle_id), "date": run.date.isoformat(),
        "started": run.started_at.timestamp(), "tz": run.trip.school.timezone,
        "stops": [
            {"id": str(ts.stop_id), "name": ts.stop.name, "seq": ts.sequence,
             "lat": float(ts.stop.latitude), "lon": float(ts.stop.longitude),
             "radius": ts.stop.geofence_radius_m, "time": ts.scheduled_time.strftime("%H:%M")}
            for ts in stops
        ],
    }  # fmt: skip


@transaction.atomic
def run_start(*, trip: Trip, actor) -> TripRun:
    """Start today's run of a trip: only with a roadworthy vehicle, a licensed driver and the
    attendant the school requires; one running run per trip and per vehicle."""
    trip = (
        Trip.objects.select_for_update(of=("self",))
        .select_related("vehicle", "driver", "attendant", "school")
        .get(pk=trip.pk)
    )
    today = school_today(trip.school)
    if not trip.is_active:
        raise refuse(_("This trip is not active."), code="trip_inactive")
    check_crew_and_vehicle(trip, today)
    run = TripRun(school_id=trip.school_id, trip=trip, vehicle=trip.vehicle, date=today,
                  started_at=timezone.now())  # fmt: skip
    save_checked(run)
    audit.record(actor=actor, action="transport.run.start", instance=run,
                 after={"trip": str(trip.pk), "vehicle": str(trip.vehicle_id)})  # fmt: skip
    state = run_state(run)
    transaction.on_commit(lambda: live.run_put(state))
    announce_change(run.school_id, "transport")
    return run


@transaction.atomic
def run_end(*, run: TripRun, actor) -> TripRun:
    """End a run: devices may no longer report for it and its live position is forgotten (the
    history stays until its partition is purged)."""
    run = TripRun.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.RUNNING:
        raise refuse(_("This run has already ended."), code="run_ended")
    run.status, run.ended_at = RunStatus.ENDED, timezone.now()
    run.save(update_fields=["status", "ended_at", "updated_at"])
    audit.record(actor=actor, action="transport.run.end", instance=run, after={"status": "ended"})
    ids = {"run_id": run.pk, "trip_id": run.trip_id, "vehicle_id": run.vehicle_id,
           "school_id": run.school_id}  # fmt: skip
    transaction.on_commit(lambda: live.run_forget(**ids))
    announce_change(run.school_id, "transport")
    return run
