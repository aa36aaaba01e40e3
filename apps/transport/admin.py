"""Transport in the admin: the fleet with expiry badges, crew, routes with their stops in order,
trips with their stop times and seat counts, assignments (read here; made through the API, which
enforces the seats under a lock), runs with the bus's last position and staleness, devices."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import admin
from django.db.models import Count, Q
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.core.admin import ReadOnlyAdminMixin, SchoolScopedAdmin, SchoolScopedInline

from . import live
from .models import (
    VEHICLE_DOCUMENTS,
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
from .services import school_today
from .services.trips import check_crew_and_vehicle


def _badge(expiry, today):
    days = (expiry - today).days
    colour = "#b00020" if days < 0 else "#b26a00" if days <= 30 else "#1b5e20"
    return format_html('<span style="color:{}">{}</span>', colour, expiry.isoformat())


@admin.register(TransportSettings)
class TransportSettingsAdmin(SchoolScopedAdmin):
    list_display = ["school", "attendant_required"]
    list_select_related = ["school"]


@admin.register(Vehicle)
class VehicleAdmin(SchoolScopedAdmin):
    list_display = ["registration_number", "kind", "seats", "fitness", "insurance", "permit",
                    "pollution", "roadworthy", "is_active"]  # fmt: skip
    list_filter = ["kind", "is_active"]
    search_fields = ["registration_number", "gps_device_id"]

    def _doc(self, obj, field):
        return _badge(getattr(obj, field), school_today(obj.school))

    def fitness(self, obj):
        return self._doc(obj, "fitness_expiry")

    def insurance(self, obj):
        return self._doc(obj, "insurance_expiry")

    def permit(self, obj):
        return self._doc(obj, "permit_expiry")

    def pollution(self, obj):
        return self._doc(obj, "pollution_expiry")

    @admin.display(boolean=True, description=_("roadworthy"))
    def roadworthy(self, obj):
        return obj.is_roadworthy(school_today(obj.school))

    list_select_related = ["school"]
    fitness.short_description = VEHICLE_DOCUMENTS["fitness_expiry"]
    insurance.short_description = VEHICLE_DOCUMENTS["insurance_expiry"]
    permit.short_description = VEHICLE_DOCUMENTS["permit_expiry"]
    pollution.short_description = VEHICLE_DOCUMENTS["pollution_expiry"]


@admin.register(CrewMember)
class CrewMemberAdmin(SchoolScopedAdmin):
    list_display = ["name", "role", "phone", "licence_number", "licence_expiry", "badge_number",
                    "background_check_date", "is_active"]  # fmt: skip
    list_filter = ["role", "is_active"]
    search_fields = ["name", "licence_number", "badge_number"]


class StopInline(SchoolScopedInline):
    model = Stop
    ordering = ["sequence"]
    fields = ["sequence", "name", "latitude", "longitude", "landmark", "geofence_radius_m",
              "distance_km"]  # fmt: skip


@admin.register(Route)
class RouteAdmin(SchoolScopedAdmin):
    list_display = ["code", "name", "stop_count", "is_active"]
    search_fields = ["code", "name"]
    inlines = [StopInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_stops=Count("stops"))

    @admin.display(description=_("stops"))
    def stop_count(self, obj):
        return obj.n_stops


class TripStopInline(SchoolScopedInline):
    model = TripStop
    ordering = ["sequence"]
    fields = ["sequence", "stop", "scheduled_time"]


@admin.register(Trip)
class TripAdmin(SchoolScopedAdmin):
    list_display = ["name", "route", "shift", "vehicle", "driver", "attendant", "seats_taken",
                    "is_active"]  # fmt: skip
    list_filter = ["shift", "is_active", "route"]
    list_select_related = ["route", "vehicle", "driver", "attendant"]
    search_fields = ["name"]
    inlines = [TripStopInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(riders=Count("assignments", filter=Q(assignments__is_active=True)))
        )

    @admin.display(description=_("seats taken"))
    def seats_taken(self, obj):
        return f"{obj.riders} / {obj.vehicle.seats}"

    def save_model(self, request, obj, form, change):
        check_crew_and_vehicle(obj, school_today(request.user.school or obj.school))
        super().save_model(request, obj, form, change)


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    list_display = ["student", "trip", "shift", "stop", "valid_from", "valid_to", "is_active"]
    list_filter = ["shift", "is_active", "trip"]
    list_select_related = ["student__user", "trip", "stop"]
    search_fields = ["student__user__full_name", "student__admission_number"]


@admin.register(TripRun)
class TripRunAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    list_display = ["trip", "date", "vehicle", "status", "started_at", "last_position", "stale"]
    list_filter = ["status", "date"]
    list_select_related = ["trip", "vehicle"]

    @admin.display(description=_("last position"))
    def last_position(self, obj):
        pos = live.position(obj.vehicle_id) if obj.status == "running" else None
        return f"{pos['lat']:.5f}, {pos['lon']:.5f}" if pos else "—"

    @admin.display(boolean=True, description=_("stale"))
    def stale(self, obj):
        pos = live.position(obj.vehicle_id) if obj.status == "running" else None
        if pos is None:
            return None
        return time.time() - pos["fix"] > settings.TRANSPORT_POSITION_STALE_SECONDS


@admin.register(BoardingMark)
class BoardingMarkAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    list_display = ["student", "event", "stop", "run", "marked_at"]
    list_filter = ["event"]
    list_select_related = ["student__user", "stop", "run__trip"]


@admin.register(DeviceToken)
class DeviceTokenAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    list_display = ["name", "vehicle", "prefix", "revoked_at", "created_at"]
    list_select_related = ["vehicle"]


@admin.register(FeeRule)
class FeeRuleAdmin(SchoolScopedAdmin):
    list_display = ["year", "kind", "stop", "min_km", "max_km", "monthly_amount"]
    list_filter = ["kind", "year"]
    list_select_related = ["year", "stop"]
