"""The transport API under /api/v1/transport/.

Roles: school admins and staff with the Transport manager duty (by the transport permissions the
duty holds) manage the fleet, crew, routes, trips, riders, devices and fee rules of their school;
parents read the trips their children ride, those assignments and boarding marks, and the bus's
live position while such a trip runs; students the same of their own; teachers and other staff
(an accountant) nothing, except the fee quote for the fee office. Devices (a vehicle's device
token, not a user) only post pings. Writes go through `apps.transport.services`.
"""

from __future__ import annotations

import io
import uuid

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import Role
from apps.core import csv_export
from apps.core.api.views import ScopedViewSetMixin, ServiceModelViewSet, crud_schema
from apps.core.permissions import RolePermission
from apps.core.services import refuse

from .. import documents, live, scopes, selectors, services
from ..models import (
    Assignment,
    BoardingMark,
    CrewMember,
    DeviceToken,
    FeeRule,
    Route,
    Stop,
    Trip,
    TripRun,
    Vehicle,
)
from . import serializers as s
from .authentication import DeviceTokenAuthentication, IsDevice

A, SF, P, ST = Role.ADMIN, Role.STAFF, Role.PARENT, Role.STUDENT
MANAGERS = {A, SF}
FAMILY = {A, SF, P, ST}
MANAGER_DOC = "Roles: school admin; staff with the Transport manager duty."
FAMILY_DOC = (
    "Roles: school admin and the Transport manager duty (the whole school); parents (their "
    "children's); students (their own). Teachers and other staff: none."
)
MANAGER_CRUD = {
    "list": MANAGERS, "retrieve": MANAGERS, "create": MANAGERS, "partial_update": MANAGERS,
    "destroy": MANAGERS,
}  # fmt: skip
LANG_PARAM = OpenApiParameter(
    "lang", OpenApiTypes.STR, enum=["en", "hi"], required=False,
    description="The PDF's language (en or hi). Default: the school's language.",
)  # fmt: skip


class _Crud(ServiceModelViewSet):
    """Manager-only CRUD of one transport model through `create/update` services; deletes are
    refused (a clear 400) while other records still refer to the row."""

    roles = MANAGER_CRUD
    create_service = update_service = None
    update_kwarg = ""
    audit_fields: list[str] = []

    def create_object(self, data):
        return type(self).create_service(school=self.request.user.school, actor=self.actor,
                                         data=data)  # fmt: skip

    def update_object(self, obj, data):
        return type(self).update_service(**{self.update_kwarg: obj}, actor=self.actor, data=data)

    def delete_object(self, obj):
        services.record_delete(obj, actor=self.actor, fields=self.audit_fields,
                               action=f"transport.{obj._meta.model_name}.delete")  # fmt: skip


@crud_schema(tag="transport", output=s.VehicleSerializer, create_input=s.VehicleInputSerializer,
             update_input=s.VehicleInputSerializer, read=MANAGER_DOC + " `roadworthy` is false "
             "once any paper has expired: such a vehicle is kept off trips.", create=MANAGER_DOC,
             update=MANAGER_DOC, destroy=MANAGER_DOC + " Not while trips use it.")  # fmt: skip
class VehicleViewSet(_Crud):
    serializer_class = s.VehicleSerializer
    create_serializer_class = update_serializer_class = s.VehicleInputSerializer
    permission_model = Vehicle
    create_service = staticmethod(services.vehicle_create)
    update_service = staticmethod(services.vehicle_update)
    update_kwarg = "vehicle"
    audit_fields = ["registration_number", "seats"]
    search_fields = ["registration_number", "gps_device_id"]
    ordering_fields = ["registration_number", "seats"]
    ordering = ["registration_number"]
    filterset_fields = ["kind", "is_active"]

    def base_queryset(self):
        return Vehicle.objects.all()


@crud_schema(tag="transport", output=s.CrewSerializer, create_input=s.CrewInputSerializer,
             update_input=s.CrewInputSerializer, read=MANAGER_DOC, create=MANAGER_DOC + " A "
             "driver needs a licence number and its expiry.", update=MANAGER_DOC,
             destroy=MANAGER_DOC + " Not while trips use them.")  # fmt: skip
class CrewViewSet(_Crud):
    serializer_class = s.CrewSerializer
    create_serializer_class = update_serializer_class = s.CrewInputSerializer
    permission_model = CrewMember
    create_service = staticmethod(services.crew_create)
    update_service = staticmethod(services.crew_update)
    update_kwarg = "crew"
    audit_fields = ["role", "name"]
    search_fields = ["name", "licence_number", "badge_number"]
    ordering_fields = ["name", "licence_expiry"]
    ordering = ["role", "name"]
    filterset_fields = ["role", "is_active"]

    def base_queryset(self):
        return CrewMember.objects.all()


@crud_schema(tag="transport", output=s.RouteSerializer, create_input=s.RouteInputSerializer,
             update_input=s.RouteInputSerializer, read=MANAGER_DOC, create=MANAGER_DOC,
             update=MANAGER_DOC, destroy=MANAGER_DOC + " Not while trips use it.")  # fmt: skip
class RouteViewSet(_Crud):
    serializer_class = s.RouteSerializer
    create_serializer_class = update_serializer_class = s.RouteInputSerializer
    permission_model = Route
    create_service = staticmethod(services.route_create)
    update_service = staticmethod(services.route_update)
    update_kwarg = "route"
    audit_fields = ["name", "code"]
    search_fields = ["name", "code"]
    ordering_fields = ["code", "name"]
    ordering = ["code"]

    def base_queryset(self):
        return Route.objects.all()


@crud_schema(tag="transport", output=s.StopSerializer, create_input=s.StopInputSerializer,
             update_input=s.StopInputSerializer, read=MANAGER_DOC + " Filter by `route`.",
             create=MANAGER_DOC + " Latitude -90..90, longitude -180..180; one stop per position "
             "of a route.", update=MANAGER_DOC,
             destroy=MANAGER_DOC + " Not while a trip's timetable or a rider uses it.")  # fmt: skip
class StopViewSet(_Crud):
    serializer_class = s.StopSerializer
    create_serializer_class = update_serializer_class = s.StopInputSerializer
    permission_model = Stop
    create_service = staticmethod(services.stop_create)
    update_service = staticmethod(services.stop_update)
    update_kwarg = "stop"
    audit_fields = ["route", "sequence", "name"]
    search_fields = ["name", "landmark"]
    ordering_fields = ["sequence", "name"]
    ordering = ["route", "sequence"]
    filterset_fields = ["route"]

    def base_queryset(self):
        return Stop.objects.all()


@crud_schema(tag="transport", output=s.FeeRuleSerializer, create_input=s.FeeRuleInputSerializer,
             update_input=s.FeeRuleInputSerializer, read=MANAGER_DOC, create=MANAGER_DOC + " The "
             "monthly transport fee of a year, for one stop or a distance slab [from, to) km; a "
             "stop's own rule wins over a slab.", update=MANAGER_DOC, destroy=MANAGER_DOC)  # fmt: skip
class FeeRuleViewSet(_Crud):
    serializer_class = s.FeeRuleSerializer
    create_serializer_class = update_serializer_class = s.FeeRuleInputSerializer
    permission_model = FeeRule
    create_service = staticmethod(services.fee_rule_create)
    update_service = staticmethod(services.fee_rule_update)
    update_kwarg = "rule"
    audit_fields = ["year", "kind", "monthly_amount"]
    ordering_fields = ["min_km"]
    ordering = ["kind", "min_km"]
    filterset_fields = ["year", "kind", "stop"]

    def base_queryset(self):
        return FeeRule.objects.all()


def _file(data: bytes | str, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


ROSTER_FORMAT = OpenApiParameter(
    "export", OpenApiTypes.STR, enum=["csv", "pdf"], required=False,
    description="csv or pdf for a file; JSON without it.",
)  # fmt: skip
ROSTER_DATE = OpenApiParameter("date", OpenApiTypes.DATE, required=False,
                               description="The day (default: today at the school).")  # fmt: skip


@crud_schema(
    tag="transport", output=s.TripSerializer, create_input=s.TripInputSerializer,
    update_input=s.TripUpdateSerializer, read=FAMILY_DOC + " Parents and students see the trips "
    "their children ride.",
    create=MANAGER_DOC + " The vehicle must be roadworthy, the driver's licence valid and, "
    "unless the school says otherwise, an attendant named. Stop times: stops of the route, "
    "order strictly increasing, times never going back (400 `stops_out_of_order`).",
    update=MANAGER_DOC + " `stops` replaces the timetable. A smaller vehicle than the riders "
    "is refused.", destroy=MANAGER_DOC + " Not while it has riders or runs.",
)  # fmt: skip
class TripViewSet(_Crud):
    serializer_class = s.TripSerializer
    create_serializer_class = s.TripInputSerializer
    update_serializer_class = s.TripUpdateSerializer
    roles = {**MANAGER_CRUD, "list": FAMILY, "retrieve": FAMILY, "start": MANAGERS,
             "roster": MANAGERS}  # fmt: skip
    permission_model = Trip
    create_service = staticmethod(services.trip_create)
    update_service = staticmethod(services.trip_update)
    update_kwarg = "trip"
    audit_fields = ["name", "route", "shift"]
    search_fields = ["name"]
    ordering_fields = ["name"]
    ordering = ["route__code", "shift", "name"]
    filterset_fields = ["route", "shift", "vehicle", "is_active"]

    def base_queryset(self):
        return selectors.trip_queryset()

    def delete_object(self, obj):
        if obj.assignments.exists() or obj.runs.exists():
            raise refuse(_("This trip has riders or runs; deactivate it instead."),
                         code="trip_in_use")  # fmt: skip
        super().delete_object(obj)

    @extend_schema(request=None, responses={201: s.TripRunSerializer},
                   description=MANAGER_DOC + " Starts today's run: from now the vehicle's "
                   "devices may report and parents see the bus. Refused (400 `trip_not_ready`) "
                   "when the vehicle is not roadworthy, the driver's licence has expired or a "
                   "required attendant is missing; 400 `conflict` when it already runs.")  # fmt: skip
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        run = services.run_start(trip=self.get_object(), actor=request.user)
        return Response(s.TripRunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[ROSTER_FORMAT, ROSTER_DATE, LANG_PARAM],
                   responses={(200, "application/json"): s.RosterSerializer,
                              (200, "text/csv"): OpenApiTypes.BINARY,
                              (200, "application/pdf"): OpenApiTypes.BINARY},
                   description=MANAGER_DOC + " Who boards (pickup) or gets off (drop) at each "
                   "stop, in order, with class, a parent's phone and `absent_today` from the "
                   "day's attendance; as JSON, CSV or PDF (for the attendant).")  # fmt: skip
    @action(detail=True, methods=["get"])
    def roster(self, request, pk=None):
        trip = self.get_object()
        day = request.query_params.get("date")
        try:
            on = timezone.datetime.fromisoformat(day).date() if day else services.school_today(
                request.user.school or trip.school)  # fmt: skip
        except ValueError:
            raise refuse(_("Enter a valid date (YYYY-MM-DD)."), code="invalid",
                         fields=["date"]) from None  # fmt: skip
        data = selectors.roster(trip, on)
        export = request.query_params.get("export")
        if export == "csv":
            out = io.StringIO()
            writer = csv_export.SafeWriter(out)
            writer.writerow(["stop_order", "stop", "time", "student", "admission_number", "class",
                             "parent_phone", "absent_today"])  # fmt: skip
            for stop in data["stops"]:
                for r in stop["riders"]:
                    writer.writerow([stop["sequence"], stop["name"],
                                     stop["scheduled_time"].strftime("%H:%M"), r["name"],
                                     r["admission_number"], r["class_section"], r["parent_phone"],
                                     "yes" if r["absent_today"] else ""])  # fmt: skip
            return _file(out.getvalue(), f"roster-{trip.name}-{on}.csv", "text/csv")
        if export == "pdf":
            from apps.fees.receipts import document_language

            language = document_language(request.query_params.get("lang"))
            pdf = documents.render_roster(data, school_name=trip.school.name, language=language)
            return _file(pdf, f"roster-{trip.name}-{on}.pdf", "application/pdf")
        if export not in (None, ""):
            raise refuse(_("Choose csv or pdf."), code="invalid", fields=["export"])
        return Response(s.RosterSerializer(data).data)


@extend_schema(tags=["transport"])
class PositionView(APIView):
    """The live position of a trip's bus (Redis only)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=s.PositionSerializer,
        description="Roles: school admin and the Transport manager duty (any trip of the "
        "school); parents and students only for a trip their child rides (active assignment "
        "valid today); anyone else: 404. While the trip runs: the bus's last fix, `stale` when "
        "it is older than TRANSPORT_POSITION_STALE_SECONDS, the next stop, and per watched stop "
        "(the child's; every stop for the manager) an ETA from the live position and the "
        "timetable. `running` false and no position otherwise. Answered from Redis: the "
        "permission is cached per user and trip for TRANSPORT_SCOPE_CACHE_SECONDS.",
    )
    def get(self, request, pk):
        try:
            trip_id = uuid.UUID(str(pk))
        except ValueError:
            raise Http404 from None
        user = request.user
        scope = live.scope_get(trip_id, user.pk)
        if scope is None:
            scope = scopes.position_scope(user, trip_id)
            live.scope_put(trip_id, user.pk, scope)
        if scope is False:
            raise Http404
        return Response(s.PositionSerializer(services.position_view(trip_id=trip_id,
                                                                    scope=scope)).data)  # fmt: skip


@extend_schema(tags=["transport"])
class PingView(APIView):
    """Where a bus's device reports its position."""

    authentication_classes = [DeviceTokenAuthentication]
    permission_classes = [IsDevice]
    throttle_classes: list = []

    @extend_schema(
        request=s.PingBatchSerializer,
        responses={
            202: s.PingAcceptedSerializer,
            409: OpenApiResponse(description="`not_running`: no trip of this vehicle runs."),
        },
        auth=[{"deviceToken": []}],
        description="Roles: devices only (`Authorization: Device <token>`, a vehicle's device "
        "token; user tokens are refused). One fix (`lat`, `lon`, `speed_kmh`, `heading`, "
        "`fix_time`, `accuracy_m` at the top level) or a batch (`fixes`: up to "
        "TRANSPORT_PING_MAX_BATCH, in increasing time); all accepted or none. 400 with field "
        "errors for out-of-range values, a fix in the future (beyond "
        "TRANSPORT_PING_MAX_FUTURE_SECONDS) or older than the last one (stale); 409 "
        "`not_running` when the vehicle is not on a running trip.",
    )
    def post(self, request):
        batched = isinstance(request.data, dict) and "fixes" in request.data
        if batched:
            data = s.PingBatchSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            fixes = data.validated_data["fixes"]
        else:
            data = s.FixInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            fixes = [data.validated_data]
        result = services.pings_record(device=request.user.data, fixes=[dict(f) for f in fixes],
                                       batched=batched)  # fmt: skip
        return Response(result, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    list=extend_schema(description=FAMILY_DOC + " Filters: trip, student, shift, is_active."),
    retrieve=extend_schema(description=FAMILY_DOC),
    create=extend_schema(
        request=s.TransportAssignmentInputSerializer,
        responses={201: s.TransportAssignmentSerializer,
                   409: OpenApiResponse(description="`trip_full` or `already_assigned`.")},
        description=MANAGER_DOC + " A seat for a student on a trip, boarding or getting off at "
        "`stop`, within the academic year (default: today to the year's end). 409 `trip_full` "
        "when every seat of the vehicle is taken (counted under a lock on the trip, so two "
        "clerks cannot take the last seat twice); 409 `already_assigned` when the student "
        "already rides a trip in that shift.",
    ),
)  # fmt: skip
@extend_schema(tags=["transport"])
class AssignmentViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.TransportAssignmentSerializer
    roles = {"list": FAMILY, "retrieve": FAMILY, "create": MANAGERS, "end": MANAGERS,
             "alerts": {A, SF, P}}  # fmt: skip
    permission_model = Assignment
    filterset_fields = ["trip", "student", "shift", "is_active"]
    ordering_fields = ["valid_from", "created_at"]
    ordering = ["trip", "stop__sequence"]

    def base_queryset(self):
        return selectors.assignment_queryset()

    def create(self, request, *args, **kwargs):
        data = s.TransportAssignmentInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        assignment = services.assignment_create(school=request.user.school, actor=request.user,
                                                data=data.validated_data)  # fmt: skip
        out = self.base_queryset().get(pk=assignment.pk)
        return Response(s.TransportAssignmentSerializer(out).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.TransportAssignmentEndSerializer, responses=s.TransportAssignmentSerializer,
                   description=MANAGER_DOC + " Ends the assignment (its last day `on`, default "
                   "today): the seat is free at once. To change a stop mid-term, end it and "
                   "make a new one; the fee quote pro-rates by days.")  # fmt: skip
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        assignment = self.get_object()
        data = s.TransportAssignmentEndSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = services.assignment_end(assignment=assignment, actor=request.user,
                                             on=data.validated_data.get("on"))  # fmt: skip
        return Response(
            s.TransportAssignmentSerializer(self.base_queryset().get(pk=assignment.pk)).data
        )

    @extend_schema(request=s.TransportAssignmentAlertsSerializer, responses=s.TransportAssignmentSerializer,
                   description="Roles: the rider's parents; school admin and the Transport "
                   "manager duty. Turns the \"bus approaching your stop\" alert of this ride on "
                   "or off.")  # fmt: skip
    @action(detail=True, methods=["post"])
    def alerts(self, request, pk=None):
        assignment = self.get_object()
        data = s.TransportAssignmentAlertsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = services.assignment_set_alerts(
            assignment=assignment, actor=request.user,
            approaching=data.validated_data["approaching"],
        )  # fmt: skip
        return Response(
            s.TransportAssignmentSerializer(self.base_queryset().get(pk=assignment.pk)).data
        )


@extend_schema_view(
    list=extend_schema(description=MANAGER_DOC + " Runs of trips (today's and past)."),
    retrieve=extend_schema(description=MANAGER_DOC),
)
@extend_schema(tags=["transport"])
class RunViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.TripRunSerializer
    roles = {"list": MANAGERS, "retrieve": MANAGERS, "end": MANAGERS}
    permission_model = TripRun
    filterset_fields = ["trip", "status", "date"]
    ordering_fields = ["started_at"]
    ordering = ["-started_at"]

    def base_queryset(self):
        return selectors.run_queryset()

    @extend_schema(request=None, responses=s.TripRunSerializer,
                   description=MANAGER_DOC + " Ends the run: devices may no longer report for "
                   "it and its live position is forgotten.")  # fmt: skip
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        run = services.run_end(run=self.get_object(), actor=request.user)
        return Response(s.TripRunSerializer(run).data)


class MarkPermission(RolePermission):
    """Marking is for staff and admins in general: whether this one may mark this run (the
    manager, or the run's attendant) is the service's question (`scopes.can_mark_boarding`)."""

    def has_permission(self, request, view) -> bool:
        if getattr(view, "action", None) == "create":
            user = request.user
            return bool(user and user.is_authenticated and user.school_id and user.role in MANAGERS)
        return super().has_permission(request, view)


@extend_schema_view(
    list=extend_schema(description=FAMILY_DOC + " Who got on and off where. Filters: run, "
                       "student, event."),
    retrieve=extend_schema(description=FAMILY_DOC),
    create=extend_schema(
        request=s.BoardingMarkInputSerializer,
        responses={201: s.BoardingMarkSerializer,
                   409: OpenApiResponse(description="`already_marked`.")},
        parameters=[OpenApiParameter("run", OpenApiTypes.UUID, required=True,
                                     description="The running trip's run.")],
        description="Roles: the run's attendant (their staff account), school admin, the "
        "Transport manager duty; another run: 404. Marks a rider boarded or off at a stop, once "
        "per run and event; the parents are notified.",
    ),
)  # fmt: skip
@extend_schema(tags=["transport"])
class BoardingMarkViewSet(ScopedViewSetMixin, mixins.CreateModelMixin,
                          viewsets.ReadOnlyModelViewSet):  # fmt: skip
    serializer_class = s.BoardingMarkSerializer
    permission_classes = [MarkPermission]
    roles = {"list": FAMILY, "retrieve": FAMILY, "create": MANAGERS}
    permission_model = BoardingMark
    filterset_fields = ["run", "student", "event"]
    ordering_fields = ["marked_at"]
    ordering = ["-marked_at"]

    def base_queryset(self):
        return selectors.mark_queryset()

    def create(self, request, *args, **kwargs):
        if not scopes.may_mark_boarding(request.user):
            raise PermissionDenied
        try:
            run_id = uuid.UUID(request.query_params.get("run", ""))
        except ValueError:
            raise refuse(_("Name the run."), code="invalid", fields=["run"]) from None
        run = (
            TripRun.objects.select_related("trip__attendant")
            .filter(pk=run_id, school_id=request.user.school_id)
            .first()
        )
        if run is None or not scopes.can_mark_boarding(request.user, run):
            raise Http404
        data = s.BoardingMarkInputSerializer(data=request.data, context={"request": request})
        for name, rows in scopes.boarding_lookups(run).items():
            data.fields[name].queryset = rows
        data.is_valid(raise_exception=True)
        mark = services.boarding_mark(run=run, actor=request.user, **data.validated_data)
        return Response(s.BoardingMarkSerializer(self.base_queryset().get(pk=mark.pk)).data,
                        status=status.HTTP_201_CREATED)  # fmt: skip


@extend_schema_view(
    list=extend_schema(description=MANAGER_DOC),
    retrieve=extend_schema(description=MANAGER_DOC),
    create=extend_schema(
        request=s.DeviceInputSerializer, responses={201: s.DeviceCreatedSerializer},
        description=MANAGER_DOC + " A device token for a vehicle's GPS unit or driver's phone; "
        "the token is in this answer only (a SHA-256 of it is kept).",
    ),
)  # fmt: skip
@extend_schema(tags=["transport"])
class DeviceViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.VehicleDeviceSerializer
    roles = {"list": MANAGERS, "retrieve": MANAGERS, "create": MANAGERS, "revoke": MANAGERS}
    permission_model = DeviceToken
    filterset_fields = ["vehicle"]
    ordering = ["name"]

    def base_queryset(self):
        return DeviceToken.objects.all()

    def create(self, request, *args, **kwargs):
        data = s.DeviceInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        device, token = services.device_create(school=request.user.school, actor=request.user,
                                               **data.validated_data)  # fmt: skip
        body = s.VehicleDeviceSerializer(device).data | {"token": token}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.VehicleDeviceSerializer,
                   description=MANAGER_DOC + " Revokes the token: its pings are refused from "
                   "now on.")  # fmt: skip
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        device = services.device_revoke(device=self.get_object(), actor=request.user)
        return Response(s.VehicleDeviceSerializer(device).data)


@extend_schema(tags=["transport"])
class FeeQuoteView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[s.FeeQuoteQuerySerializer],
        responses=s.FeeQuoteSerializer,
        description="Roles: school admin, the Transport manager duty and the fee office "
        "(Accountant duty). The transport fee of a student for a period: per assignment, its "
        "stop's monthly fee x 12 / 365 per day ridden (a change of stop is pro-rated by days).",
    )
    def get(self, request):
        if not scopes.may_quote_fees(request.user):
            raise Http404
        data = s.FeeQuoteQuerySerializer(data=request.query_params, context={"request": request})
        data.fields["student"].queryset = scopes.fee_quote_students(request.user)
        data.is_valid(raise_exception=True)
        quote = services.fee_quote(**data.validated_data)
        return Response(s.FeeQuoteSerializer(quote).data)
