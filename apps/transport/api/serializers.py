"""Output serializers (read-only) and input serializers (related ids looked up inside the
caller's school) of the transport API."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.academics.models import AcademicYear
from apps.accounts.models import StudentProfile, User
from apps.core.api.fields import GrantedRelatedField, SchoolRelatedField

from ..models import (
    Assignment,
    BoardingEvent,
    BoardingMark,
    CrewMember,
    CrewRole,
    DeviceToken,
    FeeRule,
    FeeRuleKind,
    Route,
    Shift,
    Stop,
    Trip,
    TripRun,
    TripStop,
    Vehicle,
    VehicleKind,
)


# --- vehicles --------------------------------------------------------------------------------
class VehicleSerializer(serializers.ModelSerializer):
    roadworthy = serializers.SerializerMethodField()
    expired_documents = serializers.SerializerMethodField()

    class Meta:
        model = Vehicle
        fields = ["id", "registration_number", "kind", "seats", "gps_device_id",
                  "fitness_expiry", "insurance_expiry", "permit_expiry", "pollution_expiry",
                  "is_active", "roadworthy", "expired_documents", "created_at"]  # fmt: skip
        read_only_fields = fields

    def _today(self):
        from ..services import school_today

        if "today" not in self.context:
            self.context["today"] = school_today(self.context["request"].user.school)
        return self.context["today"]

    def get_roadworthy(self, obj) -> bool:
        return obj.is_roadworthy(self._today())

    def get_expired_documents(self, obj) -> list[str]:
        return obj.expired_documents(self._today())


class VehicleInputSerializer(serializers.Serializer):
    registration_number = serializers.RegexField(r"^[A-Z0-9 -]{4,20}$", max_length=20)
    kind = serializers.ChoiceField(VehicleKind.choices, default=VehicleKind.BUS)
    seats = serializers.IntegerField(min_value=1, max_value=100)
    gps_device_id = serializers.CharField(max_length=64, default="", allow_blank=True)
    fitness_expiry = serializers.DateField()
    insurance_expiry = serializers.DateField()
    permit_expiry = serializers.DateField()
    pollution_expiry = serializers.DateField()
    is_active = serializers.BooleanField(default=True)


# --- crew ------------------------------------------------------------------------------------
class CrewSerializer(serializers.ModelSerializer):
    class Meta:
        model = CrewMember
        fields = ["id", "role", "name", "phone", "licence_number", "licence_expiry",
                  "badge_number", "background_check_date", "user", "is_active", "created_at"]  # fmt: skip
        read_only_fields = fields


class CrewInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(CrewRole.choices)
    name = serializers.CharField(max_length=150)
    phone = serializers.RegexField(r"^\+?[0-9 -]{6,20}$", default="", allow_blank=True)
    licence_number = serializers.CharField(max_length=32, default="", allow_blank=True)
    licence_expiry = serializers.DateField(required=False, allow_null=True)
    badge_number = serializers.CharField(max_length=32, default="", allow_blank=True)
    background_check_date = serializers.DateField(required=False, allow_null=True)
    user = SchoolRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    is_active = serializers.BooleanField(default=True)


# --- routes and stops ------------------------------------------------------------------------
class RouteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Route
        fields = ["id", "name", "code", "is_active", "created_at"]
        read_only_fields = fields


class RouteInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    code = serializers.RegexField(r"^[A-Z0-9_-]{1,16}$", max_length=16)
    is_active = serializers.BooleanField(default=True)


COORD = {"max_digits": 9, "decimal_places": 6}


class StopSerializer(serializers.ModelSerializer):
    class Meta:
        model = Stop
        fields = ["id", "route", "sequence", "name", "latitude", "longitude", "landmark",
                  "geofence_radius_m", "distance_km"]  # fmt: skip
        read_only_fields = fields


class StopInputSerializer(serializers.Serializer):
    route = SchoolRelatedField(queryset=Route.objects.all())
    sequence = serializers.IntegerField(min_value=1, max_value=500)
    name = serializers.CharField(max_length=100)
    latitude = serializers.DecimalField(**COORD, min_value=-90, max_value=90)
    longitude = serializers.DecimalField(**COORD, min_value=-180, max_value=180)
    landmark = serializers.CharField(max_length=200, default="", allow_blank=True)
    geofence_radius_m = serializers.IntegerField(min_value=20, max_value=2000, default=150)
    distance_km = serializers.DecimalField(max_digits=5, decimal_places=1, min_value=0,
                                           required=False, allow_null=True)  # fmt: skip


# --- trips -----------------------------------------------------------------------------------
class TripStopSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="stop.name", read_only=True)

    class Meta:
        model = TripStop
        fields = ["stop", "name", "sequence", "scheduled_time"]
        read_only_fields = fields


class TripSerializer(serializers.ModelSerializer):
    stops = TripStopSerializer(source="trip_stops", many=True, read_only=True)
    seats = serializers.IntegerField(source="vehicle.seats", read_only=True)
    seats_taken = serializers.IntegerField(source="riders", read_only=True)

    class Meta:
        model = Trip
        fields = ["id", "name", "route", "shift", "vehicle", "driver", "attendant", "is_active",
                  "seats", "seats_taken", "stops"]  # fmt: skip
        read_only_fields = fields


class TripStopInputSerializer(serializers.Serializer):
    stop = SchoolRelatedField(queryset=Stop.objects.all())
    sequence = serializers.IntegerField(min_value=1, max_value=500)
    scheduled_time = serializers.TimeField()


class TripInputSerializer(serializers.Serializer):
    route = SchoolRelatedField(queryset=Route.objects.all())
    shift = serializers.ChoiceField(Shift.choices)
    name = serializers.CharField(max_length=100)
    vehicle = SchoolRelatedField(queryset=Vehicle.objects.all())
    driver = SchoolRelatedField(queryset=CrewMember.objects.all())
    attendant = SchoolRelatedField(queryset=CrewMember.objects.all(), required=False,
                                   allow_null=True)  # fmt: skip
    is_active = serializers.BooleanField(default=True)
    stops = TripStopInputSerializer(many=True, min_length=1)


class TripUpdateSerializer(TripInputSerializer):
    shift = None  # fixed: assignments are per shift


class TripRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = TripRun
        fields = ["id", "trip", "vehicle", "date", "status", "started_at", "ended_at"]
        read_only_fields = fields


# --- live position ---------------------------------------------------------------------------
class PositionFixSerializer(serializers.Serializer):
    lat = serializers.FloatField()
    lon = serializers.FloatField()
    speed_kmh = serializers.FloatField(allow_null=True)
    heading = serializers.FloatField(allow_null=True)
    accuracy_m = serializers.FloatField(allow_null=True)
    fix_time = serializers.DateTimeField()


class WatchedStopSerializer(serializers.Serializer):
    stop = serializers.UUIDField()
    name = serializers.CharField()
    student = serializers.UUIDField(allow_null=True, help_text=_("The child watching this stop."))
    scheduled_time = serializers.CharField()
    reached = serializers.BooleanField()
    eta = serializers.DateTimeField(allow_null=True)


class NextStopSerializer(serializers.Serializer):
    stop = serializers.UUIDField()
    name = serializers.CharField()
    scheduled_time = serializers.CharField()


class PositionSerializer(serializers.Serializer):
    trip = serializers.UUIDField()
    running = serializers.BooleanField()
    position = PositionFixSerializer(allow_null=True)
    stale = serializers.BooleanField(allow_null=True)
    next_stop = NextStopSerializer(allow_null=True)
    stops = WatchedStopSerializer(many=True)


class FixInputSerializer(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lon = serializers.FloatField(min_value=-180, max_value=180)
    speed_kmh = serializers.FloatField(min_value=0, max_value=250, required=False, allow_null=True)
    heading = serializers.FloatField(min_value=0, max_value=360, required=False, allow_null=True)
    fix_time = serializers.DateTimeField()
    accuracy_m = serializers.FloatField(min_value=0, max_value=10000, required=False,
                                        allow_null=True)  # fmt: skip

    def validate(self, attrs):
        if attrs["lat"] == 0 and attrs["lon"] == 0:  # "null island": a unit without a fix
            raise serializers.ValidationError({"lat": [_("This is not a real position (0, 0).")]})
        return attrs


class PingBatchSerializer(serializers.Serializer):
    fixes = FixInputSerializer(
        many=True, min_length=1, max_length=settings.TRANSPORT_PING_MAX_BATCH
    )


class PingAcceptedSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    run = serializers.UUIDField()


# --- riders ----------------------------------------------------------------------------------
class TransportAssignmentSerializer(serializers.ModelSerializer):
    student_name = serializers.CharField(source="student.user.full_name", read_only=True)
    trip_name = serializers.CharField(source="trip.name", read_only=True)
    stop_name = serializers.CharField(source="stop.name", read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "student", "student_name", "year", "trip", "trip_name", "shift", "stop",
                  "stop_name", "valid_from", "valid_to", "is_active", "approach_alerts",
                  "created_at"]  # fmt: skip
        read_only_fields = fields


class TransportAssignmentInputSerializer(serializers.Serializer):
    student = SchoolRelatedField(queryset=StudentProfile.objects.all())
    year = SchoolRelatedField(queryset=AcademicYear.objects.all())
    trip = SchoolRelatedField(queryset=Trip.objects.all())
    stop = SchoolRelatedField(queryset=Stop.objects.all())
    valid_from = serializers.DateField(required=False)
    valid_to = serializers.DateField(required=False)


class TransportAssignmentEndSerializer(serializers.Serializer):
    on = serializers.DateField(required=False, help_text=_("The last day ridden; default today."))


class TransportAssignmentAlertsSerializer(serializers.Serializer):
    approaching = serializers.BooleanField(
        help_text=_("Tell the parents as the bus nears the stop.")
    )


class BoardingMarkSerializer(serializers.ModelSerializer):
    student_name = serializers.CharField(source="student.user.full_name", read_only=True)
    stop_name = serializers.CharField(source="stop.name", read_only=True)

    class Meta:
        model = BoardingMark
        fields = ["id", "run", "student", "student_name", "stop", "stop_name", "event",
                  "marked_at"]  # fmt: skip
        read_only_fields = fields


class BoardingMarkInputSerializer(serializers.Serializer):
    # The view grants the run's students and stops (scopes.boarding_lookups).
    student = GrantedRelatedField(queryset=StudentProfile.objects.none())
    stop = GrantedRelatedField(queryset=Stop.objects.none())
    event = serializers.ChoiceField(BoardingEvent.choices)


# --- devices ---------------------------------------------------------------------------------
class VehicleDeviceSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeviceToken
        fields = ["id", "vehicle", "name", "prefix", "revoked_at", "created_at"]
        read_only_fields = fields


class DeviceCreatedSerializer(VehicleDeviceSerializer):
    token = serializers.CharField(read_only=True, help_text=_("Shown once; only a hash is kept."))

    class Meta(VehicleDeviceSerializer.Meta):
        fields = [*VehicleDeviceSerializer.Meta.fields, "token"]
        read_only_fields = fields


class DeviceInputSerializer(serializers.Serializer):
    vehicle = SchoolRelatedField(queryset=Vehicle.objects.all())
    name = serializers.CharField(max_length=100)


# --- fees ------------------------------------------------------------------------------------
class FeeRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = FeeRule
        fields = ["id", "year", "kind", "stop", "min_km", "max_km", "monthly_amount"]
        read_only_fields = fields


class FeeRuleInputSerializer(serializers.Serializer):
    year = SchoolRelatedField(queryset=AcademicYear.objects.all())
    kind = serializers.ChoiceField(FeeRuleKind.choices)
    stop = SchoolRelatedField(queryset=Stop.objects.all(), required=False, allow_null=True)
    min_km = serializers.DecimalField(max_digits=5, decimal_places=1, min_value=0, required=False,
                                      allow_null=True)  # fmt: skip
    max_km = serializers.DecimalField(max_digits=5, decimal_places=1, min_value=0, required=False,
                                      allow_null=True)  # fmt: skip
    monthly_amount = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)


class FeeQuoteQuerySerializer(serializers.Serializer):
    # The view grants scopes.fee_quote_students.
    student = GrantedRelatedField(queryset=StudentProfile.objects.none())
    start = serializers.DateField()
    end = serializers.DateField()

    def validate(self, attrs):
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": [_("The end must not be before the start.")]})
        return attrs


class FeeQuoteLineSerializer(serializers.Serializer):
    assignment = serializers.UUIDField()
    trip = serializers.CharField()
    stop = serializers.CharField()
    # "from" is a keyword: declared below
    to = serializers.DateField()
    days = serializers.IntegerField()
    monthly_amount = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)


FeeQuoteLineSerializer._declared_fields["from"] = serializers.DateField()


class FeeQuoteSerializer(serializers.Serializer):
    student = serializers.UUIDField()
    start = serializers.DateField()
    end = serializers.DateField()
    lines = FeeQuoteLineSerializer(many=True)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)


# --- rosters ---------------------------------------------------------------------------------
class RosterRiderSerializer(serializers.Serializer):
    student = serializers.UUIDField()
    name = serializers.CharField()
    admission_number = serializers.CharField()
    class_section = serializers.CharField()
    parent_phone = serializers.CharField()
    absent_today = serializers.BooleanField()


class RosterStopSerializer(serializers.Serializer):
    stop = serializers.UUIDField()
    name = serializers.CharField()
    landmark = serializers.CharField()
    sequence = serializers.IntegerField()
    scheduled_time = serializers.TimeField()
    riders = RosterRiderSerializer(many=True)


class RosterSerializer(serializers.Serializer):
    trip = serializers.UUIDField()
    name = serializers.CharField()
    shift = serializers.CharField()
    date = serializers.DateField()
    vehicle = serializers.CharField()
    seats = serializers.IntegerField()
    riders = serializers.IntegerField()
    stops = RosterStopSerializer(many=True)
