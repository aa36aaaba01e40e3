"""Who rides which trip, boarding marks, and what transport costs a student."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core import audit
from apps.core.exceptions import ApplicationError
from apps.core.queue import enqueue_on_commit
from apps.core.services import audited_change, refuse, save_checked

from .. import live
from ..models import Assignment, BoardingMark, FeeRule, FeeRuleKind, RunStatus, Trip, TripRun
from .fleet import check_same_school

ASSIGNMENT_FIELDS = ["student", "year", "trip", "stop", "valid_from", "valid_to", "is_active"]


@transaction.atomic
def assignment_create(*, school, actor, data: dict[str, Any]) -> Assignment:
    """Give a student a seat on a trip for a year.

    Rules: the stop is on the trip's timetable; the dates lie in the academic year; at most one
    active assignment per student and shift; the trip's active riders never exceed its
    vehicle's seats. The trip row is locked (SELECT ... FOR UPDATE) before the seats are
    counted, so two clerks taking the last seat at once are served one after the other and the
    second is refused (409 `trip_full`)."""
    student, trip, stop, year = data["student"], data["trip"], data["stop"], data["year"]
    check_same_school(school.pk, student=student, trip=trip, stop=stop, year=year)
    trip = Trip.objects.select_for_update().select_related("vehicle").get(pk=trip.pk)
    errors: dict[str, list[str]] = {}
    if not trip.trip_stops.filter(stop=stop).exists():
        errors["stop"] = [_("This stop is not on the trip's timetable.")]
    valid_from = data.get("valid_from") or max(year.start_date, timezone.localdate())
    valid_to = data.get("valid_to") or year.end_date
    if not (year.start_date <= valid_from <= valid_to <= year.end_date):
        errors["valid_to"] = [_("The dates must lie within the academic year, in order.")]
    if errors:
        raise ApplicationError(_("This assignment cannot be made."), code="invalid_assignment",
                               fields=errors)  # fmt: skip
    if Assignment.objects.filter(student=student, shift=trip.shift, is_active=True).exists():
        raise refuse(_("The student already rides a trip in this shift."),
                     code="already_assigned", fields=["student"], status_code=409)  # fmt: skip
    seated = trip.assignments.filter(is_active=True).count()
    if seated >= trip.vehicle.seats:
        raise refuse(
            _("The trip is full: all %(seats)s seats are taken.") % {"seats": trip.vehicle.seats},
            code="trip_full", fields=["trip"], status_code=409,
        )  # fmt: skip
    assignment = Assignment(school=school, student=student, year=year, trip=trip, shift=trip.shift,
                            stop=stop, valid_from=valid_from, valid_to=valid_to)  # fmt: skip
    save_checked(assignment)
    audit.record(actor=actor, action="transport.assignment.create", instance=assignment,
                 after=audit.snapshot(assignment, ASSIGNMENT_FIELDS))  # fmt: skip
    trip_id = trip.pk
    transaction.on_commit(lambda: live.scope_forget(trip_id))
    return assignment


@transaction.atomic
def assignment_end(*, assignment: Assignment, actor, on: dt.date | None = None) -> Assignment:
    """End an assignment on `on` (default today): the seat is free again at once. A student
    changing stop gets the old assignment ended and a new one; the fee is pro-rated by days."""
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if not assignment.is_active:
        raise refuse(_("This assignment has already ended."), code="assignment_ended")
    end = on or timezone.localdate()
    if end < assignment.valid_from:
        end = assignment.valid_from
    with audited_change(assignment, actor=actor, action="transport.assignment.end",
                        fields=["valid_to", "is_active"]):  # fmt: skip
        assignment.valid_to = min(assignment.valid_to, end)
        assignment.is_active = False
        assignment.save(update_fields=["valid_to", "is_active", "updated_at"])
    trip_id = assignment.trip_id
    transaction.on_commit(lambda: live.scope_forget(trip_id))
    return assignment


@transaction.atomic
def assignment_set_alerts(*, assignment: Assignment, actor, approaching: bool) -> Assignment:
    """A parent (or the manager) turns the "bus approaching" alert of a ride on or off."""
    with audited_change(assignment, actor=actor, action="transport.assignment.alerts",
                        fields=["approach_alerts"]):  # fmt: skip
        assignment.approach_alerts = approaching
        assignment.save(update_fields=["approach_alerts", "updated_at"])
    return assignment


# --- boarding marks --------------------------------------------------------------------------
@transaction.atomic
def boarding_mark(*, run: TripRun, actor, student, stop, event: str) -> BoardingMark:
    """The attendant marks a rider of the run's trip as boarded or off at a stop of the trip;
    once per run, student and event. The parents are told (notifications app)."""
    if run.status != RunStatus.RUNNING:
        raise refuse(_("This run has ended."), code="run_ended")
    errors = {}
    if not run.trip.assignments.filter(student=student, is_active=True).exists():
        errors["student"] = [_("This student does not ride this trip.")]
    if not run.trip.trip_stops.filter(stop=stop).exists():
        errors["stop"] = [_("This stop is not on the trip's timetable.")]
    if errors:
        raise ApplicationError(_("This mark cannot be made."), code="invalid_mark", fields=errors)
    if BoardingMark.objects.filter(run=run, student=student, event=event).exists():
        raise refuse(_("This student is already marked so on this run."), code="already_marked",
                     fields=["event"], status_code=409)  # fmt: skip
    mark = BoardingMark(school_id=run.school_id, run=run, student=student, stop=stop, event=event,
                        marked_at=timezone.now(), marked_by=actor)  # fmt: skip
    save_checked(mark)
    enqueue_on_commit("apps.transport.tasks.boarding_alert", str(mark.pk))
    return mark


# --- fees ------------------------------------------------------------------------------------
def _rule_for(stop, rules) -> FeeRule | None:
    """The stop's own rule among `rules` (one year's), else the lowest distance slab that holds
    the stop's distance."""
    own = next((r for r in rules if r.kind == FeeRuleKind.STOP and r.stop_id == stop.pk), None)
    if own is not None or stop.distance_km is None:
        return own
    slabs = sorted(
        (r for r in rules if r.kind == FeeRuleKind.SLAB
         and r.min_km <= stop.distance_km < r.max_km),
        key=lambda r: r.min_km,
    )  # fmt: skip
    return slabs[0] if slabs else None


def _priced_rides(assignments, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Each assignment's share of [start, end]: its stop's monthly fee x 12 / 365 per day
    ridden, rounded to the paisa (amount None when no rule applies). Two queries in all: the
    assignments and their years' rules."""
    assignments = list(assignments.select_related("stop", "trip").order_by("valid_from", "pk"))
    rules = defaultdict(list)
    years = {a.year_id for a in assignments}
    for rule in FeeRule.objects.filter(year_id__in=years) if years else ():
        rules[rule.year_id].append(rule)
    rows = []
    for a in assignments:
        first, last = max(a.valid_from, start), min(a.valid_to, end)
        days = (last - first).days + 1
        rule = _rule_for(a.stop, rules[a.year_id])
        monthly = None if rule is None else rule.monthly_amount
        amount = None
        if monthly is not None:
            amount = (monthly * 12 * days / Decimal(365)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        rows.append({"assignment": a, "from": first, "to": last, "days": days,
                     "monthly_amount": monthly, "amount": amount})  # fmt: skip
    return rows


def _overlapping(start: dt.date, end: dt.date):
    return Assignment.objects.filter(Q(valid_from__lte=end) & Q(valid_to__gte=start))


def fee_quote(*, student, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The transport fee of a student for [start, end]: each assignment overlapping the period
    is charged its stop's monthly fee x 12 / 365 per day ridden (so a change of stop mid-term is
    pro-rated by days), rounded to the paisa per assignment."""
    rows = [
        {"assignment": row["assignment"].pk, "trip": row["assignment"].trip.name,
         "stop": row["assignment"].stop.name, **{k: v for k, v in row.items() if k != "assignment"}}
        for row in _priced_rides(_overlapping(start, end).filter(student=student), start, end)
    ]  # fmt: skip
    total = sum((row["amount"] for row in rows if row["amount"] is not None), Decimal("0.00"))
    return {"student": student.pk, "start": start, "end": end, "lines": rows, "total": total}


def fee_totals(
    *, school_id, student_ids: Sequence[Any], start: dt.date, end: dt.date
) -> dict[Any, Decimal]:
    """The transport fee of many students for [start, end], as `fee_quote` totals it (the
    same rule, the same rounding per assignment), in two queries whatever their number:
    {student id: total} for the students who ride in the period. This prices the fee heads
    flagged as transport on invoices (registered in `apps.fees.pricing` by the app config)."""
    rides = _overlapping(start, end).filter(school_id=school_id, student_id__in=student_ids)
    totals: dict[Any, Decimal] = {}
    for row in _priced_rides(rides, start, end):
        if row["amount"] is not None:
            student_id = row["assignment"].student_id
            totals[student_id] = totals.get(student_id, Decimal("0.00")) + row["amount"]
    return totals
