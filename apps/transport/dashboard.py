"""Transport on the dashboards: the fleet today (school admins, staff with the Transport manager
duty) and each child's bus (families)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from apps.accounts.models import Role
from apps.core.access import scope_queryset
from apps.dashboard.registry import register

from . import scopes
from .models import Assignment, RunStatus, Trip, TripRun, Vehicle

PAPERS_WARNING_DAYS = 30


@register([Role.ADMIN, Role.STAFF], "transport")
def fleet(ctx):
    """Active trips, today's runs by status (running, ended, not started), and vehicles whose
    fitness, insurance, permit or pollution papers run out within PAPERS_WARNING_DAYS days."""
    if not scopes.manages_transport(ctx.user):
        return None
    trips = Trip.objects.filter(school_id=ctx.school.pk, is_active=True).count()
    runs = list(
        TripRun.objects.filter(school_id=ctx.school.pk, date=ctx.today)
        .select_related("trip", "vehicle")
        .order_by("started_at")
    )
    soon = ctx.today + dt.timedelta(days=PAPERS_WARNING_DAYS)
    papers = list(
        Vehicle.objects.filter(school_id=ctx.school.pk, is_active=True)
        .filter(Q(fitness_expiry__lte=soon) | Q(insurance_expiry__lte=soon)
                | Q(permit_expiry__lte=soon) | Q(pollution_expiry__lte=soon))
        .order_by("registration_number")
        .values("pk", "registration_number", "fitness_expiry", "insurance_expiry",
                "permit_expiry", "pollution_expiry")
    )  # fmt: skip
    running = [r for r in runs if r.status == RunStatus.RUNNING]
    out = {
        "trips": trips,
        "runs_today": len(runs),
        "running": [
            {
                "trip": str(r.trip_id),
                "name": r.trip.name,
                "vehicle": r.vehicle.registration_number,
                "started_at": r.started_at,
            }
            for r in running
        ],  # fmt: skip
        "ended": sum(1 for r in runs if r.status == RunStatus.ENDED),
        "not_started": max(0, trips - len({r.trip_id for r in runs})),
        "papers_expiring": [
            {
                "vehicle": str(v["pk"]),
                "registration_number": v["registration_number"],
                "expires": min(
                    v["fitness_expiry"],
                    v["insurance_expiry"],
                    v["permit_expiry"],
                    v["pollution_expiry"],
                ),
            }
            for v in papers
        ],  # fmt: skip
    }
    if papers:
        out["alerts"] = [{"kind": "vehicle_papers_expiring", "count": len(papers)}]
    return out


@register([Role.PARENT, Role.STUDENT], "transport")
def family_bus(ctx):
    """Each child's trips today (stop, shift) and whether the bus is running now."""
    rides = list(
        scope_queryset(Assignment.objects.all(), ctx.user)
        .filter(is_active=True, valid_from__lte=ctx.today, valid_to__gte=ctx.today)
        .select_related("trip", "stop")
        .order_by("shift")
    )
    runs = {
        r["trip_id"]: r
        for r in TripRun.objects.filter(
            school_id=ctx.school.pk, date=ctx.today, trip_id__in={a.trip_id for a in rides}
        ).values("trip_id", "status", "started_at", "ended_at")
    }
    by_child: dict[str, list] = {}
    for a in rides:
        run = runs.get(a.trip_id)
        by_child.setdefault(str(a.student_id), []).append(
            {"trip": str(a.trip_id), "name": a.trip.name, "shift": a.shift, "stop": a.stop.name,
             "status": run["status"] if run else "not_started",
             "started_at": run["started_at"] if run else None}
        )  # fmt: skip
    return {
        "children": [
            {"student": c["id"], "name": c["name"], "trips": by_child.get(c["id"], [])}
            for c in ctx.children
        ]
    }
