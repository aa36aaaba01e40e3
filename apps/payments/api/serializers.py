from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import Gateway, PaymentOrder, PaymentOrderInvoice, WebhookEvent

MONEY = {"max_digits": 12, "decimal_places": 2, "coerce_to_string": True}


class OrderInvoiceSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="invoice.number", read_only=True)

    class Meta:
        model = PaymentOrderInvoice
        fields = ["invoice", "number", "amount"]
        read_only_fields = fields


class PaymentOrderSerializer(serializers.ModelSerializer):
    lines = OrderInvoiceSerializer(many=True, read_only=True)
    receipt_number = serializers.CharField(
        source="payment.receipt.number", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = PaymentOrder
        fields = ["id", "reference", "gateway", "gateway_order_id", "student", "amount",
                  "currency", "status", "lines", "gateway_payment_id", "payment",
                  "receipt_number", "created_by", "created_at", "verified_at", "paid_at",
                  "authorized_at", "disputed_at", "failure_reason"]  # fmt: skip
        read_only_fields = fields


class OrderInputSerializer(serializers.Serializer):
    invoices = serializers.ListField(
        child=serializers.UUIDField(), min_length=1, max_length=24,
        help_text=_("The invoices to pay (one family's, open). The amount settles them in "
                    "due-date order."),
    )  # fmt: skip
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0.01"),
        help_text=_("Rupees: the whole of what the invoices owe, or part of it down to the "
                    "school's minimum."),
    )  # fmt: skip
    gateway = serializers.ChoiceField(Gateway.choices, default=Gateway.RAZORPAY)


class CheckoutSerializer(serializers.Serializer):
    """What the gateway's checkout needs: Razorpay's key id and order id, or Stripe's
    publishable key, PaymentIntent and client secret. Amounts here are in paise."""

    key = serializers.CharField(required=False, help_text="Razorpay key id.")
    order_id = serializers.CharField(required=False, help_text="Razorpay order id.")
    publishable_key = serializers.CharField(required=False, help_text="Stripe.")
    payment_intent = serializers.CharField(required=False, help_text="Stripe.")
    client_secret = serializers.CharField(required=False, allow_null=True, help_text="Stripe.")
    amount = serializers.IntegerField(help_text="Paise.")
    currency = serializers.CharField()


class OrderCreatedSerializer(serializers.Serializer):
    order = PaymentOrderSerializer()
    checkout = CheckoutSerializer()


class VerifyInputSerializer(serializers.Serializer):
    razorpay_order_id = serializers.CharField(max_length=64)
    razorpay_payment_id = serializers.CharField(max_length=64)
    razorpay_signature = serializers.CharField(max_length=200)


class WebhookAnswerSerializer(serializers.Serializer):
    received = serializers.BooleanField()
    duplicate = serializers.BooleanField()


class WebhookEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEvent
        fields = ["id", "gateway", "event_id", "type", "gateway_type", "received_at",
                  "processed_at", "outcome", "error"]  # fmt: skip
        read_only_fields = fields
