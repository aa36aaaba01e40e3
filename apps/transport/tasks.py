"""Celery tasks of transport: thin, take ids, safe to run twice (each alert is deduplicated)."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from apps.core.periodic import PeriodicSchedule

logger = logging.getLogger("schools24.transport")

FLUSH_TASK = "apps.transport.tasks.flush_pings"
PARTITION_TASK = "apps.transport.tasks.maintain_partitions"
EXPIRY_TASK = "apps.transport.tasks.expiry_alerts"
EXPIRY_DAYS = (30, 15, 1)

FLUSH_SCHEDULE = PeriodicSchedule(
    name="transport: write buffered pings", task=FLUSH_TASK,
    interval_setting="TRANSPORT_PING_FLUSH_INTERVAL",
    description="Writes the buffered bus positions to the day-partitioned history.",
)  # fmt: skip
PARTITION_SCHEDULE = PeriodicSchedule(
    name="transport: ping partitions", task=PARTITION_TASK,
    interval_setting="TRANSPORT_PARTITION_INTERVAL",
    description="Creates the ping history's day partitions ahead and drops expired ones.",
)  # fmt: skip
EXPIRY_SCHEDULE = PeriodicSchedule(
    name="transport: expiring papers", task=EXPIRY_TASK,
    interval_setting="TRANSPORT_EXPIRY_INTERVAL",
    description="Tells transport managers of papers and licences expiring in 30, 15 or 1 days.",
)  # fmt: skip


@shared_task(name=FLUSH_TASK, acks_late=True, soft_time_limit=240, time_limit=300)
def flush_pings() -> int:
    from .history import flush

    return flush()


@shared_task(name=PARTITION_TASK, acks_late=True, soft_time_limit=240, time_limit=300)
def maintain_partitions() -> dict:
    from .history import ensure_partitions, purge

    return {"made": ensure_partitions(), "dropped": purge()}


def managers_of(school_id):
    """Who hears of the fleet: staff with the Transport manager duty, else the school admins."""
    from apps.accounts.duties import TRANSPORT_MANAGER
    from apps.accounts.models import Role, User

    users = User.objects.filter(school_id=school_id, is_active=True)
    staff = list(users.filter(role=Role.STAFF, groups__name=TRANSPORT_MANAGER).distinct())
    return staff or list(users.filter(role=Role.ADMIN))


def parents_of(student_ids):
    from apps.accounts.models import Guardian

    links = Guardian.objects.filter(student_id__in=student_ids).select_related("parent")
    found: dict = {}
    for link in links:
        found.setdefault(link.student_id, []).append(link.parent)
    return found


@shared_task(
    name="apps.transport.tasks.approach_alerts", acks_late=True, soft_time_limit=50, time_limit=60
)
def approach_alerts(run_id: str, stop_id: str) -> int:
    """ "The bus is approaching your stop": once per run and child (a Redis SET NX key, and the
    notification's dedupe key behind it), to the parents of the riders of that stop."""
    from apps.notifications.kinds import TRANSPORT_APPROACHING
    from apps.notifications.services import Message, notify_many

    from . import live
    from .models import Assignment, RunStatus, TripRun

    run = TripRun.objects.select_related("trip").filter(pk=run_id).first()
    if run is None or run.status != RunStatus.RUNNING:
        return 0
    riders = Assignment.objects.filter(
        trip_id=run.trip_id, stop_id=stop_id, is_active=True, approach_alerts=True,
        valid_from__lte=run.date, valid_to__gte=run.date,
    ).select_related("stop", "student__user")  # fmt: skip
    riders = [a for a in riders if live.once(f"approach:{run_id}:{a.student_id}", 86400)]
    parents = parents_of([a.student_id for a in riders])
    messages = [
        Message(
            parents.get(a.student_id, []),
            TRANSPORT_APPROACHING,
            _("The bus is approaching your stop"),
            format_lazy(
                _("{bus} is near {stop} for {child}."),
                bus=run.trip.name,
                stop=a.stop.name,
                child=a.student.user.full_name,
            ),
            data={
                "trip": str(run.trip_id),
                "run": run_id,
                "stop": stop_id,
                "student": str(a.student_id),
            },
            dedupe_key=f"transport.approaching:{run_id}:{a.student_id}",
        )  # fmt: skip
        for a in riders
    ]
    return len(notify_many(messages)) if messages else 0


@shared_task(name="apps.transport.tasks.delay_alert", acks_late=True, soft_time_limit=50,
             time_limit=60)  # fmt: skip
def delay_alert(run_id: str, stop_id: str, minutes: int) -> int:
    """The bus is running late: the parents of the riders of the stops still ahead, and the
    managers, once per run (dedupe key)."""
    from apps.notifications.kinds import TRANSPORT_DELAYED
    from apps.notifications.services import notify

    from .models import Assignment, TripRun

    run = TripRun.objects.select_related("trip").filter(pk=run_id).first()
    if run is None:
        return 0
    passed = run.trip.trip_stops.filter(stop_id=stop_id).values_list("sequence", flat=True).first()
    waiting = Assignment.objects.filter(
        trip_id=run.trip_id, is_active=True, valid_from__lte=run.date, valid_to__gte=run.date,
        stop__trip_stops__trip_id=run.trip_id, stop__trip_stops__sequence__gt=passed or 0,
    ).values_list("student_id", flat=True)  # fmt: skip
    parents = [p for group in parents_of(list(waiting)).values() for p in group]
    return len(notify(
        recipients=parents + managers_of(run.school_id), kind=TRANSPORT_DELAYED,
        title=_("The bus is running late"),
        body=format_lazy(_("{bus} is about {minutes} minutes behind its timetable."),
                         bus=run.trip.name, minutes=minutes),
        data={"run": run_id, "trip": str(run.trip_id), "minutes": minutes},
        dedupe_key=f"transport.delayed:{run_id}",
    ))  # fmt: skip


@shared_task(
    name="apps.transport.tasks.boarding_alert", acks_late=True, soft_time_limit=50, time_limit=60
)
def boarding_alert(mark_id: str) -> int:
    """ "Child boarded" / "child dropped" to the parents, once per mark."""
    from apps.notifications.kinds import TRANSPORT_BOARDED, TRANSPORT_DROPPED
    from apps.notifications.services import notify

    from .models import BoardingEvent, BoardingMark

    mark = (
        BoardingMark.objects.select_related("student__user", "stop", "run__trip")
        .filter(pk=mark_id)
        .first()
    )
    if mark is None:
        return 0
    boarded = mark.event == BoardingEvent.BOARDED
    title = _("Your child boarded the bus") if boarded else _("Your child got off the bus")
    body = format_lazy(
        _("{child} boarded {bus} at {stop}.") if boarded else _("{child} got off {bus} at {stop}."),
        child=mark.student.user.full_name, bus=mark.run.trip.name, stop=mark.stop.name,
    )  # fmt: skip
    return len(notify(
        recipients=parents_of([mark.student_id]).get(mark.student_id, []),
        kind=TRANSPORT_BOARDED if boarded else TRANSPORT_DROPPED, title=title, body=body,
        data={"run": str(mark.run_id), "student": str(mark.student_id), "stop": str(mark.stop_id)},
        dedupe_key=f"transport.mark:{mark.pk}",
    ))  # fmt: skip


@shared_task(
    name="apps.transport.tasks.overspeed_alert", acks_late=True, soft_time_limit=50, time_limit=60
)
def overspeed_alert(run_id: str, speed_kmh: float) -> int:
    from django.conf import settings

    from apps.notifications.kinds import TRANSPORT_OVERSPEED
    from apps.notifications.services import notify

    from .models import TripRun

    run = TripRun.objects.select_related("trip", "vehicle").filter(pk=run_id).first()
    if run is None:
        return 0
    return len(notify(
        recipients=managers_of(run.school_id), kind=TRANSPORT_OVERSPEED,
        title=_("A bus is over the speed limit"),
        body=format_lazy(_("{vehicle} on {trip} was at {speed} km/h (limit {limit})."),
                         vehicle=run.vehicle.registration_number, trip=run.trip.name,
                         speed=round(speed_kmh), limit=round(settings.TRANSPORT_SPEED_LIMIT_KMH)),
        data={"run": run_id, "vehicle": str(run.vehicle_id), "speed_kmh": speed_kmh},
    ))  # fmt: skip


@shared_task(name=EXPIRY_TASK, acks_late=True, soft_time_limit=240, time_limit=300)
def expiry_alerts(on: str | None = None) -> int:
    """Papers (fitness, insurance, permit, pollution) and driving licences that expire in
    exactly 30, 15 or 1 days: each told to the managers once (dedupe key per paper, expiry date
    and lead time), so a job run twice a day sends nothing twice."""
    from apps.accounts.models import School
    from apps.notifications.kinds import TRANSPORT_EXPIRY
    from apps.notifications.services import Message, notify_many

    from .models import VEHICLE_DOCUMENTS, CrewMember, Vehicle
    from .services import school_today

    messages = []
    for school in School.objects.filter(is_active=True):
        today = dt.date.fromisoformat(on) if on else school_today(school)
        targets = {today + dt.timedelta(days=n): n for n in EXPIRY_DAYS}
        managers = None
        for vehicle in Vehicle.objects.filter(school=school, is_active=True):
            for field, label in VEHICLE_DOCUMENTS.items():
                expiry = getattr(vehicle, field)
                if expiry in targets:
                    managers = managers if managers is not None else managers_of(school.pk)
                    messages.append(Message(
                        managers, TRANSPORT_EXPIRY, _("A vehicle's papers expire soon"),
                        format_lazy(_("The {paper} of {vehicle} expires on {date} (in {days} days)."),
                                    paper=label, vehicle=vehicle.registration_number,
                                    date=expiry.isoformat(), days=targets[expiry]),
                        data={"vehicle": str(vehicle.pk), "paper": field, "expires": expiry},
                        dedupe_key=f"transport.expiry:{vehicle.pk}:{field}:{expiry}:{targets[expiry]}",
                    ))  # fmt: skip
        for crew in CrewMember.objects.filter(school=school, is_active=True,
                                              licence_expiry__in=list(targets)):  # fmt: skip
            managers = managers if managers is not None else managers_of(school.pk)
            expiry = crew.licence_expiry
            messages.append(Message(
                managers, TRANSPORT_EXPIRY, _("A driving licence expires soon"),
                format_lazy(_("The licence of {name} expires on {date} (in {days} days)."),
                            name=crew.name, date=expiry.isoformat(), days=targets[expiry]),
                data={"crew": str(crew.pk), "expires": expiry},
                dedupe_key=f"transport.expiry:{crew.pk}:licence:{expiry}:{targets[expiry]}",
            ))  # fmt: skip
    return len(notify_many(messages)) if messages else 0
