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

from apps.core.exceptions import ApplicationError

from .. import selectors, services, webhooks
from ..models import Notification
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
