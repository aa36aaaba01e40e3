"""The live side of transport, in Redis: the only module that talks to it for transport.

Keys (all under the cache's namespace, `cache.make_key`):
- `transport:device:<sha256>`   JSON of a device token (id, vehicle, school): pings authenticate
                                without SQL; deleted when the token is revoked.
- `transport:run:v:<vehicle>` / `transport:run:t:<trip>`  JSON of the running trip (run id,
                                trip, school, start, the stops with their times and geofences);
                                set when a run starts, deleted when it ends.
- `transport:pos:<vehicle>`     hash: the latest fix (lat, lon, speed, heading, accuracy, fix
                                time, run); `transport:geo:<school>` a geo set of the vehicles.
- `transport:reached:<run>`     hash stop -> when the bus first entered its geofence (HSETNX:
                                the entry is an event exactly once per run and stop).
- `transport:scope:<trip>`      hash user -> what that user may see of the trip's position
                                (cached answer of `apps.transport.scopes.position_scope`).
- `transport:pings` / `transport:pings:flushing`  the history's write-behind list and the
                                snapshot a flush is writing to PostgreSQL.
- `transport:alert:*`           SET NX keys so each alert goes out once.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django_redis import get_redis_connection

BUFFER = "transport:pings"
FLUSHING = "transport:pings:flushing"
FLUSH_LOCK = "transport:pings:lock"
DEVICE_TTL = 86400
EARTH_RADIUS_M = 6_371_000.0


def redis():
    return get_redis_connection("default")


def key(name: str) -> str:
    return cache.make_key(name)


def _loads(value) -> Any:
    return None if value is None else json.loads(value)


# --- devices ---------------------------------------------------------------------------------
def device_get(token_hash: str) -> dict | None:
    return _loads(redis().get(key(f"transport:device:{token_hash}")))


def device_put(token_hash: str, device: dict) -> None:
    redis().set(key(f"transport:device:{token_hash}"), json.dumps(device), ex=DEVICE_TTL)


def device_forget(token_hash: str) -> None:
    redis().delete(key(f"transport:device:{token_hash}"))


# --- runs ------------------------------------------------------------------------------------
def run_put(state: dict) -> None:
    data = json.dumps(state)
    pipe = redis().pipeline()
    pipe.set(key(f"transport:run:v:{state['vehicle']}"), data)
    pipe.set(key(f"transport:run:t:{state['trip']}"), data)
    pipe.delete(key(f"transport:scope:{state['trip']}"))
    pipe.execute()


def run_forget(*, run_id, trip_id, vehicle_id, school_id) -> None:
    pipe = redis().pipeline()
    pipe.delete(key(f"transport:run:v:{vehicle_id}"), key(f"transport:run:t:{trip_id}"))
    pipe.delete(key(f"transport:pos:{vehicle_id}"), key(f"transport:reached:{run_id}"))
    pipe.delete(key(f"transport:approached:{run_id}"))
    pipe.delete(key(f"transport:scope:{trip_id}"))
    pipe.zrem(key(f"transport:geo:{school_id}"), str(vehicle_id))
    pipe.execute()


def run_of_vehicle(vehicle_id) -> dict | None:
    return _loads(redis().get(key(f"transport:run:v:{vehicle_id}")))


def run_of_trip(trip_id) -> dict | None:
    return _loads(redis().get(key(f"transport:run:t:{trip_id}")))


# --- positions -------------------------------------------------------------------------------
def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def last_fix_time(vehicle_id) -> float | None:
    value = redis().hget(key(f"transport:pos:{vehicle_id}"), "fix")
    return None if value is None else float(value)


def record(run: dict, fixes: list[dict]) -> dict:
    """Store accepted fixes (checked and in time order): the newest as the vehicle's position,
    every one into the history buffer; then see which stops' geofences the bus entered for the
    first time this run and whether it went over the speed limit.

    Returns {"entered": [stop ids], "overspeed": fix or None}: the caller raises the alerts.
    """
    r = redis()
    vehicle, school, run_id = run["vehicle"], run["school"], run["run"]
    newest = fixes[-1]
    now = time.time()
    pipe = r.pipeline(transaction=False)
    pipe.hset(
        key(f"transport:pos:{vehicle}"),
        mapping={
            "lat": newest["lat"],
            "lon": newest["lon"],
            "speed": "" if newest.get("speed_kmh") is None else newest["speed_kmh"],
            "heading": "" if newest.get("heading") is None else newest["heading"],
            "acc": "" if newest.get("accuracy_m") is None else newest["accuracy_m"],
            "fix": newest["fix"],
            "run": run_id,
        },
    )
    pipe.geoadd(key(f"transport:geo:{school}"), (newest["lon"], newest["lat"], vehicle))
    pipe.rpush(
        key(BUFFER),
        *[
            json.dumps(
                {
                    "school": school,
                    "vehicle": vehicle,
                    "run": run_id,
                    "fix": fix["fix"],
                    "lat": fix["lat"],
                    "lon": fix["lon"],
                    "speed": fix.get("speed_kmh"),
                    "heading": fix.get("heading"),
                    "acc": fix.get("accuracy_m"),
                    "at": now,
                }
            )  # fmt: skip
            for fix in fixes
        ],
    )
    pipe.execute()

    entered: list[str] = []
    reached_key = key(f"transport:reached:{run_id}")
    for fix in fixes:
        for stop in run["stops"]:
            if distance_m(fix["lat"], fix["lon"], stop["lat"], stop["lon"]) <= stop["radius"]:
                if r.hsetnx(reached_key, stop["id"], fix["fix"]):
                    entered.append(stop["id"])
    limit = settings.TRANSPORT_SPEED_LIMIT_KMH
    fast = [f for f in fixes if f.get("speed_kmh") is not None and f["speed_kmh"] > limit]
    return {"entered": entered, "overspeed": fast[0] if fast else None}


def claim_stop(run_id, stop_id) -> bool:
    """True the first time the "approaching" alerts of a stop are claimed in a run (HSETNX),
    whether by the geofence or by the ETA."""
    name = key(f"transport:approached:{run_id}")
    pipe = redis().pipeline()
    pipe.hsetnx(name, str(stop_id), "1")
    pipe.expire(name, 86400)
    return bool(pipe.execute()[0])


def once(name: str, ttl: int) -> bool:
    """True the first time `name` is claimed within `ttl` seconds (SET NX): an alert's dedupe."""
    return bool(redis().set(key(f"transport:alert:{name}"), "1", nx=True, ex=ttl))


def position(vehicle_id) -> dict | None:
    raw = redis().hgetall(key(f"transport:pos:{vehicle_id}"))
    if not raw:
        return None
    data = {k.decode(): v.decode() for k, v in raw.items()}

    def num(name):
        return float(data[name]) if data.get(name) not in (None, "") else None

    return {
        "lat": num("lat"),
        "lon": num("lon"),
        "speed_kmh": num("speed"),
        "heading": num("heading"),
        "accuracy_m": num("acc"),
        "fix": num("fix"),
    }


def reached(run_id) -> dict[str, float]:
    raw = redis().hgetall(key(f"transport:reached:{run_id}"))
    return {k.decode(): float(v) for k, v in raw.items()}


def vehicles_near(school_id, lat: float, lon: float, radius_m: float) -> list[str]:
    """Vehicles of a school within `radius_m` of a point (the geo set)."""
    found = redis().geosearch(
        key(f"transport:geo:{school_id}"), longitude=lon, latitude=lat, radius=radius_m, unit="m"
    )
    return [v.decode() for v in found]


# --- who may see a trip's position (cached) --------------------------------------------------
def scope_get(trip_id, user_id) -> Any:
    """The cached answer for this user and trip: a list of watched stops, "*" (the whole trip),
    False (not theirs), or None (not cached)."""
    value = redis().hget(key(f"transport:scope:{trip_id}"), str(user_id))
    return None if value is None else json.loads(value)


def scope_put(trip_id, user_id, answer: Any) -> None:
    name = key(f"transport:scope:{trip_id}")
    pipe = redis().pipeline()
    pipe.hset(name, str(user_id), json.dumps(answer))
    pipe.expire(name, settings.TRANSPORT_SCOPE_CACHE_SECONDS)
    pipe.execute()


def scope_forget(trip_id) -> None:
    redis().delete(key(f"transport:scope:{trip_id}"))


# --- the history buffer ----------------------------------------------------------------------
def buffer_length() -> int:
    return int(redis().llen(key(BUFFER)))


def flush_lock(ttl: int = 120) -> bool:
    return bool(redis().set(key(FLUSH_LOCK), "1", nx=True, ex=ttl))


def flush_unlock() -> None:
    redis().delete(key(FLUSH_LOCK))


def snapshot() -> list[dict]:
    """The records to write: a snapshot left by a crashed flush first, else the buffer renamed
    into the snapshot (atomic: pings arriving meanwhile go to a new buffer)."""
    r = redis()
    flushing = key(FLUSHING)
    if not r.exists(flushing):
        try:
            r.renamenx(key(BUFFER), flushing)
        except Exception as exc:  # noqa: BLE001 - "no such key": an empty buffer
            if "no such key" not in str(exc).lower():
                raise
            return []
    return [json.loads(item) for item in r.lrange(flushing, 0, -1)]


def snapshot_done() -> None:
    redis().delete(key(FLUSHING))
