"""Operating online payments: the reconciliation beat job, the payment simulator and the admin
screens."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse

from apps.core import periodic
from apps.fees.models import Payment
from apps.payments import gateways as g
from apps.payments import services
from apps.payments.models import WebhookEvent
from apps.payments.tasks import RECONCILE_TASK, reconcile_orders

START = dt.datetime(2026, 4, 5, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def order(cast, bills):
    with time_machine.travel(START, tick=False):
        made, _ = services.order_create(school=cast.school, actor=cast.parent,
                                        invoices=[bills.student], amount=D("1000"))  # fmt: skip
    return made


def gateway_says(monkeypatch, *payments: tuple[str, str]) -> None:
    def fetch_order(self, order_id):
        return g.OrderStatus(
            gateway=self.name, order_id=order_id, status="attempted", amount=D("1000"),
            amount_paid=D("0"),
            payments=tuple(
                g.PaymentStatus(gateway=self.name, payment_id=pid, order_id=order_id,
                                status=status, amount=D("1000"), amount_refunded=D("0"))
                for pid, status in payments
            ),
        )  # fmt: skip

    monkeypatch.setattr(g.OfflineRazorpayGateway, "fetch_order", fetch_order)


def test_reconcile_is_installed_in_beat(db):
    assert RECONCILE_TASK in {s.task for s in periodic.registered()}


def test_reconcile_waits_then_credits_a_captured_payment(order, monkeypatch, settings):
    settings.PAYMENTS_RECONCILE_AFTER = 900
    gateway_says(monkeypatch, ("pay_Rec1", "failed"), ("pay_Rec2", "captured"))
    with time_machine.travel(START + dt.timedelta(minutes=5), tick=False):
        assert reconcile_orders.delay().get()["checked"] == 0
    with time_machine.travel(START + dt.timedelta(minutes=20), tick=False):
        counts = reconcile_orders.delay().get()
        again = reconcile_orders.delay().get()
    assert counts["credited"] == 1 and again["checked"] == 0
    order.refresh_from_db()
    assert order.status == "paid" and order.payment.gateway_payment_id == "pay_Rec2"
    assert Payment.objects.count() == 1


def test_reconcile_reports_authorized_not_captured_and_expires(order, monkeypatch, caplog,
                                                                admin_client):  # fmt: skip
    gateway_says(monkeypatch, ("pay_Auth", "authorized"))
    with time_machine.travel(START + dt.timedelta(hours=1), tick=False):
        assert reconcile_orders.delay().get()["authorized"] == 1
    assert "authorized but not captured" in caplog.text
    order.refresh_from_db()
    assert order.authorized_at is not None and order.status == "created"
    changelist = reverse("admin:payments_paymentorder_changelist")
    page = admin_client.get(changelist, {"authorized": "yes"})
    assert order.reference in page.content.decode()
    gateway_says(monkeypatch)
    with time_machine.travel(START + dt.timedelta(days=2), tick=False):
        assert reconcile_orders.delay().get()["expired"] == 1
    order.refresh_from_db()
    assert order.status == "expired" and not Payment.objects.exists()


def test_simulate_payment_direct(order, django_capture_on_commit_callbacks):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("simulate_payment", order.reference, "--outcome", "failed", "--direct",
                     stdout=out)  # fmt: skip
    assert "razorpay failed" in out.getvalue() and "answered 200" in out.getvalue()
    order.refresh_from_db()
    assert order.status == "failed"
    with django_capture_on_commit_callbacks(execute=True):
        call_command("simulate_payment", order.gateway_order_id, "--direct", stdout=out)
    order.refresh_from_db()
    assert order.status == "paid" and order.payment.amount == D("1000.00")
    assert WebhookEvent.objects.count() == 2
    with pytest.raises(CommandError):
        call_command("simulate_payment", "nothing-like-it", "--direct")


def test_simulate_payment_posts_to_the_server(order, monkeypatch):
    sent = {}

    class Answer:
        status_code, text = 200, '{"received": true}'

    def post(url, data, headers, timeout):
        sent.update(url=url, data=data, headers=headers)
        return Answer()

    monkeypatch.setattr("requests.post", post)
    call_command("simulate_payment", str(order.pk), "--url", "http://web:8000/", stdout=StringIO())
    assert sent["url"] == "http://web:8000/api/v1/payments/webhooks/razorpay/"
    g.get_gateway("razorpay").verify_webhook(sent["data"], sent["headers"])  # signed as Razorpay


def test_admin_screens_are_read_only_and_scoped(cast, order, client):
    client.force_login(cast.accountant.user)
    changelist = reverse("admin:payments_paymentorder_changelist")
    page = client.get(changelist, {"status": "created", "gateway": "razorpay"})
    assert page.status_code == 200 and order.reference in page.content.decode()
    detail = client.get(reverse("admin:payments_paymentorder_change", args=[order.pk]))
    assert detail.status_code == 200 and b'name="_save"' not in detail.content
    assert client.get(reverse("admin:payments_paymentorder_add")).status_code == 403
    assert client.get(reverse("admin:payments_webhookevent_changelist")).status_code == 200
    client.force_login(cast.admin2)
    assert order.reference not in client.get(changelist).content.decode()
