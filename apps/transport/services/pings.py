"""Pings from a bus's device, and the live position a parent or the manager reads: Redis only."""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from apps.core.exceptions import ApplicationError
from apps.core.queue import enqueue

from .. import live

APPROACH_TASK = "apps.transport.tasks.approach_alerts"
DELAY_TASK = "apps.transport.tasks.delay_alert"
OVERSPEED_TASK = "apps.transport.tasks.overspeed_alert"
OVERSPEED_EVERY = 600  # seconds between two overspeed alerts of one run


def pings_record(*, device: dict, fixes: list[dict[str, Any]], batched: bool) -> dict[str, Any]:
    """Accept a device's fixes for the trip its vehicle is running. Rules (all fixes or none):
    the vehicle is on a running trip (else 409 `not_running`); no fix is further ahead than
    TRANSPORT_PING_MAX_FUTURE_SECONDS (`future`), older than the run's start or than the last
    fix stored (`stale`); a batch is in strictly increasing time. Then the newest fix becomes
    the vehicle's position, all go to the history buffer, a stop's geofence entered for the
    first time this run queues the "approaching" alerts, and speed over the limit the manager's.
    No SQL on this path."""
    run = live.run_of_vehicle(device["vehicle"])
    if run is None:
        raise ApplicationError(_("The vehicle is not on a running trip."), code="not_running",
                               status_code=409)  # fmt: skip
    now = time.time()
    last = live.last_fix_time(device["vehicle"])
    floor = max(last or 0.0, run["started"] - 60)
    errors: dict[str, Any] = {}
    previous = None
    for index, fix in enumerate(fixes):
        stamp = fix["fix_time"].timestamp()
        fix["fix"] = stamp
        problem = None
        if stamp > now + settings.TRANSPORT_PING_MAX_FUTURE_SECONDS:
            problem = _("This fix is in the future.")
        elif stamp <= floor:
            problem = _("This fix is older than the last one received (stale).")
        elif previous is not None and stamp <= previous:
            problem = _("The fixes of a batch must be in increasing time.")
        previous = stamp
        if problem:
            errors[str(index)] = {"fix_time": [problem]}
    if errors:
        fields = {"fixes": errors} if batched else errors["0"]
        raise ApplicationError(_("Some fixes were refused."), code="invalid_fix", fields=fields)
    outcome = live.record(run, fixes)
    approaching = list(outcome["entered"])
    if settings.TRANSPORT_APPROACH_MINUTES > 0:
        approaching += _due_soon(run, fixes[-1])
    for stop_id in dict.fromkeys(approaching):
        if live.claim_stop(run["run"], stop_id):
            enqueue(APPROACH_TASK, run["run"], stop_id)
    _check_delay(run, outcome["entered"], fixes)
    fast = outcome["overspeed"]
    if fast is not None and live.once(f"speed:{run['run']}", OVERSPEED_EVERY):
        enqueue(OVERSPEED_TASK, run["run"], fast["speed_kmh"])
    return {"accepted": len(fixes), "run": run["run"]}


def _stop_time(run: dict, stop: dict) -> dt.datetime:
    day = dt.date.fromisoformat(run["date"])
    return dt.datetime.combine(day, dt.time.fromisoformat(stop["time"]),
                               tzinfo=zoneinfo.ZoneInfo(run["tz"]))  # fmt: skip


def _due_soon(run: dict, fix: dict) -> list[str]:
    """Stops not reached yet whose ETA from this fix is within TRANSPORT_APPROACH_MINUTES."""
    reached = live.reached(run["run"])
    pos = {"lat": fix["lat"], "lon": fix["lon"]}
    limit = dt.timedelta(minutes=settings.TRANSPORT_APPROACH_MINUTES)
    now = dt.datetime.now(tz=dt.UTC)
    due = []
    for stop in run["stops"]:
        eta = _eta(run, pos, reached, stop["id"])
        if eta is not None and eta["eta"] - now <= limit:
            due.append(stop["id"])
    return due


def _check_delay(run: dict, entered: list[str], fixes: list[dict]) -> None:
    """A bus reaching a stop more than TRANSPORT_DELAY_ALERT_MINUTES behind its timetable: the
    parents of the riders still waiting and the managers are told, once per run."""
    threshold = settings.TRANSPORT_DELAY_ALERT_MINUTES
    if not entered or threshold <= 0:
        return
    by_id = {s["id"]: s for s in run["stops"]}
    at = dt.datetime.fromtimestamp(fixes[-1]["fix"], tz=dt.UTC)
    for stop_id in entered:
        late = (at - _stop_time(run, by_id[stop_id])).total_seconds() / 60
        if late > threshold and live.once(f"delay:{run['run']}", 86400):
            enqueue(DELAY_TASK, run["run"], stop_id, round(late))
            return


def _eta(run: dict, pos: dict | None, reached: dict[str, float], stop_id: str) -> dict | None:
    """When the bus should be at `stop_id`: the time to its next stop at TRANSPORT_ETA_SPEED_KMH
    from its live position, plus the timetable's gap from that stop to this one. None once the
    stop is passed."""
    stops = run["stops"]
    target = next((s for s in stops if s["id"] == stop_id), None)
    if target is None or stop_id in reached:
        return None
    passed = [s["seq"] for s in stops if s["id"] in reached]
    upcoming = [s for s in stops if s["seq"] > (max(passed) if passed else -1)]
    if not upcoming:
        return None
    nxt = upcoming[0]
    tz = zoneinfo.ZoneInfo(run["tz"])
    day = dt.date.fromisoformat(run["date"])

    def at(stop) -> dt.datetime:
        return dt.datetime.combine(day, dt.time.fromisoformat(stop["time"]), tzinfo=tz)

    now = dt.datetime.now(tz=dt.UTC)
    if pos is None:
        return {"eta": at(target), "source": "timetable"}
    metres = live.distance_m(pos["lat"], pos["lon"], nxt["lat"], nxt["lon"])
    to_next = dt.timedelta(hours=metres / 1000 / settings.TRANSPORT_ETA_SPEED_KMH)
    return {"eta": now + to_next + (at(target) - at(nxt)), "source": "live"}


def position_view(*, trip_id, scope) -> dict[str, Any]:
    """The live view of a trip for someone allowed to see it (`scope`: "*" or their children's
    stops): whether it runs, the bus's last fix and whether it is stale, the next stop, and an
    ETA per watched stop. Read from Redis only."""
    run = live.run_of_trip(trip_id)
    if run is None:
        return {"trip": str(trip_id), "running": False, "position": None, "stale": None,
                "next_stop": None, "stops": []}  # fmt: skip
    pos = live.position(run["vehicle"])
    reached = live.reached(run["run"])
    passed = [s["seq"] for s in run["stops"] if s["id"] in reached]
    nxt = next((s for s in run["stops"] if s["seq"] > (max(passed) if passed else -1)), None)
    watched = run["stops"] if scope == "*" else []
    if scope != "*":
        by_id = {s["id"]: s for s in run["stops"]}
        watched = [
            dict(by_id[w["stop"]], student=w["student"]) for w in scope if w["stop"] in by_id
        ]
    stale = None
    position = None
    if pos is not None:
        fixed = dt.datetime.fromtimestamp(pos["fix"], tz=dt.UTC)
        stale = time.time() - pos["fix"] > settings.TRANSPORT_POSITION_STALE_SECONDS
        position = {k: pos[k] for k in ("lat", "lon", "speed_kmh", "heading", "accuracy_m")}
        position["fix_time"] = fixed
    stops = []
    for s in watched:
        eta = _eta(run, pos, reached, s["id"])
        stops.append({
            "stop": s["id"], "name": s["name"], "student": s.get("student"),
            "scheduled_time": s["time"], "reached": s["id"] in reached,
            "eta": eta["eta"] if eta else None,
        })  # fmt: skip
    return {
        "trip": str(trip_id), "running": True, "position": position, "stale": stale,
        "next_stop": {"stop": nxt["id"], "name": nxt["name"], "scheduled_time": nxt["time"]}
        if nxt else None,
        "stops": stops,
    }  # fmt: skip
