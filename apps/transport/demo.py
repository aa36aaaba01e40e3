"""The demo school's transport (called by `seed_demo` after academics and before fees, whose
transport head bills the riders seeded here by their stops' fee slabs): six routes of 8-12 stops
fanning out from the school in Jaipur's C-Scheme through real localities, two buses per route
and shift (13 buses: the spare's fitness certificate has expired, so it stays off the road; two
others' papers expire within 30 days), drivers (one licence expiring in 14 days) and attendants,
a morning pickup and an afternoon drop per bus, monthly fee slabs by distance, and 40% of the
enrolled students riding (pickup and drop at the same stop). The demo student rides route 1's
first morning bus from its fifth stop, so `manage.py simulate_trip "R1 pickup A"` shows the demo
parent the bus approaching. A transport manager logs in as transport@demo.schools24.test.
Idempotent: routes that exist are kept, riders seeded once.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from apps.academics.models import AcademicYear, Enrollment
from apps.accounts.duties import TRANSPORT_MANAGER
from apps.accounts.models import Role, StudentProfile

from .models import (
    Assignment,
    CrewMember,
    FeeRule,
    Route,
    Stop,
    TransportSettings,
    Trip,
    TripStop,
    Vehicle,
)

SCHOOL_AT = (26.9050, 75.8010)  # C-Scheme, Jaipur
ROUTES = [
    ("R1", "Vaishali Nagar", 300, ["Ajmer Road Puliya", "Sodala", "Khatipura Tiraha",
     "Gandhi Path", "Amrapali Circle", "Vaishali Nagar Sector 4", "Nursery Circle",
     "Queens Road", "Chitrakoot Stadium", "Hathoj Road"]),
    ("R2", "Mansarovar", 220, ["Civil Lines", "Shyam Nagar", "Sodala Chauraha",
     "New Sanganer Road", "Mansarovar Metro", "Madhyam Marg", "Shipra Path", "VT Road",
     "Thadi Market"]),
    ("R3", "Malviya Nagar", 160, ["Tonk Phatak", "Gandhi Nagar", "Jawahar Circle", "Malviya Nagar",
     "GT Mall", "Jagatpura Flyover", "Sitapura", "Pratap Nagar", "Sanganer Airport",
     "Durgapura", "Mahaveer Nagar"]),
    ("R4", "Raja Park", 100, ["Moti Dungri", "Adarsh Nagar", "Raja Park", "Jawahar Nagar",
     "Transport Nagar", "Galta Gate", "Ghat Gate", "Agra Road"]),
    ("R5", "Johari Bazaar", 40, ["MI Road", "Sanganeri Gate", "Badi Chaupar", "Hawa Mahal",
     "Ramganj Bazaar", "Subhash Chowk", "Amer Road", "Jal Mahal", "Kanak Ghati",
     "Amer Fort", "Kunda"]),
    ("R6", "Vidhyadhar Nagar", 340, ["Chandpole", "Station Road", "Shastri Nagar",
     "Vidhyadhar Nagar", "Sikar Road", "Murlipura", "Jhotwara", "Kalwar Road", "Niwaru Road",
     "Bhawani Nagar", "Benad Road", "Kardhani"]),
]  # fmt: skip
SPACING_KM = 0.9
SEATS = 52
MANAGER_EMAIL = "transport@demo.schools24.test"
DEMO_STUDENT = "DPS-0001"
SLABS = [(0, 3, 1000), (3, 6, 1400), (6, 9, 1800), (9, 50, 2200)]


def _point(bearing_deg: float, km: float) -> tuple[Decimal, Decimal]:
    lat0, lon0 = SCHOOL_AT
    dlat = km * math.cos(math.radians(bearing_deg)) / 111.0
    dlon = km * math.sin(math.radians(bearing_deg)) / (111.0 * math.cos(math.radians(lat0)))
    return Decimal(f"{lat0 + dlat:.6f}"), Decimal(f"{lon0 + dlon:.6f}")


def _at(start: dt.time, minutes: int) -> dt.time:
    return (dt.datetime.combine(dt.date(2000, 1, 1), start) + dt.timedelta(minutes=minutes)).time()


@transaction.atomic
def seed_transport(*, report, school, rng: random.Random) -> None:
    from apps.accounts.demo import _user

    today = timezone.localdate()
    manager = _user(report, school, MANAGER_EMAIL, "Tarun Transport", Role.STAFF, login=True)
    manager.groups.add(Group.objects.get_or_create(name=TRANSPORT_MANAGER)[0])
    TransportSettings.objects.get_or_create(school=school)
    if Route.objects.filter(school=school).exists():
        return
    year = AcademicYear.objects.filter(school=school, is_current=True).first()

    def vehicle(n: int, **papers) -> Vehicle:
        far = today + dt.timedelta(days=200 + 20 * n)
        dates = {"fitness_expiry": far, "insurance_expiry": far, "permit_expiry": far,
                 "pollution_expiry": far, **papers}  # fmt: skip
        report.add("vehicles", True)
        return Vehicle.objects.create(school=school, registration_number=f"RJ14 PB {4100 + n}",
                                      kind="bus", seats=SEATS, gps_device_id=f"GPS-{4100 + n}",
                                      **dates)  # fmt: skip

    buses = [vehicle(n) for n in range(12)]
    Vehicle.objects.filter(pk=buses[3].pk).update(insurance_expiry=today + dt.timedelta(days=12))
    Vehicle.objects.filter(pk=buses[7].pk).update(pollution_expiry=today + dt.timedelta(days=28))
    vehicle(12, fitness_expiry=today - dt.timedelta(days=3))  # the spare: not roadworthy
    drivers = [
        CrewMember.objects.create(
            school=school, role="driver", name=name, phone=f"+91 98290 {10000 + n:05d}",
            licence_number=f"RJ14 2015{n:07d}", badge_number=f"B-{200 + n}",
            licence_expiry=today + dt.timedelta(days=14 if n == 4 else 400 + n * 30),
            background_check_date=today - dt.timedelta(days=90 + n),
        )  # fmt: skip
        for n, name in enumerate(["Ramesh Meena", "Suresh Gurjar", "Mahesh Saini", "Dinesh Yadav",
                                  "Rakesh Sharma", "Mukesh Jat", "Naresh Kumawat", "Lokesh Rawat",
                                  "Hemant Choudhary", "Vikram Singh", "Ajay Bairwa", "Manoj Verma"])
    ]  # fmt: skip
    attendants = [
        CrewMember.objects.create(school=school, role="attendant", name=name,
                                  phone=f"+91 94140 {20000 + n:05d}",
                                  background_check_date=today - dt.timedelta(days=60 + n))  # fmt: skip
        for n, name in enumerate(["Sunita Devi", "Kamla Sharma", "Geeta Meena", "Pooja Saini",
                                  "Rekha Yadav", "Anita Kumari", "Seema Jain", "Meena Kanwar",
                                  "Lalita Bai", "Santosh Devi", "Kiran Sharma", "Usha Rani"])
    ]  # fmt: skip
    report.created["crew"] = len(drivers) + len(attendants)
    trips_by_route: dict[str, list[tuple[Trip, Trip]]] = {}
    stops_by_route: dict[str, list[Stop]] = {}
    for index, (code, name, bearing, places) in enumerate(ROUTES):
        route = Route.objects.create(school=school, code=code, name=name)
        stops = []
        for seq, place in enumerate(places, start=1):
            km = seq * SPACING_KM + 0.6
            lat, lon = _point(bearing + rng.uniform(-6, 6), km)
            stops.append(Stop.objects.create(
                school=school, route=route, sequence=seq, name=place, latitude=lat,
                longitude=lon, landmark=f"Near {place} bus stand", geofence_radius_m=150,
                distance_km=Decimal(f"{km:.1f}"),
            ))  # fmt: skip
        stops_by_route[code] = stops
        report.created["stops"] = report.created.get("stops", 0) + len(stops)
        pairs = []
        for letter, offset in (("A", 0), ("B", 1)):
            bus_no = index * 2 + offset
            crew = {"vehicle": buses[bus_no], "driver": drivers[bus_no],
                    "attendant": attendants[bus_no]}  # fmt: skip
            pickup = Trip.objects.create(school=school, route=route, shift="pickup",
                                         name=f"{code} pickup {letter}", **crew)  # fmt: skip
            drop = Trip.objects.create(school=school, route=route, shift="drop",
                                       name=f"{code} drop {letter}", **crew)  # fmt: skip
            far = list(reversed(stops))  # the morning run starts at the far end
            TripStop.objects.bulk_create(
                [TripStop(school=school, trip=pickup, stop=s, sequence=i + 1,
                          scheduled_time=_at(dt.time(6, 40 + 5 * offset), 4 * i))
                 for i, s in enumerate(far)]
                + [TripStop(school=school, trip=drop, stop=s, sequence=i + 1,
                            scheduled_time=_at(dt.time(14, 10 + 5 * offset), 4 * i))
                   for i, s in enumerate(stops)]
            )  # fmt: skip
            pairs.append((pickup, drop))
        trips_by_route[code] = pairs
        report.created["trips"] = report.created.get("trips", 0) + 4
    if year is None:
        return
    FeeRule.objects.bulk_create(
        [FeeRule(school=school, year=year, kind="slab", min_km=Decimal(lo), max_km=Decimal(hi),
                 monthly_amount=Decimal(amount)) for lo, hi, amount in SLABS]
    )  # fmt: skip
    _assign(report, school, year, rng, trips_by_route, stops_by_route)


def _assign(report, school, year, rng, trips_by_route, stops_by_route) -> None:
    """40% of the year's enrolled students, spread over the routes; each bus holds SEATS."""
    enrolled = list(
        Enrollment.objects.filter(year=year, student__school=school)
        .order_by("student__admission_number")
        .values_list("student_id", flat=True)
    )
    demo = StudentProfile.objects.filter(school=school, admission_number=DEMO_STUDENT).first()
    chosen = [s for s in enrolled if demo is None or s != demo.pk]
    rng.shuffle(chosen)
    chosen = chosen[: max(int(len(enrolled) * 0.4) - 1, 0)]
    if demo is not None and demo.pk in enrolled:
        chosen.insert(0, demo.pk)
    seats = {trip.pk: SEATS for pairs in trips_by_route.values() for pair in pairs for trip in pair}
    # Riding since the year began, so the first quarter's invoices bill them (fees demo).
    start = year.start_date
    rows = []
    codes = list(trips_by_route)
    for n, student_id in enumerate(chosen):
        code = codes[0] if n == 0 else rng.choice(codes)
        stop = stops_by_route[code][4] if n == 0 else rng.choice(stops_by_route[code])
        pair = next((p for p in trips_by_route[code] if seats[p[0].pk] > 0), None)
        if pair is None:
            continue
        for trip in pair:
            seats[trip.pk] -= 1
            rows.append(Assignment(school=school, student_id=student_id, year=year, trip=trip,
                                   shift=trip.shift, stop=stop, valid_from=start,
                                   valid_to=year.end_date))  # fmt: skip
    Assignment.objects.bulk_create(rows)
    report.created["transport riders"] = len(rows) // 2
