"""Online payment gateways behind one small interface: Razorpay and Stripe, on their official SDKs.

This is the only module that imports `razorpay` or `stripe`. Amounts come in and go out as
`Decimal` rupees; they are converted to paise here and nowhere else. Every call has a timeout,
and SDK errors surface as `GatewayError` (with `retryable` for a caller deciding whether to try
again later).

Webhooks are verified over the raw request body, before it is parsed, with each gateway's own
helper: Razorpay's `X-Razorpay-Signature` (HMAC-SHA256 of the body) and Stripe's
`Stripe-Signature` (HMAC-SHA256 of "timestamp.body", refused past the timestamp tolerance).
Webhook secrets are comma-separated lists in settings, so during a rotation the old and the new
secret are both accepted.

The signing helpers (`webhook_headers`, `sign_checkout`, `simulated_event_body`) produce exactly
what the gateway would send; tests and the local payment simulator use them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import razorpay
import requests
import stripe
from django.conf import settings

from apps.core.money import to_money, to_paise

RAZORPAY = "razorpay"
STRIPE = "stripe"
GATEWAYS = (RAZORPAY, STRIPE)
CURRENCY = "INR"
TIMEOUT = (5, 20)  # seconds to connect, to read an answer
STRIPE_TOLERANCE = 300  # seconds a Stripe-Signature timestamp may be old (the SDK's default)

# Normalised event types (WebhookEvent.type)
CAPTURED = "captured"
AUTHORIZED = "authorized"
FAILED = "failed"
REFUNDED = "refunded"
DISPUTE = "dispute"
OTHER = "other"


class GatewayError(Exception):
    """The gateway refused a request or could not be reached."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class GatewayNotConfigured(GatewayError):
    pass


class InvalidSignature(Exception):
    """A webhook or checkout callback whose signature does not verify: answer 400, change
    nothing."""


class InvalidPayload(Exception):
    """A correctly signed webhook body that is not the JSON the gateway documents."""


@dataclass(frozen=True)
class GatewayOrder:
    gateway: str
    order_id: str
    amount: Decimal
    currency: str
    status: str
    checkout: dict[str, Any]  # what the browser's checkout needs (public keys and ids only)
    raw: dict[str, Any] = field(repr=False, default_factory=dict)


@dataclass(frozen=True)
class PaymentStatus:
    gateway: str
    payment_id: str
    order_id: str
    status: str  # created, pending, authorized, captured, failed, refunded
    amount: Decimal
    amount_refunded: Decimal
    method: str = ""
    raw: dict[str, Any] = field(repr=False, default_factory=dict)


@dataclass(frozen=True)
class OrderStatus:
    gateway: str
    order_id: str
    status: str  # created, attempted, authorized, paid, cancelled
    amount: Decimal
    amount_paid: Decimal
    payments: tuple[PaymentStatus, ...] = ()
    raw: dict[str, Any] = field(repr=False, default_factory=dict)


@dataclass(frozen=True)
class GatewayRefund:
    gateway: str
    refund_id: str
    payment_id: str
    amount: Decimal
    status: str  # pending, processed, failed
    raw: dict[str, Any] = field(repr=False, default_factory=dict)


@dataclass(frozen=True)
class WebhookEvent:
    """A verified webhook, normalised. `amount` is the payment's for captured/authorized/failed,
    the refund's for refunded (for Stripe's charge.refunded, the total refunded so far) and the
    disputed amount for a dispute."""

    gateway: str
    event_id: str
    type: str  # captured, authorized, failed, refunded, dispute, other
    gateway_type: str  # the gateway's own name, e.g. payment.captured
    payment_id: str
    order_id: str
    amount: Decimal | None
    currency: str = CURRENCY
    refund_id: str = ""
    dispute_id: str = ""
    raw: dict[str, Any] = field(repr=False, default_factory=dict)


def _rupees(paise: Any) -> Decimal:
    return to_money(Decimal(int(paise)) / 100)


def _secrets(value: str) -> list[str]:
    """'new,old' -> ['new', 'old']: every secret active during a rotation, newest first."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return ""


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise InvalidPayload("the webhook body is not JSON")
    if not isinstance(data, dict):
        raise InvalidPayload("the webhook body is not a JSON object")
    return data


class _TimeoutSession(requests.Session):
    """A requests session that never waits forever (the Razorpay SDK sets no timeout)."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return super().request(*args, **kwargs)


class Gateway(ABC):
    name: str

    @abstractmethod
    def create_order(
        self, *, amount: Decimal, reference: str, notes: Mapping[str, str] | None = None
    ) -> GatewayOrder:
        """Create the gateway's order for `amount` rupees; `reference` is ours (unique per
        order, so a retried create is recognisable)."""

    @abstractmethod
    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Raise InvalidSignature unless the raw `body` is signed by an active secret."""

    @abstractmethod
    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Verify, then normalise the event."""

    @abstractmethod
    def fetch_payment(self, payment_id: str) -> PaymentStatus: ...

    @abstractmethod
    def fetch_order(self, order_id: str) -> OrderStatus: ...

    @abstractmethod
    def refund(self, *, payment_id: str, amount: Decimal, reference: str) -> GatewayRefund: ...

    @abstractmethod
    def webhook_headers(
        self, body: bytes, *, event_id: str = "", secret: str = "", timestamp: int | None = None
    ) -> dict[str, str]:
        """The headers the gateway would send with `body`, signed with `secret` (by default the
        first active webhook secret)."""

    @abstractmethod
    def simulated_event_body(
        self, outcome: str, *, order_id: str, payment_id: str, amount: Decimal, event_id: str = ""
    ) -> bytes:
        """A webhook body shaped as the gateway documents it, for `outcome` captured or
        failed (and refunded)."""


# --- Razorpay ---------------------------------------------------------------------------------

_RAZORPAY_TYPES = {
    "payment.captured": CAPTURED,
    "order.paid": CAPTURED,
    "payment.authorized": AUTHORIZED,
    "payment.failed": FAILED,
    "refund.processed": REFUNDED,
}


class RazorpayGateway(Gateway):
    name = RAZORPAY

    def __init__(self, *, key_id: str, key_secret: str, webhook_secrets: str) -> None:
        self.key_id = key_id
        self.key_secret = key_secret
        self.webhook_secrets = _secrets(webhook_secrets)
        self.client = razorpay.Client(session=_TimeoutSession(), auth=(key_id, key_secret))
        self.client.set_app_details({"title": "Schools24"})

    def _call(self, operation, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if not (self.key_id and self.key_secret):
            raise GatewayNotConfigured("Razorpay keys are not configured")
        try:
            return operation(*args, **kwargs)
        except razorpay.errors.BadRequestError as exc:
            raise GatewayError(f"Razorpay refused the request: {exc}")
        except (razorpay.errors.ServerError, razorpay.errors.GatewayError) as exc:
            raise GatewayError(f"Razorpay failed: {exc}", retryable=True)
        except requests.RequestException as exc:
            raise GatewayError(f"Razorpay unreachable: {type(exc).__name__}", retryable=True)

    def create_order(
        self, *, amount: Decimal, reference: str, notes: Mapping[str, str] | None = None
    ) -> GatewayOrder:
        paise = to_paise(amount)
        if paise <= 0:
            raise ValueError("an order is for a positive amount")
        data = self._call(
            self.client.order.create,
            {
                "amount": paise,
                "currency": CURRENCY,
                "receipt": reference[:40],  # Razorpay's limit
                "notes": {"reference": reference, **(notes or {})},
            },
        )
        return GatewayOrder(
            gateway=self.name,
            order_id=data["id"],
            amount=_rupees(data["amount"]),
            currency=data.get("currency", CURRENCY),
            status=data.get("status", "created"),
            checkout={
                "key": self.key_id,
                "order_id": data["id"],
                "amount": data["amount"],
                "currency": data.get("currency", CURRENCY),
            },
            raw=data,
        )

    # Checkout callback

    def sign_checkout(self, order_id: str, payment_id: str) -> str:
        message = f"{order_id}|{payment_id}".encode()
        return hmac.new(self.key_secret.encode(), message, hashlib.sha256).hexdigest()

    def verify_checkout(self, *, order_id: str, payment_id: str, signature: str) -> None:
        """The checkout's razorpay_signature over `order_id|payment_id` with the key secret.
        `order_id` must be the one stored when the order was created, never the browser's."""
        if not (self.key_secret and order_id and payment_id and signature):
            raise InvalidSignature("missing checkout signature fields")
        try:
            self.client.utility.verify_payment_signature(
                {
                    "razorpay_order_id": order_id,
                    "razorpay_payment_id": payment_id,
                    "razorpay_signature": signature,
                }
            )
        except (razorpay.errors.SignatureVerificationError, TypeError):
            raise InvalidSignature("the checkout signature does not verify")

    # Webhooks

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> None:
        signature = _header(headers, "X-Razorpay-Signature")
        if not signature or not self.webhook_secrets:
            raise InvalidSignature("no X-Razorpay-Signature, or no webhook secret configured")
        try:
            text = bytes(body).decode("utf-8")  # the SDK signs text; Razorpay sends UTF-8 JSON
        except UnicodeDecodeError:
            raise InvalidSignature("the body is not UTF-8")
        for secret in self.webhook_secrets:
            try:
                self.client.utility.verify_webhook_signature(text, signature, secret)
                return
            except (razorpay.errors.SignatureVerificationError, TypeError):
                continue
        raise InvalidSignature("X-Razorpay-Signature does not verify")

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        self.verify_webhook(body, headers)
        data = _json(body)
        gateway_type = str(data.get("event", ""))
        payload = data.get("payload") or {}

        def entity(name: str) -> dict[str, Any]:
            return (payload.get(name) or {}).get("entity") or {}

        payment, refund, dispute, order = (
            entity("payment"),
            entity("refund"),
            entity("dispute"),
            entity("order"),
        )
        kind = _RAZORPAY_TYPES.get(gateway_type, OTHER)
        if gateway_type.startswith("payment.dispute."):
            kind = DISPUTE
        amount_source = {REFUNDED: refund, DISPUTE: dispute}.get(kind, payment)
        amount = amount_source.get("amount")
        # Razorpay names each delivery's event in a header; a body without one is keyed by
        # its digest, so redeliveries of the same body still collapse into one event.
        event_id = _header(headers, "X-Razorpay-Event-Id") or (
            "sha256:" + hashlib.sha256(body).hexdigest()
        )
        return WebhookEvent(
            gateway=self.name,
            event_id=event_id,
            type=kind,
            gateway_type=gateway_type,
            payment_id=str(
                payment.get("id") or refund.get("payment_id") or dispute.get("payment_id") or ""
            ),
            order_id=str(payment.get("order_id") or order.get("id") or ""),
            amount=_rupees(amount) if amount is not None else None,
            currency=str(amount_source.get("currency") or CURRENCY).upper(),
            refund_id=str(refund.get("id") or ""),
            dispute_id=str(dispute.get("id") or ""),
            raw=data,
        )

    def webhook_headers(
        self, body: bytes, *, event_id: str = "", secret: str = "", timestamp: int | None = None
    ) -> dict[str, str]:
        secret = secret or self.webhook_secrets[0]
        signature = hmac.new(secret.encode(), bytes(body), hashlib.sha256).hexdigest()
        headers = {"X-Razorpay-Signature": signature, "Content-Type": "application/json"}
        if event_id:
            headers["X-Razorpay-Event-Id"] = event_id
        return headers

    def simulated_event_body(
        self, outcome: str, *, order_id: str, payment_id: str, amount: Decimal, event_id: str = ""
    ) -> bytes:
        paise = to_paise(amount)
        status = {CAPTURED: "captured", FAILED: "failed", REFUNDED: "refunded"}[outcome]
        payment = {
            "id": payment_id,
            "entity": "payment",
            "amount": paise,
            "currency": CURRENCY,
            "status": status,
            "order_id": order_id,
            "method": "upi",
            "amount_refunded": paise if outcome == REFUNDED else 0,
            "captured": outcome != FAILED,
            "error_code": "BAD_REQUEST_ERROR" if outcome == FAILED else None,
            "created_at": int(time.time()),
        }
        payload: dict[str, Any] = {"payment": {"entity": payment}}
        event = {CAPTURED: "payment.captured", FAILED: "payment.failed"}.get(outcome)
        if outcome == REFUNDED:
            event = "refund.processed"
            payload["refund"] = {
                "entity": {
                    "id": f"rfnd_{payment_id.removeprefix('pay_')}",
                    "entity": "refund",
                    "amount": paise,
                    "currency": CURRENCY,
                    "payment_id": payment_id,
                    "status": "processed",
                }
            }
        return json.dumps(
            {
                "entity": "event",
                "account_id": "acc_schools24local",
                "event": event,
                "contains": list(payload),
                "payload": payload,
                "created_at": int(time.time()),
            },
            separators=(",", ":"),
        ).encode()

    # Reconciliation and refunds

    def _payment(self, data: dict[str, Any]) -> PaymentStatus:
        return PaymentStatus(
            gateway=self.name,
            payment_id=data["id"],
            order_id=str(data.get("order_id") or ""),
            status=str(data.get("status", "")),
            amount=_rupees(data.get("amount", 0)),
            amount_refunded=_rupees(data.get("amount_refunded") or 0),
            method=str(data.get("method") or ""),
            raw=data,
        )

    def fetch_payment(self, payment_id: str) -> PaymentStatus:
        return self._payment(self._call(self.client.payment.fetch, payment_id))

    def fetch_order(self, order_id: str) -> OrderStatus:
        order = self._call(self.client.order.fetch, order_id)
        payments = self._call(self.client.order.payments, order_id)
        items = tuple(self._payment(p) for p in payments.get("items", []))
        status = str(order.get("status", ""))
        if status == "attempted" and any(p.status == "authorized" for p in items):
            status = "authorized"
        return OrderStatus(
            gateway=self.name,
            order_id=order["id"],
            status=status,
            amount=_rupees(order.get("amount", 0)),
            amount_paid=_rupees(order.get("amount_paid") or 0),
            payments=items,
            raw=order,
        )

    def refund(self, *, payment_id: str, amount: Decimal, reference: str) -> GatewayRefund:
        data = self._call(
            self.client.payment.refund,
            payment_id,
            {
                "amount": to_paise(amount),
                "receipt": reference[:40],
                "notes": {"reference": reference},
            },
        )
        return GatewayRefund(
            gateway=self.name,
            refund_id=data["id"],
            payment_id=str(data.get("payment_id") or payment_id),
            amount=_rupees(data["amount"]),
            status=str(data.get("status", "pending")),
            raw=data,
        )


# --- Stripe -----------------------------------------------------------------------------------

_STRIPE_TYPES = {
    "payment_intent.succeeded": CAPTURED,
    "payment_intent.amount_capturable_updated": AUTHORIZED,
    "payment_intent.payment_failed": FAILED,
    "charge.refunded": REFUNDED,
    "refund.created": REFUNDED,
    "refund.updated": REFUNDED,
}
_STRIPE_STATUS = {
    "succeeded": "captured",
    "requires_capture": "authorized",
    "processing": "pending",
    "canceled": "failed",
}


class StripeGateway(Gateway):
    """A Stripe PaymentIntent is both the order and the payment: its id is the order id and
    the payment id, and the checkout confirms it with its client secret."""

    name = STRIPE

    def __init__(self, *, secret_key: str, publishable_key: str, webhook_secrets: str) -> None:
        self.secret_key = secret_key
        self.publishable_key = publishable_key
        self.webhook_secrets = _secrets(webhook_secrets)
        self.client = stripe.StripeClient(
            secret_key or "sk_unconfigured",
            http_client=stripe.RequestsClient(timeout=TIMEOUT[1]),
            max_network_retries=2,  # Stripe retries with an idempotency key, so safely
        )

    def _call(self, operation, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if not self.secret_key:
            raise GatewayNotConfigured("Stripe keys are not configured")
        try:
            return operation(*args, **kwargs).to_dict()
        except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as exc:
            raise GatewayError(f"Stripe failed: {type(exc).__name__}", retryable=True)
        except stripe.StripeError as exc:
            raise GatewayError(f"Stripe refused the request: {exc.user_message or exc}")

    def create_order(
        self, *, amount: Decimal, reference: str, notes: Mapping[str, str] | None = None
    ) -> GatewayOrder:
        paise = to_paise(amount)
        if paise <= 0:
            raise ValueError("an order is for a positive amount")
        data = self._call(
            self.client.v1.payment_intents.create,
            params={
                "amount": paise,
                "currency": CURRENCY.lower(),
                "automatic_payment_methods": {"enabled": True},
                "metadata": {"reference": reference, **(notes or {})},
            },
            options={"idempotency_key": f"order-{reference}"},
        )
        return GatewayOrder(
            gateway=self.name,
            order_id=data["id"],
            amount=_rupees(data["amount"]),
            currency=str(data.get("currency", CURRENCY)).upper(),
            status=str(data.get("status", "")),
            checkout={
                "publishable_key": self.publishable_key,
                "payment_intent": data["id"],
                "client_secret": data.get("client_secret"),
                "amount": data["amount"],
                "currency": data.get("currency", CURRENCY.lower()),
            },
            raw=data,
        )

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> None:
        self._construct(body, headers)

    def _construct(self, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        signature = _header(headers, "Stripe-Signature")
        if not signature or not self.webhook_secrets:
            raise InvalidSignature("no Stripe-Signature, or no webhook secret configured")
        for secret in self.webhook_secrets:
            try:
                event = stripe.Webhook.construct_event(
                    bytes(body),
                    signature,
                    secret,
                    tolerance=STRIPE_TOLERANCE,
                    api_key=self.secret_key or None,
                )
            except stripe.SignatureVerificationError:
                continue
            except UnicodeDecodeError:
                raise InvalidSignature("the body is not UTF-8")
            except ValueError:
                raise InvalidPayload("the webhook body is not JSON")
            return event.to_dict()
        raise InvalidSignature("Stripe-Signature does not verify (or is too old)")

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        data = self._construct(body, headers)
        gateway_type = str(data.get("type", ""))
        obj = (data.get("data") or {}).get("object") or {}
        kind = _STRIPE_TYPES.get(gateway_type, OTHER)
        if gateway_type.startswith("charge.dispute."):
            kind = DISPUTE
        refund_id = dispute_id = ""
        payment_id = order_id = ""
        amount = obj.get("amount")
        if obj.get("object") == "payment_intent":
            payment_id = order_id = str(obj.get("id") or "")
        elif obj.get("object") == "charge":  # charge.refunded
            payment_id = order_id = str(obj.get("payment_intent") or "")
            amount = obj.get("amount_refunded")
            refunds = (obj.get("refunds") or {}).get("data") or []
            refund_id = str(refunds[0].get("id") or "") if refunds else ""
        elif obj.get("object") == "refund":
            payment_id = order_id = str(obj.get("payment_intent") or "")
            refund_id = str(obj.get("id") or "")
            if obj.get("status") != "succeeded":
                kind = OTHER  # pending or failed: no money has moved back
        elif obj.get("object") == "dispute":
            payment_id = order_id = str(obj.get("payment_intent") or "")
            dispute_id = str(obj.get("id") or "")
        return WebhookEvent(
            gateway=self.name,
            event_id=str(data.get("id") or ""),
            type=kind,
            gateway_type=gateway_type,
            payment_id=payment_id,
            order_id=order_id,
            amount=_rupees(amount) if amount is not None else None,
            currency=str(obj.get("currency") or CURRENCY).upper(),
            refund_id=refund_id,
            dispute_id=dispute_id,
            raw=data,
        )

    def webhook_headers(
        self, body: bytes, *, event_id: str = "", secret: str = "", timestamp: int | None = None
    ) -> dict[str, str]:
        header = stripe.WebhookSignature.generate_signature_header(
            bytes(body).decode("utf-8"), secret or self.webhook_secrets[0], timestamp=timestamp
        )
        return {"Stripe-Signature": header, "Content-Type": "application/json"}

    def simulated_event_body(
        self, outcome: str, *, order_id: str, payment_id: str, amount: Decimal, event_id: str = ""
    ) -> bytes:
        paise = to_paise(amount)
        event_type, obj = {
            CAPTURED: ("payment_intent.succeeded", {"status": "succeeded", "amount_received": paise}),
            FAILED: (
                "payment_intent.payment_failed",
                {"status": "requires_payment_method", "amount_received": 0,
                 "last_payment_error": {"code": "card_declined", "message": "Your card was declined."}},
            ),
        }[outcome]  # fmt: skip
        intent = {
            "id": payment_id or order_id,
            "object": "payment_intent",
            "amount": paise,
            "currency": CURRENCY.lower(),
            "livemode": False,
            **obj,
        }
        return json.dumps(
            {
                "id": event_id or f"evt_{hashlib.sha256(repr(intent).encode()).hexdigest()[:24]}",
                "object": "event",
                "api_version": stripe.api_version,
                "created": int(time.time()),
                "type": event_type,
                "livemode": False,
                "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None},
                "data": {"object": intent},
            },
            separators=(",", ":"),
        ).encode()

    def _payment(self, data: dict[str, Any]) -> PaymentStatus:
        status = _STRIPE_STATUS.get(str(data.get("status")), "created")
        if data.get("status") == "requires_payment_method" and data.get("last_payment_error"):
            status = "failed"
        charge = data.get("latest_charge")
        refunded = charge.get("amount_refunded", 0) if isinstance(charge, dict) else 0
        if status == "captured" and refunded and refunded >= data.get("amount", 0):
            status = "refunded"
        return PaymentStatus(
            gateway=self.name,
            payment_id=data["id"],
            order_id=data["id"],
            status=status,
            amount=_rupees(data.get("amount", 0)),
            amount_refunded=_rupees(refunded),
            method=",".join(data.get("payment_method_types") or []),
            raw=data,
        )

    def fetch_payment(self, payment_id: str) -> PaymentStatus:
        return self._payment(
            self._call(
                self.client.v1.payment_intents.retrieve,
                payment_id,
                params={"expand": ["latest_charge"]},
            )
        )

    def fetch_order(self, order_id: str) -> OrderStatus:
        payment = self.fetch_payment(order_id)
        status = {
            "captured": "paid",
            "refunded": "paid",
            "authorized": "authorized",
            "failed": "attempted",
            "pending": "attempted",
        }.get(payment.status, "created")
        if payment.raw.get("status") == "canceled":
            status = "cancelled"
        return OrderStatus(
            gateway=self.name,
            order_id=order_id,
            status=status,
            amount=payment.amount,
            amount_paid=payment.amount if status == "paid" else Decimal("0.00"),
            payments=(payment,),
            raw=payment.raw,
        )

    def refund(self, *, payment_id: str, amount: Decimal, reference: str) -> GatewayRefund:
        data = self._call(
            self.client.v1.refunds.create,
            params={
                "payment_intent": payment_id,
                "amount": to_paise(amount),
                "metadata": {"reference": reference},
            },
            options={"idempotency_key": f"refund-{reference}"},
        )
        status = {"succeeded": "processed", "pending": "pending"}.get(data.get("status"), "failed")
        return GatewayRefund(
            gateway=self.name,
            refund_id=data["id"],
            payment_id=str(data.get("payment_intent") or payment_id),
            amount=_rupees(data["amount"]),
            status=status,
            raw=data,
        )


class _Offline:
    """Development without gateway accounts (PAYMENTS_OFFLINE_GATEWAYS): orders are made here
    instead of at the gateway, and the gateway is never asked about them; the money arrives
    by webhooks signed as the gateway signs them (`manage.py simulate_payment`)."""

    name: str
    prefix: str

    def create_order(
        self, *, amount: Decimal, reference: str, notes: Mapping[str, str] | None = None
    ) -> GatewayOrder:
        paise = to_paise(amount)
        if paise <= 0:
            raise ValueError("an order is for a positive amount")
        order_id = self.prefix + hashlib.sha256(reference.encode()).hexdigest()[:14]
        checkout = (
            {"key": self.key_id, "order_id": order_id}  # type: ignore[attr-defined]
            if self.name == RAZORPAY
            else {"publishable_key": self.publishable_key,  # type: ignore[attr-defined]
                  "payment_intent": order_id, "client_secret": f"{order_id}_secret_local"}
        )  # fmt: skip
        checkout.update({"amount": paise, "currency": CURRENCY})
        return GatewayOrder(
            gateway=self.name, order_id=order_id, amount=to_money(amount), currency=CURRENCY,
            status="created", checkout=checkout,
        )  # fmt: skip

    def fetch_order(self, order_id: str) -> OrderStatus:
        return OrderStatus(gateway=self.name, order_id=order_id, status="created",
                           amount=Decimal("0.00"), amount_paid=Decimal("0.00"))  # fmt: skip

    def refund(self, *, payment_id: str, amount: Decimal, reference: str) -> GatewayRefund:
        refund_id = ("rfnd_local" if self.name == RAZORPAY else "re_local") + hashlib.sha256(
            reference.encode()
        ).hexdigest()[:14]
        return GatewayRefund(gateway=self.name, refund_id=refund_id, payment_id=payment_id,
                             amount=to_money(amount), status="processed", raw={})  # fmt: skip


class OfflineRazorpayGateway(_Offline, RazorpayGateway):
    prefix = "order_local"


class OfflineStripeGateway(_Offline, StripeGateway):
    prefix = "pi_local"


def get_gateway(name: str) -> Gateway:
    """The gateway named `name`, configured from settings (made locally while
    PAYMENTS_OFFLINE_GATEWAYS is on)."""
    offline = getattr(settings, "PAYMENTS_OFFLINE_GATEWAYS", False)
    if name == RAZORPAY:
        return (OfflineRazorpayGateway if offline else RazorpayGateway)(
            key_id=settings.RAZORPAY_KEY_ID,
            key_secret=settings.RAZORPAY_KEY_SECRET,
            webhook_secrets=settings.RAZORPAY_WEBHOOK_SECRET,
        )
    if name == STRIPE:
        return (OfflineStripeGateway if offline else StripeGateway)(
            secret_key=settings.STRIPE_SECRET_KEY,
            publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
            webhook_secrets=settings.STRIPE_WEBHOOK_SECRET,
        )
    raise ValueError(f"unknown payment gateway {name!r}")
