"""Notifications API: every signed-in user's own inbox, push devices and preferences.

Any signed-in user, whatever their role, reads and marks their own notifications; there is no
role or staff-permission gate because the queryset is `selectors.inbox(request.user)`, so
another user's notification is a 404. Nothing is created through the API (see services.notify).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.views import ServiceModelViewSet, crud_schema
from apps.core.exceptions import ApplicationError
from apps.core.permissions import RolePermission
from apps.core.roles import Role

from .. import scopes, selectors, services, webhooks
from ..models import Circular, Notification, SchoolChannelSettings
from . import serializers as s
from .filters import NotificationFilter
from .pagination import InboxPagination

OWN = "Roles: any signed-in user (school admin, teacher, student, parent, staff), for their own."


@extend_schema_view(
    list=extend_schema(
        description=f"{OWN} Newest first. `unread_count` is the caller's total unread count.",
    ),
    retrieve=extend_schema(description=f"{OWN} Another user's notification is a 404."),
)
@extend_schema(tags=["notifications"])
class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    permission_classes = [IsAuthenticated]
    serializer_class = s.NotificationSerializer
    pagination_class = InboxPagination
    filterset_class = NotificationFilter
    search_fields = ["title", "body"]
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]
    queryset = Notification.objects.none()  # schema generation; requests use get_queryset()

    def get_queryset(self):
        return selectors.inbox(self.request.user)

    def list(self, request, *args, **kwargs):
        self.paginator.unread_count = selectors.unread_count(request.user)
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=None,
        responses=s.NotificationSerializer,
        description=f"{OWN} Marks it read; reading again keeps the first time.",
    )
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = services.notification_mark_read(notification=self.get_object())
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        request=None,
        responses=s.ReadAllResultSerializer,
        parameters=[OpenApiParameter("kind", str, description="Only notifications of this kind.")],
        description=f"{OWN} Marks every unread notification read (optionally of one kind).",
    )
    @action(detail=False, methods=["post"], url_path="read-all", filter_backends=[])
    def read_all(self, request):
        updated = services.notification_mark_all_read(
            user=request.user, kind=request.query_params.get("kind") or None
        )
        return Response({"updated": updated, "unread_count": selectors.unread_count(request.user)})

    @extend_schema(
        responses=s.UnreadCountSerializer,
        description=f"{OWN} The number for the badge, cheaper than the list.",
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="unread-count",
        filter_backends=[],
        pagination_class=None,
    )
    def unread_count(self, request):
        return Response({"unread_count": selectors.unread_count(request.user)})


@extend_schema(tags=["notifications"])
class DeviceView(APIView):
    """Push devices of the signed-in user."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=s.DeviceSerializer,
        responses={200: s.DeviceSerializer, 201: s.DeviceSerializer},
        description=f"{OWN} Registers this app's push token (on sign-in and whenever the "
        "token changes): 201 when new, 200 when known (it moves to the caller if another "
        "account had it). `platform`: android, ios or web.",
    )
    def post(self, request):
        data = s.DeviceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device, created = services.device_register(user=request.user, **data.validated_data)
        return Response(s.DeviceSerializer(device).data, status=201 if created else 200)

    @extend_schema(
        request=s.DeviceTokenSerializer,
        responses={204: None},
        description=f"{OWN} Forgets the push token (on sign-out). Another user's token, or "
        "an unknown one, is left alone and answers 204 too.",
    )
    def delete(self, request):
        data = s.DeviceTokenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.device_unregister(user=request.user, token=data.validated_data["token"])
        return Response(status=204)


@extend_schema(tags=["notifications"])
class PreferencesView(APIView):
    """The signed-in user's notification preferences."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=s.PreferencesSerializer,
        description=f"{OWN} Opt-outs per category or kind and channel (no rule: on), quiet "
        "hours (in the user's time zone, `time_zone` on /me/, else the school's; null: the "
        "school's quiet hours), the categories and the "
        "registered kinds with their default channels.",
    )
    def get(self, request):
        return Response(s.PreferencesSerializer(services.preferences_read(request.user)).data)

    @extend_schema(
        request=s.PreferencesSerializer,
        responses=s.PreferencesSerializer,
        description=f"{OWN} Replaces the rules and quiet hours. Critical messages and the "
        "in-app inbox cannot be turned off (400 with field errors); e-mail, SMS and push of "
        "other categories or kinds can. Quiet hours defer non-critical e-mail, SMS and push "
        "until they end.",
    )
    def put(self, request):
        if not request.user.school_id:
            raise ApplicationError(_("Only school members have preferences."), code="no_school")
        data = s.PreferencesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.preferences_replace(
            user=request.user,
            rules=data.validated_data["rules"],
            quiet_hours=data.validated_data["quiet_hours"],
        )
        return Response(s.PreferencesSerializer(result).data)


WEBHOOK_DOC = (
    "Roles: none (no session): %s is the authentication. A report that does not verify is a "
    "400 and changes nothing; a repeated report changes nothing more (statuses only move "
    "forward: sent -> delivered or failed)."
)


class _ProviderWebhook(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []
    parser_classes = [FormParser, JSONParser]

    def refuse(self):
        raise ApplicationError(
            _("The webhook signature does not verify."), code="invalid_signature"
        )


@extend_schema(
    tags=["notifications"],
    request=OpenApiTypes.OBJECT,
    responses={200: s.DeliveryWebhookAnswerSerializer},
    description=WEBHOOK_DOC % "X-Twilio-Signature over the URL and the form fields",
)
class TwilioStatusWebhookView(_ProviderWebhook):
    def post(self, request):
        data = request.data
        params = {k: str(data.get(k, "")) for k in data} if hasattr(data, "get") else {}
        try:
            webhooks.verify_twilio(
                request.build_absolute_uri(), params, request.headers.get("X-Twilio-Signature", "")
            )
        except webhooks.InvalidSignature:
            self.refuse()
        updated = webhooks.delivery_status_update(
            provider="twilio",
            provider_message_id=params.get("MessageSid", ""),
            status=params.get("MessageStatus", ""),
            error=params.get("ErrorCode", ""),
        )
        return Response({"updated": updated})


@extend_schema(
    tags=["notifications"],
    request=OpenApiTypes.OBJECT,
    responses={200: s.DeliveryWebhookAnswerSerializer},
    description=WEBHOOK_DOC % "the shared secret MSG91_WEBHOOK_SECRET in X-Msg91-Secret"
    + " Body: a report `{requestId, status, description}` or a list of them.",
)
class Msg91StatusWebhookView(_ProviderWebhook):
    def post(self, request):
        try:
            webhooks.verify_msg91(request.headers.get("X-Msg91-Secret", ""))
        except webhooks.InvalidSignature:
            self.refuse()
        reports = request.data if isinstance(request.data, list) else [request.data]
        updated = 0
        for report in reports:
            if not hasattr(report, "get"):
                raise ApplicationError(_("The webhook body is not a valid report."))
            updated += webhooks.delivery_status_update(
                provider="msg91",
                provider_message_id=str(report.get("requestId", "")),
                status=str(report.get("status", "")),
                error=str(report.get("description", "")),
            )
        return Response({"updated": updated})


@extend_schema(
    tags=["notifications"],
    request=OpenApiTypes.OBJECT,
    responses={200: s.DeliveryWebhookAnswerSerializer},
    description=WEBHOOK_DOC
    % "SendGrid's ECDSA signature (X-Twilio-Email-Event-Webhook-Signature over the timestamp "
    "header and the raw body, checked with SENDGRID_WEBHOOK_PUBLIC_KEY)"
    + " Body: SendGrid's list of events (delivered, bounce, dropped, deferred, open, spamreport).",
)
class SendgridEventWebhookView(_ProviderWebhook):
    parser_classes = [JSONParser]

    def post(self, request):
        body = request.body  # the raw bytes the signature covers, read before parsing
        try:
            webhooks.verify_sendgrid(
                body,
                request.headers.get("X-Twilio-Email-Event-Webhook-Timestamp", ""),
                request.headers.get("X-Twilio-Email-Event-Webhook-Signature", ""),
            )
        except webhooks.InvalidSignature:
            self.refuse()
        events = request.data
        if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
            raise ApplicationError(_("The webhook body is not a valid report."))
        return Response({"updated": webhooks.sendgrid_events(events)})


@extend_schema(
    tags=["notifications"],
    request=None,
    responses={200: s.UnsubscribeAnswerSerializer},
    description="Roles: none (no session): the signed token in the URL names the user. The "
    "one-click unsubscribe (RFC 8058) of circular e-mails' List-Unsubscribe header: turns "
    "promotional e-mail off for that user (transactional and critical mail continue). A "
    "token that does not verify is a 404; repeating it changes nothing more.",
)
class UnsubscribeView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [FormParser, JSONParser]

    def post(self, request, token: str):
        if not services.preferences_unsubscribe(token=token):
            raise NotFound()
        return Response({"unsubscribed": True})


ADMIN_DOC = "Roles: school admin (their own school's)."


@extend_schema(tags=["notifications"])
class SchoolSettingsView(APIView):
    """The school's notification settings."""

    permission_classes = [RolePermission]
    roles = {"get": {Role.ADMIN}, "put": {Role.ADMIN}}
    permission_model = SchoolChannelSettings

    @extend_schema(
        responses=s.SchoolNotificationSettingsSerializer,
        description=f"{ADMIN_DOC} Channel switches, the monthly SMS budget (segments and/or "
        "rupees; null: none) with this month's usage, the promotional SMS window (null: the "
        "default) and the DLT entity id. SMS template ids and sender headers are on each SMS "
        "template (admin).",
    )
    def get(self, request):
        data = services.school_settings_read(request.user.school)
        return Response(s.SchoolNotificationSettingsSerializer(data).data)

    @extend_schema(
        request=s.SchoolNotificationSettingsSerializer,
        responses=s.SchoolNotificationSettingsSerializer,
        description=f"{ADMIN_DOC} Saves the fields given (others keep their value). Beyond "
        "the budget, SMS other than critical ones are suppressed; at 80 % the admins are told "
        "once a month. Both ends of the promotional window or neither (400).",
    )
    def put(self, request):
        data = s.SchoolNotificationSettingsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.school_settings_update(
            school=request.user.school, data=data.validated_data
        )
        return Response(s.SchoolNotificationSettingsSerializer(result).data)


CIRCULAR_DOC = (
    f"{ADMIN_DOC} Another school's circular is a 404. Audience: `school` (every parent, "
    "teacher, staff member and admin), `class`, `section` or `route` (the parents of its "
    "students; `target_id` names it) or `attendance` (the parents of the students marked "
    "`attendance_status` absent or late today)."
)
CIRCULAR_ROLES = {
    action: {Role.ADMIN}
    for action in ("list", "retrieve", "create", "partial_update", "preview", "schedule", "cancel")
}


@crud_schema(
    tag="notifications",
    output=s.CircularSerializer,
    create_input=s.CircularInputSerializer,
    update_input=s.CircularInputSerializer,
    read=CIRCULAR_DOC,
    create=CIRCULAR_DOC + " Created as a draft.",
    update=CIRCULAR_DOC + " Only while a draft (400 `not_draft`).",
)
class CircularViewSet(ServiceModelViewSet):
    http_method_names = ["get", "post", "patch", "head", "options"]
    serializer_class = s.CircularSerializer
    create_serializer_class = s.CircularInputSerializer
    update_serializer_class = s.CircularInputSerializer
    roles = CIRCULAR_ROLES
    permission_model = Circular
    filterset_fields = ["status", "audience"]
    search_fields = ["title"]
    ordering_fields = ["created_at", "scheduled_at"]
    ordering = ["-created_at"]

    def base_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Circular.objects.all()
        return scopes.school_circulars(self.request.user)

    def create_object(self, data):
        return services.circular_create(actor=self.actor, data=data)

    def update_object(self, obj, data):
        return services.circular_update(circular=obj, data=data)

    @extend_schema(
        responses=s.CircularPreviewSerializer,
        description=f"{ADMIN_DOC} Who it would reach now: recipients, per channel, and the "
        "SMS cost in paise (segments x SMS recipients x NOTIFICATIONS_SMS_COST_PAISE).",
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def preview(self, request, pk=None):
        return Response(
            s.CircularPreviewSerializer(services.circular_preview(self.get_object())).data
        )

    @extend_schema(
        request=s.CircularScheduleSerializer,
        responses=s.CircularSerializer,
        description=f"{ADMIN_DOC} Schedules a draft for `scheduled_at` (now when left out); "
        "the sweeper sends it when due. Not a draft: 400 `not_draft`.",
    )
    @action(detail=True, methods=["post"])
    def schedule(self, request, pk=None):
        data = self.validated(s.CircularScheduleSerializer)
        circular = services.circular_schedule(
            circular=self.get_object(), scheduled_at=data.get("scheduled_at")
        )
        return self.respond(circular)

    @extend_schema(
        request=None,
        responses=s.CircularSerializer,
        description=f"{ADMIN_DOC} Cancels a draft or scheduled circular (sent ones: 400).",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self.respond(services.circular_cancel(circular=self.get_object()))
