"""Who may see what of transport (see apps.core.access for the rules per role).

- school admins: everything of their school;
- staff with the Transport manager duty: everything of their school (the duty holds every
  transport permission, apps.transport.apps.manager_permissions); other staff (an accountant):
  nothing, except the fee quote for the fee office (`may_quote_fees`);
- parents: the trips their children actively ride, those assignments and boarding marks, and
  the bus's live position only while such a trip runs; students the same of their own;
- teachers: nothing;
- device tokens: nothing at all (they only report positions; they are not users).
"""

from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.models import Role
from apps.core.access import is_platform_superuser, register_scope, scope_queryset

from .models import (
    Assignment,
    BoardingMark,
    CrewMember,
    DeviceToken,
    FeeRule,
    Route,
    Stop,
    TransportSettings,
    Trip,
    TripRun,
    TripStop,
    Vehicle,
)


def family_student_ids(user) -> QuerySet:
    """A parent's children, a student themself; nobody for other roles."""
    from apps.accounts.models import StudentProfile
    from apps.accounts.scopes import child_student_ids

    if user.role == Role.PARENT:
        return child_student_ids(user)
    if user.role == Role.STUDENT:
        return StudentProfile.objects.filter(user=user, school_id=user.school_id).values("pk")
    return StudentProfile.objects.none().values("pk")


def _by_student(path: str):
    def rule(qs, user):
        if user.role in (Role.PARENT, Role.STUDENT):
            return qs.filter(**{f"{path}__in": family_student_ids(user)})
        return qs.none()

    return rule


def _ridden_trips(qs, user):
    if user.role in (Role.PARENT, Role.STUDENT):
        ridden = Assignment.objects.filter(
            is_active=True, student__in=family_student_ids(user)
        ).values("trip_id")
        return qs.filter(pk__in=ridden)
    return qs.none()


# Fleet, crew, routes, runs, devices and fee rules: the manager's only.
for _model in (TransportSettings, Vehicle, CrewMember, Route, Stop, TripStop, TripRun,
               DeviceToken, FeeRule):  # fmt: skip
    register_scope(_model)
register_scope(Trip, _ridden_trips)
register_scope(Assignment, _by_student("student"))
register_scope(BoardingMark, _by_student("student"))


def manages_transport(user) -> bool:
    """A school admin, a platform superuser, or staff holding the Transport manager duty."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if is_platform_superuser(user):
        return True
    if user.school_id is None:
        return False
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.STAFF and user.has_perm("transport.change_trip")


def may_quote_fees(user) -> bool:
    """The transport fee of a student: the transport manager, and the fee office that bills it."""
    from apps.fees.scopes import manages_fees

    return manages_transport(user) or manages_fees(user)


def readable_trips(user) -> QuerySet:
    return scope_queryset(Trip.objects.all(), user)


def readable_runs(user) -> QuerySet:
    return scope_queryset(TripRun.objects.all(), user)


def can_mark_boarding(user, run: TripRun) -> bool:
    """The transport manager, or the attendant of the run's trip (through their staff account)."""
    if manages_transport(user):
        return is_platform_superuser(user) or run.school_id == user.school_id
    attendant = run.trip.attendant
    return bool(attendant and attendant.user_id and attendant.user_id == user.pk)


def may_mark_boarding(user) -> bool:
    """Whether `user` may mark boarding on some run: the manager, or an attendant's account."""
    return (
        manages_transport(user)
        or CrewMember.objects.filter(
            user_id=user.pk, role="attendant", is_active=True, school_id=user.school_id
        ).exists()
    )


def boarding_lookups(run: TripRun) -> dict[str, QuerySet]:
    """The students and stops a boarding mark on `run` may name: its school's (the attendant
    cannot browse students; `boarding_mark` checks that the student rides the trip and the stop
    is on it). Only for a caller `can_mark_boarding` let through."""
    from apps.accounts.models import StudentProfile

    return {
        "student": StudentProfile.objects.filter(school_id=run.school_id),
        "stop": Stop.objects.filter(school_id=run.school_id),
    }


def fee_quote_students(user) -> QuerySet:
    """Whose transport fee `user` may quote: their school's students for the transport manager
    and the fee office (an accountant reads no student list otherwise), nobody for the rest."""
    from apps.accounts.models import StudentProfile

    if not may_quote_fees(user):
        return StudentProfile.objects.none()
    return StudentProfile.objects.filter(school_id=user.school_id)


def position_scope(user, trip_id):
    """What `user` may see of the trip's live position: "*" (the whole trip: the transport
    manager), the list of {student, stop} their children ride it with (parents, students:
    only active assignments valid today), or False (not theirs: a 404)."""
    if manages_transport(user):
        trips = Trip.objects.filter(pk=trip_id)
        if not is_platform_superuser(user):
            trips = trips.filter(school_id=user.school_id)
        return "*" if trips.exists() else False
    if user.role not in (Role.PARENT, Role.STUDENT) or user.school_id is None:
        return False
    from apps.attendance.selectors import school_today

    today = school_today(user.school)
    rows = list(
        Assignment.objects.filter(
            trip_id=trip_id, school_id=user.school_id, is_active=True,
            valid_from__lte=today, valid_to__gte=today,
            student__in=family_student_ids(user),
        ).values_list("student_id", "stop_id")
    )  # fmt: skip
    if not rows:
        return False
    return [{"student": str(student), "stop": str(stop)} for student, stop in rows]
