"""Online payments under /api/v1/payments/.

Roles: parents start orders for their own children's open invoices; school admins and the
Accountant duty for any family of their school; both read the orders they may see (students
their own). The Razorpay checkout callback is for whoever may start an order. The gateways'
webhooks carry no session: their signature over the raw body is the authentication.
"""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import Role
from apps.core.api.views import ScopedViewSetMixin
from apps.core.exceptions import ApplicationError
from apps.core.permissions import RolePermission

from .. import gateways as g
from .. import scopes, services
from ..models import PaymentOrder
from . import serializers as s
from .filters import PaymentOrderFilter

A, SF, P, ST = Role.ADMIN, Role.STAFF, Role.PARENT, Role.STUDENT
PAYERS = {A, SF, P}
PAYERS_DOC = ("Roles: parents (their own children's invoices); school admin and staff with the "
              "Accountant duty (any family of their school).")  # fmt: skip
READ_DOC = ("Roles: school admin and the Accountant duty (the whole school); parents (their "
            "children's); students (their own). Teachers: none.")  # fmt: skip


@extend_schema_view(
    list=extend_schema(description=READ_DOC),
    retrieve=extend_schema(description=READ_DOC),
    create=extend_schema(
        request=s.OrderInputSerializer, responses={201: s.OrderCreatedSerializer},
        description=PAYERS_DOC + " Creates the gateway's order for the amount (full or partial, "
        "at least PAYMENTS_MINIMUM_AMOUNT unless less is owed) and answers what the checkout "
        "needs. An invoice the caller may not see is a 404. The money is credited when the "
        "gateway's webhook arrives.",
    ),
)  # fmt: skip
@extend_schema(tags=["payments"])
class PaymentOrderViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    serializer_class = s.PaymentOrderSerializer
    roles = {"list": {A, SF, P, ST}, "retrieve": {A, SF, P, ST}, "create": PAYERS,
             "receipt": {A, SF, P, ST}}  # fmt: skip
    permission_model = PaymentOrder
    filterset_class = PaymentOrderFilter
    ordering_fields = ["created_at", "amount"]
    ordering = ["-created_at"]

    def base_queryset(self):
        return PaymentOrder.objects.select_related("payment__receipt").prefetch_related(
            "lines__invoice"
        )

    def create(self, request, *args, **kwargs):
        data = s.OrderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = data.validated_data["invoices"]
        found = {i.pk: i for i in scopes.payable_invoices(request.user).filter(pk__in=ids)
                 .select_related("student")}  # fmt: skip
        if len(found) != len(set(ids)):
            raise Http404(_("Invoice not found."))
        order, checkout = services.order_create(
            school=request.user.school, actor=request.user,
            invoices=[found[pk] for pk in ids], amount=data.validated_data["amount"],
            gateway=data.validated_data["gateway"],
        )  # fmt: skip
        order = self.base_queryset().get(pk=order.pk)
        return Response(
            {"order": s.PaymentOrderSerializer(order).data, "checkout": checkout},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        description=READ_DOC + " The receipt of a paid order as PDF (404 until it is paid).",
    )
    @action(detail=True, methods=["get"])
    def receipt(self, request, pk=None):
        receipt = services.order_receipt(order=self.get_object())
        if receipt is None:
            raise Http404(_("The order has no receipt yet."))
        return FileResponse(receipt.pdf.open("rb"), content_type="application/pdf",
                            filename=f"{receipt.number.replace('/', '-')}.pdf")  # fmt: skip


@extend_schema(
    tags=["payments"], request=s.VerifyInputSerializer,
    responses={200: s.PaymentOrderSerializer},
    description=PAYERS_DOC + " Razorpay's checkout callback: the signature is checked over "
    "the stored order's id and the payment id. The order becomes `verifying`; the money is "
    "credited by the webhook, never by this call.",
)  # fmt: skip
class RazorpayVerifyView(APIView):
    permission_classes = [RolePermission]
    action = "verify"  # RolePermission reads the roles and the staff permission by action
    roles = {"verify": PAYERS}
    permission_model = PaymentOrder

    def post(self, request):
        data = s.VerifyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = (
            scopes.readable_orders(request.user)
            .filter(gateway=g.RAZORPAY, gateway_order_id=data.validated_data["razorpay_order_id"])
            .first()
        )
        if order is None:
            raise Http404(_("Order not found."))
        order = services.order_verify_checkout(
            order=order, actor=request.user,
            payment_id=data.validated_data["razorpay_payment_id"],
            signature=data.validated_data["razorpay_signature"],
        )  # fmt: skip
        order = PaymentOrder.objects.select_related("payment__receipt").get(pk=order.pk)
        return Response(s.PaymentOrderSerializer(order).data)


class WebhookView(APIView):
    """No session and no CSRF: the signature over the raw body is checked first, with every
    active secret; the event is stored once and processed in the background."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []
    gateway = ""

    def post(self, request):
        body = request._request.body  # the raw bytes, before any parsing
        try:
            event, created = services.webhook_receive(
                gateway=self.gateway, body=body, headers=request.headers
            )
        except g.InvalidSignature:
            raise ApplicationError(_("The webhook signature does not verify."),
                                   code="invalid_signature")  # fmt: skip
        except g.InvalidPayload:
            raise ApplicationError(_("The webhook body is not a valid event."), code="invalid")
        return Response({"received": True, "duplicate": not created})


WEBHOOK_DOC = ("Roles: none (no session): the gateway's signature over the raw body "
               "(%s) is the authentication. A body that does not verify is a 400 and changes "
               "nothing; a repeated event is acknowledged once more and credited once.")  # fmt: skip


@extend_schema(tags=["payments"], request=OpenApiTypes.OBJECT,
               responses={200: s.WebhookAnswerSerializer},
               description=WEBHOOK_DOC % "X-Razorpay-Signature")  # fmt: skip
class RazorpayWebhookView(WebhookView):
    gateway = g.RAZORPAY


@extend_schema(tags=["payments"], request=OpenApiTypes.OBJECT,
               responses={200: s.WebhookAnswerSerializer},
               description=WEBHOOK_DOC % "Stripe-Signature, with its timestamp tolerance")  # fmt: skip
class StripeWebhookView(WebhookView):
    gateway = g.STRIPE
