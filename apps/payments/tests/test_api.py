"""Online payments through the API: orders, the checkout callback, webhooks (signed with the
adapters' own helpers), refunds, disputes and out-of-order events."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from apps.core.models import AuditLog
from apps.fees.models import Invoice, Payment, Receipt, Refund
from apps.payments import gateways as g
from apps.payments.models import PaymentOrder, WebhookEvent

_capture = None
ORDERS = "/api/v1/payments/orders/"
VERIFY = "/api/v1/payments/razorpay/verify/"
HOOK = "/api/v1/payments/webhooks/{}/"


def order_for(api, user, invoices, amount, gateway="razorpay"):
    return api(user).post(
        ORDERS, {"invoices": [str(i.pk) for i in invoices], "amount": amount,
                 "gateway": gateway}, format="json",
    )  # fmt: skip


@pytest.fixture(autouse=True)
def _run_on_commit(django_capture_on_commit_callbacks):
    """The webhook's processing is queued after commit; run it as the commit would."""
    global _capture
    _capture = django_capture_on_commit_callbacks


def post_hook(client, *args, **kwargs):
    with _capture(execute=True):
        return client.generic(*args, **kwargs)


def deliver(client, order, outcome="captured", *, payment_id="pay_T3st00000001", event_id="",
            amount=None, tamper=False):  # fmt: skip
    gateway = g.get_gateway(order.gateway)
    payment_id = order.gateway_order_id if order.gateway == "stripe" else payment_id
    body = gateway.simulated_event_body(
        outcome, order_id=order.gateway_order_id, payment_id=payment_id,
        amount=amount or order.amount, event_id=event_id,
    )  # fmt: skip
    headers = gateway.webhook_headers(body, event_id=event_id)
    if tamper:
        body = body.replace(b'"captured"', b'"kaptured"', 1).replace(b"000", b"999", 1)
    return post_hook(
        client, "POST", HOOK.format(order.gateway), body, content_type="application/json",
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()},
    )  # fmt: skip


def test_parent_orders_a_partial_payment_for_both_children(cast, api, bills):
    response = order_for(api, cast.parent, [bills.student, bills.sibling], "4500.50")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["checkout"] == {
        "key": "rzp_test_schools24local", "order_id": body["order"]["gateway_order_id"],
        "amount": 450050, "currency": "INR",
    }  # fmt: skip
    order = PaymentOrder.objects.get(pk=body["order"]["id"])
    assert (order.status, order.amount, order.created_by) == ("created", D("4500.50"), cast.parent)
    # due-date order, then number: the first invoice takes its whole balance
    assert sorted(line.amount for line in order.lines.all()) == [D("1500.50"), D("3000.00")]
    assert AuditLog.objects.filter(action="payment_order.create").count() == 1
    assert Payment.objects.count() == 0


def test_another_childs_invoice_is_not_found(cast, api, bills):
    response = order_for(api, cast.parent, [bills.student, bills.other], "500")
    assert response.status_code == 404
    assert order_for(api, cast.admin2, [bills.student], "500").status_code == 404
    assert order_for(api, cast.teacher.user, [bills.student], "500").status_code == 403
    assert order_for(api, cast.student.user, [bills.student], "500").status_code == 403
    assert PaymentOrder.objects.count() == 0


@pytest.mark.parametrize(
    ("amount", "code"),
    [("0", "amount"), ("3000.01", "over_amount"), ("99.99", "under_minimum"), ("1.234", "amount")],
)
def test_amounts_are_checked(cast, api, bills, amount, code):
    response = order_for(api, cast.accountant.user, [bills.student], amount)
    assert response.status_code == 400
    error = response.json()["error"]
    assert "amount" in error["fields"]
    assert code in (error["code"], "amount")


def test_staff_orders_with_stripe_and_the_webhook_credits(cast, api, bills):
    response = order_for(api, cast.accountant.user, [bills.other], "3000", gateway="stripe")
    assert response.status_code == 201, response.content
    checkout = response.json()["checkout"]
    assert checkout["publishable_key"] == "pk_test_schools24local"
    assert checkout["amount"] == 300000
    order = PaymentOrder.objects.get()
    answer = deliver(api(None), order)
    assert answer.status_code == 200, answer.content
    bills.other.refresh_from_db()
    assert bills.other.status == "paid"
    order.refresh_from_db()
    assert order.status == "paid" and order.payment.gateway_payment_id == order.gateway_order_id


def test_verify_marks_verifying_and_credits_nothing(cast, api, bills):
    order_for(api, cast.parent, [bills.student], "3000")
    order = PaymentOrder.objects.get()
    gateway = g.get_gateway("razorpay")
    good = {"razorpay_order_id": order.gateway_order_id, "razorpay_payment_id": "pay_A1",
            "razorpay_signature": gateway.sign_checkout(order.gateway_order_id, "pay_A1")}  # fmt: skip
    forged = {**good, "razorpay_signature": gateway.sign_checkout("order_other", "pay_A1")}
    response = api(cast.parent).post(VERIFY, forged, format="json")
    assert response.status_code == 400
    assert "razorpay_signature" in response.json()["error"]["fields"]
    unknown = {**good, "razorpay_order_id": "order_unknown"}
    assert api(cast.parent).post(VERIFY, unknown, format="json").status_code == 404
    response = api(cast.parent).post(VERIFY, good, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "verifying"
    assert Payment.objects.count() == 0
    bills.student.refresh_from_db()
    assert bills.student.amount_paid == 0


def test_duplicates_and_a_late_failure_credit_once(cast, api, bills):
    order_for(api, cast.parent, [bills.student, bills.sibling], "4000")
    order = PaymentOrder.objects.get()
    for _ in range(2):
        assert deliver(api(None), order, event_id="evt_1").status_code == 200
    assert deliver(api(None), order, event_id="evt_2").status_code == 200  # same payment again
    failed = deliver(api(None), order, "failed", event_id="evt_3")
    assert failed.status_code == 200
    assert Payment.objects.count() == 1
    payment = Payment.objects.get()
    assert payment.amount == D("4000.00") and payment.payer == cast.parent
    assert Receipt.objects.filter(payment=payment).exists()
    order.refresh_from_db()
    assert order.status == "paid"
    assert dict(WebhookEvent.objects.values_list("event_id", "outcome")) == {
        "evt_1": "credited", "evt_2": "already_credited", "evt_3": "ignored_paid",
    }  # fmt: skip
    paid = dict(Invoice.objects.filter(pk__in=[bills.student.pk, bills.sibling.pk])
                .values_list("student_id", "amount_paid"))  # fmt: skip
    assert sorted(paid.values()) == [D("1000.00"), D("3000.00")]


def test_a_tampered_body_is_refused_and_changes_nothing(cast, api, bills):
    order_for(api, cast.parent, [bills.student], "3000")
    order = PaymentOrder.objects.get()
    response = deliver(api(None), order, event_id="evt_t", tamper=True)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert not WebhookEvent.objects.exists() and not Payment.objects.exists()
    unsigned = api(None).post(HOOK.format("stripe"), {"id": "evt"}, format="json")
    assert unsigned.status_code == 400


def test_a_rotated_secret_still_verifies(cast, api, bills, settings):
    order_for(api, cast.parent, [bills.student], "3000")
    order = PaymentOrder.objects.get()
    gateway = g.get_gateway("razorpay")
    body = gateway.simulated_event_body("captured", order_id=order.gateway_order_id,
                                        payment_id="pay_old", amount=order.amount)  # fmt: skip
    headers = gateway.webhook_headers(body, secret="old-hook-secret", event_id="evt_old")
    response = post_hook(
        api(None), "POST", HOOK.format("razorpay"), body, content_type="application/json",
        HTTP_X_RAZORPAY_SIGNATURE=headers["X-Razorpay-Signature"],
        HTTP_X_RAZORPAY_EVENT_ID="evt_old",
    )  # fmt: skip
    assert response.status_code == 200
    assert Payment.objects.get().gateway_payment_id == "pay_old"


def test_failed_payment_fails_the_order_and_a_later_capture_still_credits(cast, api, bills):
    order_for(api, cast.parent, [bills.student], "3000")
    order = PaymentOrder.objects.get()
    deliver(api(None), order, "failed", payment_id="pay_first", event_id="evt_f")
    order.refresh_from_db()
    assert order.status == "failed" and not Payment.objects.exists()
    deliver(api(None), order, payment_id="pay_retry", event_id="evt_c")
    order.refresh_from_db()
    assert order.status == "paid" and order.payment.gateway_payment_id == "pay_retry"


def test_refund_and_dispute_events_update_the_records(cast, api, bills):
    order_for(api, cast.parent, [bills.student], "3000")
    order = PaymentOrder.objects.get()
    deliver(api(None), order, payment_id="pay_R", event_id="evt_paid")
    for event_id in ("evt_refund", "evt_refund_again"):
        response = deliver(api(None), order, "refunded", payment_id="pay_R", event_id=event_id,
                           amount=D("500"))  # fmt: skip
        assert response.status_code == 200
    refund = Refund.objects.get()
    assert (refund.amount, refund.mode, refund.reference) == (D("500.00"), "online", "rfnd_R")
    assert refund.credit_note.number
    gateway = g.get_gateway("razorpay")
    dispute = json.dumps({"event": "payment.dispute.created", "payload": {"dispute": {"entity": {
        "id": "disp_1", "payment_id": "pay_R", "amount": 300000, "currency": "INR"}}}}).encode()  # fmt: skip
    headers = gateway.webhook_headers(dispute, event_id="evt_dispute")
    post_hook(api(None), "POST", HOOK.format("razorpay"), dispute, content_type="application/json",
                      HTTP_X_RAZORPAY_SIGNATURE=headers["X-Razorpay-Signature"],
                      HTTP_X_RAZORPAY_EVENT_ID="evt_dispute")  # fmt: skip
    order.refresh_from_db()
    assert order.disputed_at is not None and order.status == "paid"
    assert WebhookEvent.objects.get(event_id="evt_dispute").outcome == "dispute_recorded"


def test_parent_lists_only_their_familys_orders(cast, api, bills, django_assert_num_queries):
    order_for(api, cast.parent, [bills.student], "3000")
    order_for(api, cast.admin, [bills.other], "3000")
    order_for(api, cast.parent, [bills.sibling], "200")
    with django_assert_num_queries(4):  # a short page: no COUNT (CountingPaginator)
        rows = api(cast.parent).get(ORDERS).json()["results"]
    assert len(rows) == 2
    assert len(api(cast.accountant.user).get(ORDERS).json()["results"]) == 3
    assert api(cast.teacher.user).get(ORDERS).status_code == 403


def test_errors_follow_accept_language(cast, api, bills):
    client = api(cast.parent)
    response = client.post(ORDERS, {"invoices": [str(bills.student.pk)], "amount": "50"},
                           format="json", HTTP_ACCEPT_LANGUAGE="hi")  # fmt: skip
    assert response.status_code == 400
    assert "ऑनलाइन कम से कम 100" in response.json()["error"]["fields"]["amount"][0]


def test_the_receipt_is_rendered_once_mailed_and_downloadable(cast, api, bills, mailoutbox):
    from apps.core.testing import pdf_text

    order_for(api, cast.parent, [bills.student, bills.sibling], "4500.50")
    order = PaymentOrder.objects.get()
    deliver(api(None), order, event_id="evt_r1")
    deliver(api(None), order, event_id="evt_r2")
    receipt = Receipt.objects.get()
    assert receipt.pdf.name.endswith(".pdf")
    # One mail, the receipt itself; the receipt notice is in-app (no second mail).
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [cast.parent.email]
    from apps.notifications.models import Delivery

    notices = Delivery.objects.filter(kind="fees.receipt", recipient=cast.parent)
    assert set(notices.values_list("channel", flat=True)) >= {"in_app"}
    assert not notices.filter(channel="email").exists()
    name, data, kind = mailoutbox[0].attachments[0]
    assert kind == "application/pdf" and data.startswith(b"%PDF")
    url = f"{ORDERS}{order.pk}/receipt/"
    response = api(cast.parent).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content)
    assert body == data
    text = pdf_text(body)
    assert receipt.number in text and "₹" in text and "4,500.50" in text
    assert api(cast.accountant.user).get(url).status_code == 200
    assert api(cast.admin2).get(url).status_code == 404
    assert api(cast.teacher.user).get(url).status_code == 403
    pending = order_for(api, cast.parent, [bills.sibling], "200").json()["order"]["id"]
    assert api(cast.parent).get(f"{ORDERS}{pending}/receipt/").status_code == 404


def test_filters_by_student_status_and_gateway(cast, api, bills):
    order_for(api, cast.admin, [bills.student], "3000")
    order_for(api, cast.admin, [bills.other], "3000", gateway="stripe")
    client = api(cast.accountant.user)
    assert len(client.get(ORDERS, {"student": str(cast.student.pk)}).json()["results"]) == 1
    assert len(client.get(ORDERS, {"gateway": "stripe"}).json()["results"]) == 1
    assert len(client.get(ORDERS, {"status": "paid"}).json()["results"]) == 0
    assert client.get(ORDERS, {"student": str(cast.student2.pk)}).json()["results"] == []
