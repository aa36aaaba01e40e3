"""Reads of transport that are reused or tricky: querysets with their joins, and the roster."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from .models import Assignment, BoardingMark, Trip, TripRun, TripStop


def trip_queryset() -> QuerySet[Trip]:
    return (
        Trip.objects.select_related("vehicle")
        .annotate(riders=Count("assignments", filter=Q(assignments__is_active=True)))
        .prefetch_related(
            Prefetch(
                "trip_stops", queryset=TripStop.objects.select_related("stop").order_by("sequence")
            )
        )
    )


def assignment_queryset() -> QuerySet[Assignment]:
    return Assignment.objects.select_related("student__user", "trip", "stop")


def mark_queryset() -> QuerySet[BoardingMark]:
    return BoardingMark.objects.select_related("student__user", "stop")


def run_queryset() -> QuerySet[TripRun]:
    return TripRun.objects.all()


def roster(trip: Trip, on: dt.date) -> dict[str, Any]:
    """Who boards (pickup) or gets off (drop) where on `on`: the trip's stops in order with their
    riders (active assignments valid that day), each with class, a parent's phone and whether
    attendance marked them absent for the day. A constant number of queries."""
    from apps.academics.models import Enrollment
    from apps.accounts.models import Guardian
    from apps.attendance import selectors as attendance_selectors

    riders = list(
        Assignment.objects.filter(trip=trip, is_active=True, valid_from__lte=on, valid_to__gte=on)
        .select_related("student__user")
        .order_by("student__user__full_name")
    )
    ids = [a.student_id for a in riders]
    enrollments = list(
        Enrollment.objects.filter(student_id__in=ids, year__start_date__lte=on,
                                  year__end_date__gte=on).select_related("section__school_class")
    )  # fmt: skip
    classes = {
        e.student_id: f"{e.section.school_class.name} {e.section.name}".strip() for e in enrollments
    }
    phones: dict = {}
    for link in (
        Guardian.objects.filter(student_id__in=ids).select_related("parent").order_by("-is_primary")
    ):
        phones.setdefault(link.student_id, link.parent.phone)
    # Today's marks are mostly still in the write buffer: read them with the pending ones.
    absent = attendance_selectors.absent_students(
        trip.school_id, ids, {e.section_id for e in enrollments}, on
    )
    by_stop: dict = {}
    for a in riders:
        by_stop.setdefault(a.stop_id, []).append(
            {
                "student": a.student_id,
                "name": a.student.user.full_name,
                "admission_number": a.student.admission_number,
                "class_section": classes.get(a.student_id, ""),
                "parent_phone": phones.get(a.student_id, ""),
                "absent_today": str(a.student_id) in absent,
            }
        )
    stops = [
        {"stop": ts.stop_id, "name": ts.stop.name, "landmark": ts.stop.landmark,
         "sequence": ts.sequence, "scheduled_time": ts.scheduled_time,
         "riders": by_stop.get(ts.stop_id, [])}
        for ts in trip.trip_stops.select_related("stop").order_by("sequence")
    ]  # fmt: skip
    return {
        "trip": trip.pk, "name": trip.name, "shift": trip.shift, "date": on,
        "vehicle": trip.vehicle.registration_number, "seats": trip.vehicle.seats,
        "riders": len(riders), "stops": stops,
    }  # fmt: skip
