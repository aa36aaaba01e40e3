"""The demo parent pays part of both children's dues online through the simulator: one order,
one webhook delivered twice, each invoice's balance reduced once, one receipt."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from io import StringIO

import time_machine
from django.core.management import call_command
from rest_framework.test import APIClient

from apps.accounts.demo import DEMO_PASSWORD
from apps.fees.models import Invoice, Payment, Receipt
from apps.payments.models import PaymentOrder


def test_demo_parent_pays_part_of_both_childrens_dues(db, monkeypatch,
                                                       django_capture_on_commit_callbacks):  # fmt: skip
    monkeypatch.setattr("apps.quizzes.demo.seed_quizzes", lambda **kwargs: None)
    with time_machine.travel(dt.datetime(2026, 6, 15, 6, tzinfo=dt.UTC), tick=False):
        call_command("seed_demo", students=30, force=True)
        client = APIClient()
        token = client.post("/api/v1/auth/token/", {"email": "parent@demo.schools24.test",
                                                     "password": DEMO_PASSWORD}, format="json")  # fmt: skip
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['access']}")
        invoices = client.get("/api/v1/fees/invoices/", {"status": "issued"}).json()["results"]
        invoices += client.get("/api/v1/fees/invoices/",
                               {"status": "partially_paid"}).json()["results"]  # fmt: skip
        by_child = {}
        for row in invoices:
            by_child.setdefault(row["student"], row)
        assert len(by_child) == 2
        chosen = list(by_child.values())
        before = {row["id"]: Invoice.objects.get(pk=row["id"]).balance for row in chosen}
        owed = sum(before.values())
        first = min(before[row["id"]] for row in chosen)
        amount = first + D("500.00")  # settles one invoice and part of the other
        assert amount < owed
        response = client.post(
            "/api/v1/payments/orders/",
            {"invoices": [row["id"] for row in chosen], "amount": str(amount)}, format="json",
        )  # fmt: skip
        assert response.status_code == 201, response.content
        order = PaymentOrder.objects.get(pk=response.json()["order"]["id"])
        payments_before = Payment.objects.count()
        for _ in range(2):  # the gateway delivers twice
            with django_capture_on_commit_callbacks(execute=True):
                call_command("simulate_payment", order.reference, "--direct",
                             "--payment-id", "pay_DemoFamily01", stdout=StringIO())  # fmt: skip
        mine = client.get(f"/api/v1/payments/orders/{order.pk}/").json()
    assert mine["status"] == "paid" and mine["receipt_number"]
    assert Payment.objects.count() == payments_before + 1
    after = {pk: Invoice.objects.get(pk=pk).balance for pk in before}
    assert sum(before[pk] - after[pk] for pk in before) == amount
    assert all(after[pk] < before[pk] for pk in before)
    assert Receipt.objects.filter(payment__gateway_payment_id="pay_DemoFamily01").count() == 1
