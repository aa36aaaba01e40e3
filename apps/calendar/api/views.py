"""Calendar API: events, the exam schedule, personal feed tokens and the iCalendar feed.

Who may call what is declared in each view's `roles`; what they see is decided by
`apps.core.access.scope_queryset` (rules in `apps.calendar.scopes`). Writes go through
`apps.calendar.services`; views only parse input and shape output.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import Role
from apps.core.api.views import (
    ADMIN_ONLY,
    CRUD_ROLES,
    ServiceModelViewSet,
    crud_schema,
)

from .. import feed, selectors, services
from ..models import CalendarEvent, CalendarFeedToken, ExamScheduleEntry
from . import serializers as s
from .filters import CalendarEventFilter, ExamScheduleEntryFilter

A, T, ST, P, SF = Role.ADMIN, Role.TEACHER, Role.STUDENT, Role.PARENT, Role.STAFF

READ_CONCERNED = (
    "Roles: school admin (all of the school); teacher, student, parent ({what}); staff with "
    "the view permission (all of the school)."
)


@crud_schema(
    tag="calendar",
    output=s.CalendarEventSerializer,
    create_input=s.CalendarEventInputSerializer,
    update_input=s.CalendarEventUpdateSerializer,
    read=READ_CONCERNED.format(
        what="school-wide events and those of the classes and sections they teach, study in "
        "or their children study in, current year"
    )
    + " Filter by `from`/`to` (events with a day in the range), `kind` (repeatable), "
    "`audience`, `section` (events that apply to it), `school_class`; `mine=true` keeps the "
    "events that concern the caller.",
    create=ADMIN_ONLY + " The audience is `school`, `class` (give `school_class`) or `section` "
    "(give `section`), of your school. Without `end_date` a one-day event; all day unless "
    "`all_day=false` with `start_time` and `end_time` (the school's local time).",
    update=ADMIN_ONLY + " Same rules as a new event; a new audience clears the class or section "
    "it does not use, `all_day=true` clears the times.",
)
class CalendarEventViewSet(ServiceModelViewSet):
    serializer_class = s.CalendarEventSerializer
    create_serializer_class = s.CalendarEventInputSerializer
    update_serializer_class = s.CalendarEventUpdateSerializer
    filterset_class = CalendarEventFilter
    search_fields = ["title", "description"]
    ordering_fields = ["start_date", "end_date", "title", "kind"]
    ordering = ["start_date", "start_time", "title"]
    roles = CRUD_ROLES
    permission_model = CalendarEvent

    def base_queryset(self):
        return selectors.calendar_event_queryset()

    def create_object(self, data):
        return services.calendar_event_create(
            school=self.request.user.school, actor=self.actor, **data
        )

    def update_object(self, obj, data):
        return services.calendar_event_update(event=obj, actor=self.actor, data=data)

    def delete_object(self, obj):
        services.calendar_event_delete(event=obj, actor=self.actor)


@crud_schema(
    tag="calendar",
    output=s.ExamScheduleEntrySerializer,
    create_input=s.ExamScheduleEntryInputSerializer,
    update_input=s.ExamScheduleEntryUpdateSerializer,
    read=READ_CONCERNED.format(
        what="the papers of the sections they teach, study in or their children study in, "
        "current year"
    )
    + " Filter by `from`/`to`, `exam_name`, `subject`, `section` (papers it sits), "
    "`school_class`; `mine=true` keeps the caller's own papers.",
    create=ADMIN_ONLY + " A paper for one `section` or a whole `school_class` (its sections "
    "all sit it). Refused (400, naming the clash) when a section already has a paper at an "
    "overlapping time that day.",
    update=ADMIN_ONLY + " Same checks as a new paper; giving a section clears the class and "
    "the other way round.",
)
class ExamScheduleEntryViewSet(ServiceModelViewSet):
    serializer_class = s.ExamScheduleEntrySerializer
    create_serializer_class = s.ExamScheduleEntryInputSerializer
    update_serializer_class = s.ExamScheduleEntryUpdateSerializer
    filterset_class = ExamScheduleEntryFilter
    search_fields = ["exam_name", "subject__name", "room"]
    ordering_fields = ["date", "start_time", "exam_name"]
    ordering = ["date", "start_time"]
    roles = CRUD_ROLES
    permission_model = ExamScheduleEntry

    def base_queryset(self):
        return selectors.exam_schedule_queryset()

    def create_object(self, data):
        return services.exam_entry_create(school=self.request.user.school, actor=self.actor, **data)

    def update_object(self, obj, data):
        return services.exam_entry_update(entry=obj, actor=self.actor, data=data)

    def delete_object(self, obj):
        services.exam_entry_delete(entry=obj, actor=self.actor)


# --- Feed tokens --------------------------------------------------------------------------------
class IsSchoolMember(BasePermission):
    """Any active user of a school, whatever their role or duties: a feed token is personal."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.school_id)


OWN = "Roles: every member of the school (school admin, teacher, student, parent, staff); "


@extend_schema_view(
    list=extend_schema(description=OWN + "your own tokens, without the secret."),
    retrieve=extend_schema(description=OWN + "one of your own tokens, without the secret."),
    create=extend_schema(
        request=s.CalendarFeedTokenInputSerializer,
        responses={201: s.CalendarFeedTokenCreatedSerializer},
        description=OWN + "makes a token for yourself. The response holds the token and the "
        "feed address (`feed_url`, `webcal_url`) this once only: keep them, they are not "
        "stored in a form that can be shown again.",
    ),
    destroy=extend_schema(
        responses={204: None},
        description=OWN + "deletes one of your tokens; its feed address stops working at once.",
    ),
)
@extend_schema(tags=["calendar"])
class CalendarFeedTokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.CalendarFeedTokenSerializer
    permission_classes = [IsSchoolMember]
    filter_backends: list = []
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self):
        # A token is its owner's alone, whatever their role: even a school admin sees only
        # their own here (they can revoke others' in the staff admin).
        if getattr(self, "swagger_fake_view", False):
            return CalendarFeedToken.objects.none()
        user = self.request.user
        return selectors.feed_token_queryset().filter(user_id=user.pk, school_id=user.school_id)

    def create(self, request, *args, **kwargs):
        data = s.CalendarFeedTokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, plain = services.feed_token_create(user=request.user, **data.validated_data)
        context = {**self.get_serializer_context(), "plain_token": plain}
        body = s.CalendarFeedTokenCreatedSerializer(token, context=context).data
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.feed_token_delete(token=instance, actor=self.request.user)

    @extend_schema(
        request=None,
        responses=s.CalendarFeedTokenSerializer,
        description=OWN + "revokes one of your tokens but keeps it in the list (marked with "
        "`revoked_at`); its feed address stops working at once. Revoking twice is harmless.",
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = services.feed_token_revoke(token=self.get_object(), actor=request.user)
        return Response(s.CalendarFeedTokenSerializer(token).data)


# --- The feed -----------------------------------------------------------------------------------
class CalendarFeedView(APIView):
    """The iCalendar feed: no JWT (phone calendars cannot send one); the token in the address
    is the only authority. Unknown, revoked or deactivated -> 404, nothing else told."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def perform_content_negotiation(self, request, force=False):
        # Calendar clients send `Accept: text/calendar`; the feed is written by hand, and errors
        # are JSON whatever was asked for, never a 406.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=["calendar"],
        auth=[],
        responses={
            (200, "text/calendar"): OpenApiResponse(
                response=OpenApiTypes.STR, description="An RFC 5545 VCALENDAR."
            ),
            404: OpenApiResponse(description="Unknown or revoked token, or deactivated user."),
        },
        description="Roles: none; authorised by the personal token in the address alone (make "
        "one with `POST /api/v1/calendar-feed-tokens/`). The events and exam papers the "
        "token's user may see, from 30 days ago to a year ahead.",
    )
    def get(self, request, token: str):
        found = services.feed_token_for(token)
        if found is None:
            raise Http404
        body = feed.feed_for(found.user)
        services.feed_token_touch(token=found)
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="schools24.ics"'
        response["Cache-Control"] = "private, max-age=300"
        return response
