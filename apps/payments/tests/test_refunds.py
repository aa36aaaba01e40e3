"""The fee office refunding an online payment: the gateway's refund API is called (paise only
in the adapter), its refund id recorded, and the gateway's later refund webhook records nothing
more."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest
import responses

from apps.fees.models import Invoice, Refund
from apps.payments.models import PaymentOrder, WebhookEvent
from apps.payments.tests import test_api
from apps.payments.tests.test_api import deliver, order_for

RZP = "https://api.razorpay.com/v1"
REFUNDS = "/api/v1/fees/refunds/"


@pytest.fixture(autouse=True)
def _run_on_commit(django_capture_on_commit_callbacks, monkeypatch):
    """Webhook processing is queued after commit; `deliver` runs it as the commit would."""
    monkeypatch.setattr(test_api, "_capture", django_capture_on_commit_callbacks)


@pytest.fixture
def paid(cast, api, bills, settings):
    order_for(api, cast.parent, [bills.student], "3000")
    order = PaymentOrder.objects.get()
    deliver(api(None), order, payment_id="pay_OFFICE", event_id="evt_paid")
    order.refresh_from_db()
    settings.PAYMENTS_OFFLINE_GATEWAYS = False  # from here on the gateway is really called
    return order


def _refund(api, cast, order, bills, amount="500.00"):
    return api(cast.accountant.user).post(
        REFUNDS, {"payment": str(order.payment_id), "invoice": str(bills.student.pk),
                  "amount": amount, "mode": "online", "reason": "Left mid-term"}, format="json",
    )  # fmt: skip


def test_an_office_refund_of_an_online_payment_goes_to_the_gateway_once(cast, api, bills, paid):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as http:
        http.post(
            f"{RZP}/payments/pay_OFFICE/refund",
            json={"id": "rfnd_OFFICE", "entity": "refund", "amount": 50000, "currency": "INR",
                  "payment_id": "pay_OFFICE", "status": "processed"},
        )  # fmt: skip
        response = _refund(api, cast, paid, bills)
        assert response.status_code == 201, response.content
        sent = json.loads(http.calls[0].request.body)
    refund = Refund.objects.get()
    assert sent["amount"] == 50000 and sent["receipt"] == str(refund.pk)
    assert (refund.amount, refund.mode, refund.reference) == (D("500.00"), "online", "rfnd_OFFICE")
    invoice = Invoice.objects.get(pk=bills.student.pk)
    assert invoice.amount_paid == D("2500.00")

    # The gateway's refund.processed webhook for the same refund records nothing more.
    with responses.RequestsMock(assert_all_requests_are_fired=False):  # no call out expected
        deliver(api(None), paid, "refunded", payment_id="pay_OFFICE", event_id="evt_rf",
                amount=D("500"))  # fmt: skip
    event = WebhookEvent.objects.get(event_id="evt_rf")
    assert event.refund_id == "rfnd_OFFICE"
    assert event.outcome == "already_refunded"
    assert Refund.objects.count() == 1
    invoice.refresh_from_db()
    assert invoice.amount_paid == D("2500.00")


def test_a_gateway_that_refuses_records_no_refund(cast, api, bills, paid):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as http:
        http.post(f"{RZP}/payments/pay_OFFICE/refund", status=503,
                  json={"error": {"code": "SERVER_ERROR", "description": "down"}})  # fmt: skip
        response = _refund(api, cast, paid, bills)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "gateway_unavailable"
    assert not Refund.objects.exists()


def test_a_cash_refund_of_an_online_payment_calls_no_gateway(cast, api, bills, paid):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as http:
        response = api(cast.accountant.user).post(
            REFUNDS, {"payment": str(paid.payment_id), "invoice": str(bills.student.pk),
                      "amount": "100.00", "mode": "cash", "reason": "Cash back"}, format="json",
        )  # fmt: skip
        assert response.status_code == 201, response.content
        assert not http.calls
