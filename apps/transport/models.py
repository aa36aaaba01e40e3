"""School transport: the fleet and its crew, routes with stops, trips with a timetable, who rides
which trip, the days a trip runs, boarding marks, device tokens and transport fee rules.

The live positions are not here: the latest fix per vehicle lives in Redis (`apps.transport.live`)
and the history in the day-partitioned `transport_ping` table (`apps.transport.history`).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from apps.core.models import SchoolScopedModel


class TransportSettings(SchoolScopedModel):
    """A school's transport rules (one row per school; defaults apply without one)."""

    attendant_required = models.BooleanField(
        _("attendant required"),
        default=True,
        help_text=_("A trip may only run with a trained attendant on board."),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school"], name="transport_settings_one_per_school")
        ]
        verbose_name = _("transport settings")
        verbose_name_plural = _("transport settings")

    def __str__(self) -> str:
        return str(_("Transport settings"))


class VehicleKind(models.TextChoices):
    BUS = "bus", _("Bus")
    MINIBUS = "minibus", _("Minibus")
    VAN = "van", _("Van")
    CAR = "car", _("Car")


# The papers a vehicle must carry: field name -> label.
VEHICLE_DOCUMENTS = {
    "fitness_expiry": _("fitness certificate"),
    "insurance_expiry": _("insurance"),
    "permit_expiry": _("permit"),
    "pollution_expiry": _("pollution certificate"),
}


class Vehicle(SchoolScopedModel):
    """A bus or van. It is roadworthy on a day when none of its papers has expired by then; a
    vehicle that is not roadworthy is kept off trips (it cannot be given to a trip nor run)."""

    registration_number = models.CharField(_("registration number"), max_length=20)
    kind = models.CharField(_("type"), max_length=8, choices=VehicleKind.choices, default="bus")
    seats = models.PositiveSmallIntegerField(
        _("seats"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    gps_device_id = models.CharField(_("GPS device id"), max_length=64, blank=True)
    fitness_expiry = models.DateField(_("fitness valid until"))
    insurance_expiry = models.DateField(_("insurance valid until"))
    permit_expiry = models.DateField(_("permit valid until"))
    pollution_expiry = models.DateField(_("pollution certificate valid until"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["registration_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "registration_number"],
                name="transport_vehicle_registration_unique",
                violation_error_message=_("A vehicle with this registration number exists."),
            )
        ]
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")

    def __str__(self) -> str:
        return self.registration_number

    def expired_documents(self, on: dt.date) -> list[str]:
        """The fields of the papers that are no longer valid on `on`."""
        return [name for name in VEHICLE_DOCUMENTS if getattr(self, name) < on]

    def is_roadworthy(self, on: dt.date) -> bool:
        return self.is_active and not self.expired_documents(on)

    def first_expiry(self) -> dt.date:
        return min(getattr(self, name) for name in VEHICLE_DOCUMENTS)


class CrewRole(models.TextChoices):
    DRIVER = "driver", _("Driver")
    ATTENDANT = "attendant", _("Attendant")


class CrewMember(SchoolScopedModel):
    """A driver or an attendant. A driver needs a licence valid on the day the trip runs.
    `user` links the staff account an attendant marks boarding with (optional)."""

    role = models.CharField(_("role"), max_length=10, choices=CrewRole.choices)
    name = models.CharField(_("name"), max_length=150)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    licence_number = models.CharField(_("licence number"), max_length=32, blank=True)
    licence_expiry = models.DateField(_("licence valid until"), null=True, blank=True)
    badge_number = models.CharField(_("badge number"), max_length=32, blank=True)
    background_check_date = models.DateField(_("background check on"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff account"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["role", "name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="driver")
                | (~Q(licence_number="") & Q(licence_expiry__isnull=False)),
                name="transport_driver_has_licence",
                violation_error_message=_("A driver needs a licence number and its expiry."),
            )
        ]
        verbose_name = _("crew member")
        verbose_name_plural = _("crew")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"

    def licence_valid(self, on: dt.date) -> bool:
        return bool(self.licence_number and self.licence_expiry and self.licence_expiry >= on)


class Route(SchoolScopedModel):
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=16)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "code"],
                name="transport_route_code_unique",
                violation_error_message=_("A route with this code exists."),
            )
        ]
        verbose_name = _("route")
        verbose_name_plural = _("routes")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Stop(SchoolScopedModel):
    """A stop of a route, in the route's order; the bus is "at" it within `geofence_radius_m`."""

    route = models.ForeignKey(
        Route, on_delete=models.CASCADE, related_name="stops", verbose_name=_("route")
    )
    sequence = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=100)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    landmark = models.CharField(_("landmark"), max_length=200, blank=True)
    geofence_radius_m = models.PositiveSmallIntegerField(
        _("geofence radius (m)"),
        default=150,
        validators=[MinValueValidator(20), MaxValueValidator(2000)],
    )
    distance_km = models.DecimalField(
        _("distance from school (km)"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )

    class Meta:
        ordering = ["route", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["route", "sequence"],
                name="transport_stop_sequence_unique",
                violation_error_message=_("The route already has a stop at this position."),
            ),
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90)
                & Q(longitude__gte=-180, longitude__lte=180),
                name="transport_stop_coordinates_valid",
                violation_error_message=_("Latitude or longitude is out of range."),
            ),
        ]
        verbose_name = _("stop")
        verbose_name_plural = _("stops")

    def __str__(self) -> str:
        return f"{self.sequence}. {self.name}"


class Shift(models.TextChoices):
    PICKUP = "pickup", _("Morning pickup")
    DROP = "drop", _("Afternoon drop")


class Trip(SchoolScopedModel):
    """A route driven in one shift by a vehicle with its driver and attendant, with a time per
    stop (TripStop). Its seats are the vehicle's."""

    route = models.ForeignKey(
        Route, on_delete=models.PROTECT, related_name="trips", verbose_name=_("route")
    )
    shift = models.CharField(_("shift"), max_length=8, choices=Shift.choices)
    name = models.CharField(_("name"), max_length=100)
    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.PROTECT, related_name="trips", verbose_name=_("vehicle")
    )
    driver = models.ForeignKey(
        CrewMember, on_delete=models.PROTECT, related_name="driven_trips", verbose_name=_("driver")
    )
    attendant = models.ForeignKey(
        CrewMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attended_trips",
        verbose_name=_("attendant"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["route__code", "shift", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "name"],
                name="transport_trip_name_unique",
                violation_error_message=_("A trip with this name exists."),
            )
        ]
        verbose_name = _("trip")
        verbose_name_plural = _("trips")

    def __str__(self) -> str:
        return self.name


class TripStop(SchoolScopedModel):
    """When a trip is at a stop. In a trip, sequences strictly increase and times never go
    back (checked by `apps.transport.services.trip_set_stops`)."""

    trip = models.ForeignKey(
        Trip, on_delete=models.CASCADE, related_name="trip_stops", verbose_name=_("trip")
    )
    stop = models.ForeignKey(
        Stop, on_delete=models.PROTECT, related_name="trip_stops", verbose_name=_("stop")
    )
    sequence = models.PositiveSmallIntegerField(_("order"))
    scheduled_time = models.TimeField(_("time"))

    class Meta:
        ordering = ["trip", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["trip", "sequence"], name="transport_tripstop_seq"),
            models.UniqueConstraint(fields=["trip", "stop"], name="transport_tripstop_stop"),
        ]
        verbose_name = _("trip stop")
        verbose_name_plural = _("trip stops")

    def __str__(self) -> str:
        return f"{self.trip} {self.sequence}. {self.stop.name} {self.scheduled_time:%H:%M}"


class Assignment(SchoolScopedModel):
    """A student riding a trip in an academic year, boarding (pickup) or alighting (drop) at
    `stop`, from `valid_from` to `valid_to`. At most one active assignment per student and
    shift; active assignments of a trip never exceed its vehicle's seats (both enforced by the
    service under a lock on the trip; the unique constraint is the backstop)."""

    student = models.ForeignKey(
        "accounts.StudentProfile",
        on_delete=models.CASCADE,
        related_name="transport_assignments",
        verbose_name=_("student"),
    )
    year = models.ForeignKey(
        "academics.AcademicYear",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("academic year"),
    )
    trip = models.ForeignKey(
        Trip, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("trip")
    )
    shift = models.CharField(_("shift"), max_length=8, choices=Shift.choices, editable=False)
    stop = models.ForeignKey(
        Stop, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("stop")
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    is_active = models.BooleanField(_("active"), default=True)
    approach_alerts = models.BooleanField(
        _("bus approaching alerts"),
        default=True,
        help_text=_("The parents are told when the bus nears the stop (they may turn it off)."),
    )

    class Meta:
        ordering = ["trip", "stop__sequence", "student__user__full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "shift"],
                condition=Q(is_active=True),
                name="transport_assignment_one_active_per_shift",
                violation_error_message=_("The student already rides a trip in this shift."),
            ),
            models.CheckConstraint(
                condition=Q(valid_to__gte=F("valid_from")),
                name="transport_assignment_dates_ordered",
                violation_error_message=_("The assignment must end on or after its start."),
            ),
        ]
        indexes = [models.Index(fields=["trip", "is_active"], name="transport_assign_trip")]
        verbose_name = _("transport assignment")
        verbose_name_plural = _("transport assignments")

    def __str__(self) -> str:
        return f"{self.student} → {self.trip}"


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    ENDED = "ended", _("Ended")


class TripRun(SchoolScopedModel):
    """One day's running of a trip: from start to end, devices may report its position."""

    trip = models.ForeignKey(
        Trip, on_delete=models.PROTECT, related_name="runs", verbose_name=_("trip")
    )
    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.PROTECT, related_name="runs", verbose_name=_("vehicle")
    )
    date = models.DateField(_("date"))
    status = models.CharField(
        _("status"), max_length=8, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["trip"],
                condition=Q(status="running"),
                name="transport_run_one_running_per_trip",
                violation_error_message=_("This trip is already running."),
            ),
            models.UniqueConstraint(
                fields=["vehicle"],
                condition=Q(status="running"),
                name="transport_run_one_running_per_vehicle",
                violation_error_message=_("This vehicle is already on another trip."),
            ),
        ]
        verbose_name = _("trip run")
        verbose_name_plural = _("trip runs")

    def __str__(self) -> str:
        return f"{self.trip} {self.date}"


class BoardingEvent(models.TextChoices):
    BOARDED = "boarded", _("Boarded")
    ALIGHTED = "alighted", _("Got off")


class BoardingMark(SchoolScopedModel):
    """Who got on and off where, marked by the attendant during a run."""

    run = models.ForeignKey(
        TripRun, on_delete=models.CASCADE, related_name="marks", verbose_name=_("run")
    )
    student = models.ForeignKey(
        "accounts.StudentProfile",
        on_delete=models.CASCADE,
        related_name="boarding_marks",
        verbose_name=_("student"),
    )
    stop = models.ForeignKey(
        Stop, on_delete=models.PROTECT, related_name="+", verbose_name=_("stop")
    )
    event = models.CharField(_("event"), max_length=8, choices=BoardingEvent.choices)
    marked_at = models.DateTimeField(_("marked at"))
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["-marked_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "student", "event"],
                name="transport_mark_once",
                violation_error_message=_("This student is already marked so on this run."),
            )
        ]
        verbose_name = _("boarding mark")
        verbose_name_plural = _("boarding marks")

    def __str__(self) -> str:
        return f"{self.student} {self.event} {self.stop.name}"


class DeviceToken(SchoolScopedModel):
    """A bus's GPS unit or driver's phone, allowed to report the vehicle's position. Only a
    SHA-256 of the token is kept; the token itself is shown once, when it is made."""

    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.CASCADE, related_name="devices", verbose_name=_("vehicle")
    )
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("token starts with"), max_length=8, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["vehicle", "name"]
        verbose_name = _("device token")
        verbose_name_plural = _("device tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class FeeRuleKind(models.TextChoices):
    STOP = "stop", _("Per stop")
    SLAB = "slab", _("Distance slab")


class FeeRule(SchoolScopedModel):
    """The monthly transport fee of a year: for one stop, or for stops whose distance from the
    school falls in [min_km, max_km). A stop's own rule wins over a slab."""

    year = models.ForeignKey(
        "academics.AcademicYear", on_delete=models.CASCADE, related_name="+",
        verbose_name=_("academic year"),
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=4, choices=FeeRuleKind.choices)
    stop = models.ForeignKey(
        Stop, on_delete=models.CASCADE, null=True, blank=True, related_name="fee_rules",
        verbose_name=_("stop"),
    )  # fmt: skip
    min_km = models.DecimalField(
        _("from km"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    max_km = models.DecimalField(_("to km"), max_digits=5, decimal_places=1, null=True, blank=True)
    monthly_amount = models.DecimalField(
        _("monthly amount"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["year", "kind", "min_km"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="stop") & Q(stop__isnull=False))
                | (
                    Q(kind="slab", stop__isnull=True, min_km__isnull=False, max_km__isnull=False)
                    & Q(max_km__gt=F("min_km"))
                ),
                name="transport_feerule_shape",
                violation_error_message=_(
                    "A stop rule names a stop; a slab has from and to km, to above from."
                ),
            ),
            models.UniqueConstraint(
                fields=["year", "stop"],
                condition=Q(kind="stop"),
                name="transport_feerule_stop_unique",
                violation_error_message=_("This stop already has a fee for the year."),
            ),
        ]
        verbose_name = _("transport fee rule")
        verbose_name_plural = _("transport fee rules")

    def __str__(self) -> str:
        if self.kind == FeeRuleKind.STOP:
            return f"{self.stop}: {self.monthly_amount}"
        return f"{self.min_km}-{self.max_km} km: {self.monthly_amount}"
