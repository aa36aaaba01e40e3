"""Three deliveries of one captured event at the same instant, plus a tampered copy, against
real PostgreSQL in separate threads (each with its own connection): exactly one credit, one
stored event, and one 400."""

from __future__ import annotations

import threading
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import Client

from apps.fees.models import Invoice, Payment, PaymentAllocation, Receipt
from apps.payments import gateways as g
from apps.payments import services
from apps.payments.models import PaymentOrder, WebhookEvent

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_deliveries_credit_once(cast, bills):
    order, _ = services.order_create(
        school=cast.school, actor=cast.parent, invoices=[bills.student, bills.sibling],
        amount=D("4200.00"),
    )  # fmt: skip
    gateway = g.get_gateway("razorpay")
    body = gateway.simulated_event_body(
        "captured", order_id=order.gateway_order_id, payment_id="pay_Race0001", amount=order.amount
    )
    headers = {
        "HTTP_" + name.upper().replace("-", "_"): value
        for name, value in gateway.webhook_headers(body, event_id="evt_race").items()
    }
    tampered = body.replace(b"420000", b"520000")
    deliveries = [body, body, body, tampered]
    barrier = threading.Barrier(len(deliveries))
    answers: list[int] = []
    lock = threading.Lock()

    def deliver(payload: bytes) -> None:
        try:
            barrier.wait(timeout=30)
            response = Client().post("/api/v1/payments/webhooks/razorpay/", payload,
                                     content_type="application/json", **headers)  # fmt: skip
            with lock:
                answers.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(p,)) for p in deliveries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answers) == [200, 200, 200, 400]
    assert WebhookEvent.objects.count() == 1
    assert WebhookEvent.objects.get().outcome == "credited"
    payment = Payment.objects.get()
    assert payment.amount == D("4200.00") and payment.gateway_payment_id == "pay_Race0001"
    assert Receipt.objects.count() == 1 and PaymentAllocation.objects.count() == 2
    paid = Invoice.objects.filter(pk__in=[bills.student.pk, bills.sibling.pk])
    assert sum(i.amount_paid for i in paid) == D("4200.00")
    assert PaymentOrder.objects.get().status == "paid"
