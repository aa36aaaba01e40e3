"""The demo fee office: heads, structures for classes 1-12, first-quarter invoices with some
paid, some partly paid; the demo parent owes for both children. Idempotent."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.core.management import call_command
from rest_framework.test import APIClient

from apps.accounts.demo import DEMO_PASSWORD
from apps.fees.models import FeeHead, FeeStructure, Invoice, Payment


def test_demo_fees(db, monkeypatch):
    monkeypatch.setattr("apps.quizzes.demo.seed_quizzes", lambda **kwargs: None)
    with time_machine.travel(dt.datetime(2026, 6, 15, 6, tzinfo=dt.UTC), tick=False):
        call_command("seed_demo", students=30, force=True)
        counts = (Invoice.objects.count(), Payment.objects.count())
        call_command("seed_demo", students=30, force=True)
        assert (Invoice.objects.count(), Payment.objects.count()) == counts
        client = APIClient()
        token = client.post("/api/v1/auth/token/", {"email": "parent@demo.schools24.test",
                                                     "password": DEMO_PASSWORD}, format="json")  # fmt: skip
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['access']}")
        dues = client.get("/api/v1/fees/family-dues/").json()
    school_heads = set(FeeHead.objects.filter(school__code="demo").values_list("code", flat=True))
    assert school_heads == {"TUI", "TRN", "EXM", "LAB", "ANN"}
    assert FeeStructure.objects.filter(school__code="demo").count() == 12
    statuses = set(Invoice.objects.filter(school__code="demo").values_list("status", flat=True))
    assert {"paid", "partially_paid", "issued"} <= statuses
    assert len(dues["children"]) == 2
    assert all(float(child["due"]) > 0 for child in dues["children"])
