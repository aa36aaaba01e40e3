"""Online payments: an order at a gateway for some of one family's invoices, and the webhook
events the gateways send about it.

An order stores what it pays (its invoices with the amount for each) when it is created; the
money is credited to the fee office (`apps.fees.services.payment_record_online`) only from a
verified webhook or the reconciliation job, under the gateway's unique payment id. Webhook
events are stored once per (gateway, event id), so a delivery repeated is recognised.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.models import SchoolScopedModel
from apps.fees.models import money


class Gateway(models.TextChoices):
    RAZORPAY = "razorpay", "Razorpay"
    STRIPE = "stripe", "Stripe"


class OrderStatus(models.TextChoices):
    CREATED = "created", _("created")
    VERIFYING = "verifying", _("verifying")
    PAID = "paid", _("paid")
    FAILED = "failed", _("failed")
    EXPIRED = "expired", _("expired")


PENDING_STATUSES = (OrderStatus.CREATED, OrderStatus.VERIFYING)


class PaymentOrder(SchoolScopedModel):
    """One checkout at a gateway. `student` anchors the family (whose advance credit an
    overpayment becomes); the invoices it pays are its lines."""

    gateway = models.CharField(_("gateway"), max_length=16, choices=Gateway.choices)
    gateway_order_id = models.CharField(_("gateway order id"), max_length=64)
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    student = models.ForeignKey(
        "accounts.StudentProfile",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("student"),
    )
    amount = money(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, default="INR")
    status = models.CharField(
        _("status"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.CREATED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    gateway_payment_id = models.CharField(_("gateway payment id"), max_length=64, blank=True)
    payment = models.OneToOneField(
        "fees.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="online_order",
        verbose_name=_("payment"),
    )
    verified_at = models.DateTimeField(_("checkout verified at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    authorized_at = models.DateTimeField(
        _("authorized, not captured, since"),
        null=True,
        blank=True,
        help_text=_("The gateway holds an authorized payment that was never captured."),
    )
    disputed_at = models.DateTimeField(_("disputed at"), null=True, blank=True)
    checked_at = models.DateTimeField(_("last reconciled at"), null=True, blank=True)
    failure_reason = models.CharField(_("why it failed"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="payment_order_pending")]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "gateway_order_id"], name="payment_order_gateway_id_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_order_amount_positive"),
        ]
        verbose_name = _("payment order")
        verbose_name_plural = _("payment orders")

    def __str__(self) -> str:
        return self.reference


class PaymentOrderInvoice(SchoolScopedModel):
    """How much of the order goes to one invoice (decided when the order is created)."""

    order = models.ForeignKey(PaymentOrder, on_delete=models.CASCADE, related_name="lines")
    invoice = models.ForeignKey(
        "fees.Invoice", on_delete=models.PROTECT, related_name="+", verbose_name=_("invoice")
    )
    amount = money(_("amount"))

    class Meta:
        ordering = ["order", "invoice__due_date"]
        constraints = [
            models.UniqueConstraint(fields=["order", "invoice"], name="payment_order_invoice_once"),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="payment_order_invoice_amount_positive"
            ),
        ]
        verbose_name = _("order invoice")
        verbose_name_plural = _("order invoices")

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.amount}"


class WebhookEvent(models.Model):
    """A verified webhook delivery, stored once per (gateway, event id) before it is processed
    in the background."""

    id = models.BigAutoField(primary_key=True)
    gateway = models.CharField(_("gateway"), max_length=16, choices=Gateway.choices)
    event_id = models.CharField(_("event id"), max_length=100)
    type = models.CharField(_("type"), max_length=16, db_index=True)
    gateway_type = models.CharField(_("gateway's type"), max_length=64)
    gateway_order_id = models.CharField(_("gateway order id"), max_length=64, blank=True)
    gateway_payment_id = models.CharField(
        _("gateway payment id"), max_length=64, blank=True, db_index=True
    )
    refund_id = models.CharField(_("gateway refund id"), max_length=64, blank=True)
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    payload = models.JSONField(_("payload"))
    school = models.ForeignKey(
        "accounts.School", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.ForeignKey(
        PaymentOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=32, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "event_id"], name="webhook_event_once"),
        ]
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")

    def __str__(self) -> str:
        return f"{self.gateway} {self.event_id}"
