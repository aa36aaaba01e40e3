"""The Razorpay and Stripe adapters: the requests we send, the documented answers we read, and
webhook and checkout signatures made as each gateway makes them. No request leaves the
process: `responses` answers every call, and an unexpected one fails the test."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal as D
from urllib.parse import parse_qsl

import pytest
import razorpay
import responses
import stripe
import time_machine

from apps.payments import gateways as g

RZP = "https://api.razorpay.com/v1"
STRIPE_API = "https://api.stripe.com/v1"
NOW = 1_780_000_000  # a fixed instant (2026-05-28), pinned with time-machine where it matters


@pytest.fixture(autouse=True)
def _keys(settings):
    settings.RAZORPAY_KEY_ID = "rzp_test_k3y"
    settings.RAZORPAY_KEY_SECRET = "rzp-key-secret"
    settings.RAZORPAY_WEBHOOK_SECRET = "rzp-hook-new, rzp-hook-old"  # a rotation in progress
    settings.STRIPE_SECRET_KEY = "sk_test_k3y"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_k3y"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_new,whsec_old"
    settings.PAYMENTS_OFFLINE_GATEWAYS = False  # the real adapters, against `responses`


@pytest.fixture
def http():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def _form(request) -> dict[str, str]:
    return dict(parse_qsl(request.body if isinstance(request.body, str) else request.body.decode()))


# --- Razorpay: orders, payments, refunds ------------------------------------------------------

RZP_ORDER = {
    "id": "order_EKwxwAgItmmXdp",
    "entity": "order",
    "amount": 123450,
    "amount_paid": 0,
    "amount_due": 123450,
    "currency": "INR",
    "receipt": "ORD-25-000017",
    "offer_id": None,
    "status": "created",
    "attempts": 0,
    "notes": {"reference": "ORD-25-000017", "school": "7"},
    "created_at": 1582628071,
}
RZP_PAYMENT = {
    "id": "pay_G8VQzjPLoAvm6D",
    "entity": "payment",
    "amount": 123450,
    "currency": "INR",
    "status": "captured",
    "order_id": "order_EKwxwAgItmmXdp",
    "invoice_id": None,
    "international": False,
    "method": "upi",
    "amount_refunded": 50000,
    "refund_status": "partial",
    "captured": True,
    "description": None,
    "vpa": "parent@okbank",
    "email": "parent@example.com",
    "contact": "+919876543210",
    "fee": 2914,
    "tax": 444,
    "error_code": None,
    "created_at": 1582628090,
}


def test_razorpay_order_is_created_in_paise_with_our_reference(http):
    http.post(f"{RZP}/orders", json=RZP_ORDER)
    order = g.get_gateway("razorpay").create_order(
        amount=D("1234.50"), reference="ORD-25-000017", notes={"school": "7"}
    )
    request = http.calls[0].request
    assert json.loads(request.body) == {
        "amount": 123450,
        "currency": "INR",
        "receipt": "ORD-25-000017",
        "notes": {"reference": "ORD-25-000017", "school": "7"},
    }
    expected_auth = base64.b64encode(b"rzp_test_k3y:rzp-key-secret").decode()
    assert request.headers["Authorization"] == f"Basic {expected_auth}"
    assert request.req_kwargs["timeout"] == g.TIMEOUT  # never an unbounded wait
    assert order == g.GatewayOrder(
        gateway="razorpay",
        order_id="order_EKwxwAgItmmXdp",
        amount=D("1234.50"),
        currency="INR",
        status="created",
        checkout={
            "key": "rzp_test_k3y",
            "order_id": "order_EKwxwAgItmmXdp",
            "amount": 123450,
            "currency": "INR",
        },
        raw=RZP_ORDER,
    )
    assert "rzp-key-secret" not in json.dumps(order.checkout)


@pytest.mark.parametrize("amount", [D("0"), D("-5"), D("10.005")])
def test_an_order_needs_a_positive_amount_in_paise(http, amount):
    with pytest.raises(ValueError):
        g.get_gateway("razorpay").create_order(amount=amount, reference="ORD-1")
    with pytest.raises(ValueError):
        g.get_gateway("stripe").create_order(amount=amount, reference="ORD-1")
    assert not http.calls


def test_razorpay_payment_and_order_status_for_reconciliation(http):
    http.get(f"{RZP}/payments/pay_G8VQzjPLoAvm6D", json=RZP_PAYMENT)
    http.get(
        f"{RZP}/orders/order_EKwxwAgItmmXdp",
        json={**RZP_ORDER, "status": "attempted", "attempts": 1},
    )
    http.get(
        f"{RZP}/orders/order_EKwxwAgItmmXdp/payments",
        json={"entity": "collection", "count": 1, "items": [{**RZP_PAYMENT, "status": "authorized", "captured": False, "amount_refunded": 0}]},
    )  # fmt: skip
    gateway = g.get_gateway("razorpay")
    payment = gateway.fetch_payment("pay_G8VQzjPLoAvm6D")
    assert (payment.status, payment.amount, payment.amount_refunded, payment.order_id, payment.method) == (
        "captured", D("1234.50"), D("500.00"), "order_EKwxwAgItmmXdp", "upi",
    )  # fmt: skip
    order = gateway.fetch_order("order_EKwxwAgItmmXdp")
    # authorized but not captured: what the reconciliation job reports
    assert (order.status, order.amount, order.amount_paid) == (
        "authorized",
        D("1234.50"),
        D("0.00"),
    )
    assert [p.status for p in order.payments] == ["authorized"]


def test_razorpay_refund_sends_paise_and_reads_the_refund(http):
    http.post(
        f"{RZP}/payments/pay_G8VQzjPLoAvm6D/refund",
        json={"id": "rfnd_FP8QHiV938haTz", "entity": "refund", "amount": 50000, "currency": "INR",
              "payment_id": "pay_G8VQzjPLoAvm6D", "notes": {"reference": "RF-25-000003"},
              "receipt": "RF-25-000003", "status": "processed", "speed_processed": "normal",
              "created_at": 1597078866},
    )  # fmt: skip
    refund = g.get_gateway("razorpay").refund(
        payment_id="pay_G8VQzjPLoAvm6D", amount=D("500.00"), reference="RF-25-000003"
    )
    assert json.loads(http.calls[0].request.body) == {
        "amount": 50000,
        "receipt": "RF-25-000003",
        "notes": {"reference": "RF-25-000003"},
    }
    assert (refund.refund_id, refund.amount, refund.status) == ("rfnd_FP8QHiV938haTz", D("500.00"), "processed")  # fmt: skip


def test_razorpay_errors_say_whether_to_retry(http):
    gateway = g.get_gateway("razorpay")
    http.get(
        f"{RZP}/payments/pay_missing",
        status=400,
        json={
            "error": {"code": "BAD_REQUEST_ERROR", "description": "The id provided does not exist"}
        },
    )
    with pytest.raises(g.GatewayError) as refused:
        gateway.fetch_payment("pay_missing")
    assert not refused.value.retryable and "does not exist" in str(refused.value)
    http.get(
        f"{RZP}/payments/pay_busy",
        status=500,
        json={"error": {"code": "SERVER_ERROR", "description": "The server encountered an error"}},
    )
    with pytest.raises(g.GatewayError) as failed:
        gateway.fetch_payment("pay_busy")
    assert failed.value.retryable
    # Not registered with the mock: refused as a connection error, never sent anywhere.
    with pytest.raises(g.GatewayError) as unreachable:
        gateway.fetch_payment("pay_elsewhere")
    assert unreachable.value.retryable


def test_an_unconfigured_gateway_says_so(settings, http):
    settings.RAZORPAY_KEY_SECRET = ""
    settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(g.GatewayNotConfigured):
        g.get_gateway("razorpay").create_order(amount=D("10"), reference="ORD-1")
    with pytest.raises(g.GatewayNotConfigured):
        g.get_gateway("stripe").create_order(amount=D("10"), reference="ORD-1")
    with pytest.raises(ValueError):
        g.get_gateway("paypal")


# --- Razorpay: checkout and webhook signatures ------------------------------------------------


def _rzp_sign(secret: str, message: bytes) -> str:
    """Razorpay's documented algorithm: hex HMAC-SHA256 with the secret."""
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def test_razorpay_checkout_signature_over_order_and_payment_ids():
    gateway = g.get_gateway("razorpay")
    signature = _rzp_sign("rzp-key-secret", b"order_EKwxwAgItmmXdp|pay_G8VQzjPLoAvm6D")
    assert gateway.sign_checkout("order_EKwxwAgItmmXdp", "pay_G8VQzjPLoAvm6D") == signature
    gateway.verify_checkout(order_id="order_EKwxwAgItmmXdp", payment_id="pay_G8VQzjPLoAvm6D", signature=signature)  # fmt: skip
    wrong = [
        ("order_OTHER", "pay_G8VQzjPLoAvm6D", signature),  # the browser's order, not ours
        ("order_EKwxwAgItmmXdp", "pay_OTHER", signature),
        ("order_EKwxwAgItmmXdp", "pay_G8VQzjPLoAvm6D", _rzp_sign("another-secret", b"order_EKwxwAgItmmXdp|pay_G8VQzjPLoAvm6D")),
        ("order_EKwxwAgItmmXdp", "pay_G8VQzjPLoAvm6D", "ünïcode"),
        ("order_EKwxwAgItmmXdp", "pay_G8VQzjPLoAvm6D", ""),
    ]  # fmt: skip
    for order_id, payment_id, bad in wrong:
        with pytest.raises(g.InvalidSignature):
            gateway.verify_checkout(order_id=order_id, payment_id=payment_id, signature=bad)


def _rzp_event(event: str, payload: dict) -> bytes:
    body = {
        "entity": "event",
        "account_id": "acc_BFQ7uQEaa7j2z7",
        "event": event,
        "contains": list(payload),
        "payload": payload,
        "created_at": 1567674606,
    }
    # Razorpay's own spacing and key order: the signature is over these exact bytes.
    return json.dumps(body, indent=1).encode()


CAPTURED_BODY = _rzp_event("payment.captured", {"payment": {"entity": RZP_PAYMENT}})


def test_razorpay_webhook_verifies_over_the_raw_body_with_any_active_secret():
    gateway = g.get_gateway("razorpay")
    for secret in ("rzp-hook-new", "rzp-hook-old"):
        headers = {"x-razorpay-signature": _rzp_sign(secret, CAPTURED_BODY)}  # any header case
        gateway.verify_webhook(CAPTURED_BODY, headers)
        # the SDK's own verifier agrees with the signature we compute
        assert razorpay.Utility().verify_webhook_signature(
            CAPTURED_BODY.decode(), headers["x-razorpay-signature"], secret
        )
    assert gateway.webhook_headers(CAPTURED_BODY)["X-Razorpay-Signature"] == _rzp_sign(
        "rzp-hook-new", CAPTURED_BODY
    )


def test_razorpay_webhook_refuses_a_tampered_body_a_wrong_secret_or_no_signature():
    gateway = g.get_gateway("razorpay")
    good = _rzp_sign("rzp-hook-old", CAPTURED_BODY)
    tampered = CAPTURED_BODY.replace(b'"amount": 123450', b'"amount": 923450')
    assert tampered != CAPTURED_BODY
    reparsed = json.dumps(json.loads(CAPTURED_BODY)).encode()  # same JSON, other bytes
    cases = [
        (tampered, {"X-Razorpay-Signature": good}),
        (reparsed, {"X-Razorpay-Signature": good}),
        (CAPTURED_BODY, {"X-Razorpay-Signature": _rzp_sign("rzp-hook-retired", CAPTURED_BODY)}),
        (CAPTURED_BODY, {"X-Razorpay-Signature": good.upper()}),
        (CAPTURED_BODY, {}),
        (b"\xff\xfe not utf-8", {"X-Razorpay-Signature": _rzp_sign("rzp-hook-old", b"\xff\xfe not utf-8")}),
    ]  # fmt: skip
    for body, headers in cases:
        with pytest.raises(g.InvalidSignature):
            gateway.parse_webhook(body, headers)


def test_razorpay_webhook_with_no_secret_configured_verifies_nothing(settings):
    settings.RAZORPAY_WEBHOOK_SECRET = " , "
    with pytest.raises(g.InvalidSignature):
        g.get_gateway("razorpay").verify_webhook(CAPTURED_BODY, {"X-Razorpay-Signature": _rzp_sign("", CAPTURED_BODY)})  # fmt: skip


REFUND = {"id": "rfnd_FP8QHiV938haTz", "entity": "refund", "amount": 50000, "currency": "INR",
          "payment_id": "pay_G8VQzjPLoAvm6D", "status": "processed"}  # fmt: skip
DISPUTE = {"id": "disp_Esz7KAitoYM7PJ", "entity": "dispute", "payment_id": "pay_G8VQzjPLoAvm6D",
           "amount": 123450, "currency": "INR", "reason_code": "chargeback", "status": "open",
           "phase": "chargeback"}  # fmt: skip
FAILED_PAYMENT = {**RZP_PAYMENT, "status": "failed", "captured": False, "amount_refunded": 0,
                  "error_code": "BAD_REQUEST_ERROR", "error_reason": "payment_failed"}  # fmt: skip


@pytest.mark.parametrize(
    ("event", "payload", "expected"),
    [
        ("payment.captured", {"payment": {"entity": RZP_PAYMENT}}, ("captured", D("1234.50"), "", "")),
        ("payment.authorized", {"payment": {"entity": {**RZP_PAYMENT, "status": "authorized"}}}, ("authorized", D("1234.50"), "", "")),
        ("payment.failed", {"payment": {"entity": FAILED_PAYMENT}}, ("failed", D("1234.50"), "", "")),
        ("order.paid", {"payment": {"entity": RZP_PAYMENT}, "order": {"entity": {**RZP_ORDER, "status": "paid"}}}, ("captured", D("1234.50"), "", "")),
        ("refund.processed", {"refund": {"entity": REFUND}, "payment": {"entity": RZP_PAYMENT}}, ("refunded", D("500.00"), "rfnd_FP8QHiV938haTz", "")),
        ("payment.dispute.created", {"payment": {"entity": RZP_PAYMENT}, "dispute": {"entity": DISPUTE}}, ("dispute", D("1234.50"), "", "disp_Esz7KAitoYM7PJ")),
        ("payment.dispute.lost", {"payment": {"entity": RZP_PAYMENT}, "dispute": {"entity": {**DISPUTE, "status": "lost"}}}, ("dispute", D("1234.50"), "", "disp_Esz7KAitoYM7PJ")),
        ("refund.failed", {"refund": {"entity": {**REFUND, "status": "failed"}}}, ("other", None, "rfnd_FP8QHiV938haTz", "")),
    ],
)  # fmt: skip
def test_razorpay_events_are_normalised(event, payload, expected):
    body = _rzp_event(event, payload)
    parsed = g.get_gateway("razorpay").parse_webhook(
        body,
        {"X-Razorpay-Signature": _rzp_sign("rzp-hook-new", body), "X-Razorpay-Event-Id": "evt_1"},
    )
    kind, amount, refund_id, dispute_id = expected
    assert (parsed.type, parsed.refund_id, parsed.dispute_id) == (kind, refund_id, dispute_id)
    assert (parsed.gateway, parsed.event_id, parsed.gateway_type) == ("razorpay", "evt_1", event)
    assert parsed.payment_id == "pay_G8VQzjPLoAvm6D"
    assert parsed.amount == amount
    if event.startswith("payment") or event == "order.paid":
        assert parsed.order_id == "order_EKwxwAgItmmXdp"


def test_razorpay_event_without_an_event_id_is_keyed_by_its_body():
    gateway = g.get_gateway("razorpay")
    headers = {"X-Razorpay-Signature": _rzp_sign("rzp-hook-new", CAPTURED_BODY)}
    first = gateway.parse_webhook(CAPTURED_BODY, headers)
    assert first.event_id == "sha256:" + hashlib.sha256(CAPTURED_BODY).hexdigest()
    assert gateway.parse_webhook(CAPTURED_BODY, headers).event_id == first.event_id


def test_a_signed_body_that_is_not_json_is_an_invalid_payload():
    body = b"not json"
    with pytest.raises(g.InvalidPayload):
        g.get_gateway("razorpay").parse_webhook(body, {"X-Razorpay-Signature": _rzp_sign("rzp-hook-new", body)})  # fmt: skip


# --- Stripe -----------------------------------------------------------------------------------

PAYMENT_INTENT = {
    "id": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
    "object": "payment_intent",
    "amount": 123450,
    "amount_capturable": 0,
    "amount_received": 0,
    "automatic_payment_methods": {"enabled": True},
    "capture_method": "automatic",
    "client_secret": "pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH",
    "confirmation_method": "automatic",
    "created": 1680800504,
    "currency": "inr",
    "last_payment_error": None,
    "latest_charge": None,
    "livemode": False,
    "metadata": {"reference": "ORD-25-000017", "school": "7"},
    "payment_method_types": ["card", "upi"],
    "status": "requires_payment_method",
}


def test_stripe_payment_intent_is_created_in_paise_idempotently(http):
    http.post(f"{STRIPE_API}/payment_intents", json=PAYMENT_INTENT)
    order = g.get_gateway("stripe").create_order(
        amount=D("1234.50"), reference="ORD-25-000017", notes={"school": "7"}
    )
    request = http.calls[0].request
    assert _form(request) == {
        "amount": "123450",
        "currency": "inr",
        "automatic_payment_methods[enabled]": "true",
        "metadata[reference]": "ORD-25-000017",
        "metadata[school]": "7",
    }
    assert request.headers["Authorization"] == "Bearer sk_test_k3y"
    assert request.headers["Idempotency-Key"] == "order-ORD-25-000017"
    assert (order.order_id, order.amount, order.currency) == ("pi_3MtwBwLkdIwHu7ix28a3tqPa", D("1234.50"), "INR")  # fmt: skip
    assert order.checkout == {
        "publishable_key": "pk_test_k3y",
        "payment_intent": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
        "client_secret": PAYMENT_INTENT["client_secret"],
        "amount": 123450,
        "currency": "inr",
    }
    assert "sk_test" not in json.dumps(order.checkout)


def test_stripe_status_and_refund(http):
    charge = {"id": "ch_3MtwBwLkdIwHu7ix", "object": "charge", "amount": 123450, "amount_refunded": 123450, "refunded": True}  # fmt: skip
    http.get(
        f"{STRIPE_API}/payment_intents/pi_3MtwBwLkdIwHu7ix28a3tqPa",
        json={**PAYMENT_INTENT, "status": "succeeded", "amount_received": 123450, "latest_charge": charge},
    )  # fmt: skip
    http.get(
        f"{STRIPE_API}/payment_intents/pi_held",
        json={**PAYMENT_INTENT, "id": "pi_held", "status": "requires_capture", "amount_capturable": 123450},
    )  # fmt: skip
    http.post(
        f"{STRIPE_API}/refunds",
        json={"id": "re_3MtwBwLkdIwHu7ix0mJ", "object": "refund", "amount": 50000, "currency": "inr",
              "payment_intent": "pi_3MtwBwLkdIwHu7ix28a3tqPa", "status": "succeeded",
              "metadata": {"reference": "RF-25-000003"}},
    )  # fmt: skip
    gateway = g.get_gateway("stripe")
    payment = gateway.fetch_payment("pi_3MtwBwLkdIwHu7ix28a3tqPa")
    assert "expand[0]=latest_charge" in http.calls[0].request.url.replace("%5B", "[").replace("%5D", "]")  # fmt: skip
    assert (payment.status, payment.amount, payment.amount_refunded) == ("refunded", D("1234.50"), D("1234.50"))  # fmt: skip
    held = gateway.fetch_order("pi_held")
    assert (held.status, held.amount_paid, held.payments[0].status) == ("authorized", D("0.00"), "authorized")  # fmt: skip
    refund = gateway.refund(payment_id="pi_3MtwBwLkdIwHu7ix28a3tqPa", amount=D("500"), reference="RF-25-000003")  # fmt: skip
    request = http.calls[2].request
    assert _form(request) == {
        "payment_intent": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
        "amount": "50000",
        "metadata[reference]": "RF-25-000003",
    }
    assert request.headers["Idempotency-Key"] == "refund-RF-25-000003"
    assert (refund.refund_id, refund.amount, refund.status) == ("re_3MtwBwLkdIwHu7ix0mJ", D("500.00"), "processed")  # fmt: skip


def test_stripe_errors_say_whether_to_retry(http):
    http.post(
        f"{STRIPE_API}/refunds",
        status=400,
        json={"error": {"type": "invalid_request_error", "code": "charge_already_refunded",
                        "message": "Charge ch_1 has already been refunded."}},
    )  # fmt: skip
    gateway = g.get_gateway("stripe")
    with pytest.raises(g.GatewayError) as refused:
        gateway.refund(payment_id="pi_1", amount=D("1"), reference="RF-1")
    assert not refused.value.retryable
    offline = g.StripeGateway(secret_key="sk_test_k3y", publishable_key="", webhook_secrets="")
    offline.client = stripe.StripeClient(
        "sk_test_k3y", http_client=stripe.RequestsClient(), max_network_retries=0
    )
    with pytest.raises(g.GatewayError) as unreachable:  # not registered: a connection error
        offline.fetch_payment("pi_elsewhere")
    assert unreachable.value.retryable


def _stripe_event(
    event_type: str, obj: dict, event_id: str = "evt_1NG8Du2eZvKYlo2CUI79vXWy"
) -> bytes:
    return json.dumps(
        {"id": event_id, "object": "event", "api_version": "2024-06-20", "created": NOW,
         "data": {"object": obj}, "livemode": False, "pending_webhooks": 1,
         "request": {"id": None, "idempotency_key": None}, "type": event_type},
        indent=2,
    ).encode()  # fmt: skip


SUCCEEDED_BODY = _stripe_event("payment_intent.succeeded", {**PAYMENT_INTENT, "status": "succeeded", "amount_received": 123450})  # fmt: skip


def _stripe_sign(body: bytes, secret: str, timestamp: int = NOW) -> dict[str, str]:
    """Signed by the SDK's own helper, as Stripe signs deliveries."""
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), secret, timestamp)
    return {"Stripe-Signature": header}


@time_machine.travel(NOW + 10, tick=False)
def test_stripe_webhook_verifies_with_any_active_secret():
    gateway = g.get_gateway("stripe")
    for secret in ("whsec_new", "whsec_old"):
        event = gateway.parse_webhook(SUCCEEDED_BODY, _stripe_sign(SUCCEEDED_BODY, secret))
        assert (event.event_id, event.type, event.payment_id, event.order_id, event.amount) == (
            "evt_1NG8Du2eZvKYlo2CUI79vXWy", "captured", "pi_3MtwBwLkdIwHu7ix28a3tqPa",
            "pi_3MtwBwLkdIwHu7ix28a3tqPa", D("1234.50"),
        )  # fmt: skip
    ours = gateway.webhook_headers(SUCCEEDED_BODY, timestamp=NOW)
    assert ours["Stripe-Signature"] == _stripe_sign(SUCCEEDED_BODY, "whsec_new")["Stripe-Signature"]
    # Stripe's own header during its secret roll: two v1 signatures, one of them ours.
    t, v1 = _stripe_sign(SUCCEEDED_BODY, "whsec_old")["Stripe-Signature"].split(",")
    rolled = f"{t},v1={'0' * 64},{v1}"
    gateway.verify_webhook(SUCCEEDED_BODY, {"stripe-signature": rolled})


@time_machine.travel(NOW + 10, tick=False)
def test_stripe_webhook_refuses_tampering_a_wrong_secret_and_old_timestamps():
    gateway = g.get_gateway("stripe")
    good = _stripe_sign(SUCCEEDED_BODY, "whsec_old")
    tampered = SUCCEEDED_BODY.replace(b'"amount": 123450', b'"amount": 923450', 1)
    assert tampered != SUCCEEDED_BODY
    cases = [
        (tampered, good),
        (SUCCEEDED_BODY, _stripe_sign(SUCCEEDED_BODY, "whsec_retired")),
        (SUCCEEDED_BODY, _stripe_sign(SUCCEEDED_BODY, "whsec_new", timestamp=NOW + 10 - 301)),
        (SUCCEEDED_BODY, {"Stripe-Signature": good["Stripe-Signature"].replace("v1=", "v0=")}),
        (SUCCEEDED_BODY, {"Stripe-Signature": "garbage"}),
        (SUCCEEDED_BODY, {}),
    ]
    for body, headers in cases:
        with pytest.raises(g.InvalidSignature):
            gateway.parse_webhook(body, headers)
    # inside the tolerance it verifies
    gateway.verify_webhook(
        SUCCEEDED_BODY, _stripe_sign(SUCCEEDED_BODY, "whsec_new", NOW + 10 - 299)
    )


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("event_type", "obj", "expected"),
    [
        ("payment_intent.payment_failed",
         {**PAYMENT_INTENT, "last_payment_error": {"code": "card_declined"}},
         ("failed", "pi_3MtwBwLkdIwHu7ix28a3tqPa", D("1234.50"), "", "")),
        ("payment_intent.amount_capturable_updated",
         {**PAYMENT_INTENT, "status": "requires_capture", "amount_capturable": 123450},
         ("authorized", "pi_3MtwBwLkdIwHu7ix28a3tqPa", D("1234.50"), "", "")),
        ("charge.refunded",
         {"id": "ch_3Mtw", "object": "charge", "amount": 123450, "amount_refunded": 50000, "currency": "inr",
          "payment_intent": "pi_3MtwBwLkdIwHu7ix28a3tqPa", "refunded": False,
          "refunds": {"object": "list", "data": [{"id": "re_3Mtw1", "object": "refund", "amount": 50000}]}},
         ("refunded", "pi_3MtwBwLkdIwHu7ix28a3tqPa", D("500.00"), "re_3Mtw1", "")),
        ("refund.updated",
         {"id": "re_3Mtw2", "object": "refund", "amount": 20000, "currency": "inr",
          "payment_intent": "pi_3MtwBwLkdIwHu7ix28a3tqPa", "status": "succeeded"},
         ("refunded", "pi_3MtwBwLkdIwHu7ix28a3tqPa", D("200.00"), "re_3Mtw2", "")),
        ("refund.created",
         {"id": "re_3Mtw3", "object": "refund", "amount": 20000, "currency": "inr",
          "payment_intent": "pi_3MtwBwLkdIwHu7ix28a3tqPa", "status": "pending"},
         ("other", "pi_3MtwBwLkdIwHu7ix28a3tqPa", D("200.00"), "re_3Mtw3", "")),
        ("charge.dispute.created",
         {"id": "dp_1Mtw", "object": "dispute", "amount": 123450, "currency": "inr", "charge": "ch_3Mtw",
          "payment_intent": "pi_3MtwBwLkdIwHu7ix28a3tqPa", "reason": "fraudulent", "status": "needs_response"},
         ("dispute", "pi_3MtwBwLkdIwHu7ix28a3tqPa", D("1234.50"), "", "dp_1Mtw")),
        ("customer.created", {"id": "cus_1", "object": "customer"}, ("other", "", None, "", "")),
    ],
)  # fmt: skip
def test_stripe_events_are_normalised(event_type, obj, expected):
    body = _stripe_event(event_type, obj)
    event = g.get_gateway("stripe").parse_webhook(body, _stripe_sign(body, "whsec_new"))
    assert (
        event.type,
        event.payment_id,
        event.amount,
        event.refund_id,
        event.dispute_id,
    ) == expected
    assert (event.gateway, event.gateway_type) == ("stripe", event_type)


# --- the simulator's bodies -------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("name", ["razorpay", "stripe"])
@pytest.mark.parametrize("outcome", ["captured", "failed"])
def test_simulated_deliveries_verify_and_parse_like_real_ones(name, outcome):
    gateway = g.get_gateway(name)
    order_id = "order_Sim1" if name == "razorpay" else "pi_Sim1"
    payment_id = "pay_Sim1" if name == "razorpay" else "pi_Sim1"
    body = gateway.simulated_event_body(outcome, order_id=order_id, payment_id=payment_id, amount=D("999.99"), event_id="evt_sim_1")  # fmt: skip
    headers = gateway.webhook_headers(body, event_id="evt_sim_1")
    event = gateway.parse_webhook(body, headers)
    assert (event.type, event.order_id, event.payment_id, event.amount) == (outcome, order_id, payment_id, D("999.99"))  # fmt: skip
    assert event.event_id == "evt_sim_1"
    # signed with the old secret of a rotation, as a gateway still using it would
    old = "rzp-hook-old" if name == "razorpay" else "whsec_old"
    gateway.verify_webhook(body, gateway.webhook_headers(body, secret=old))
