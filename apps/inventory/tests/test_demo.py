"""The demo stores: a year of movements whose balances equal their ledger, items below their
reorder level, overdue laptops, and a store manager who signs in."""

from __future__ import annotations

import random

import pytest

from apps.accounts.demo import DEMO_PASSWORD, SeedReport
from apps.accounts.tests.factories import SchoolFactory, TeacherFactory
from apps.inventory import demo
from apps.inventory.models import Item, StockBalance, StockMovement
from apps.inventory.selectors import balance_queryset, overdue_issues
from apps.inventory.services import ledger_sum, school_today

pytestmark = pytest.mark.django_db


def test_demo_stores(api):
    school = SchoolFactory(code="demo-inv")
    for _ in range(5):
        TeacherFactory(school=school)
    demo.seed_inventory(report=SeedReport(), school=school, rng=random.Random(24))
    count = StockMovement.objects.filter(school=school).count()
    demo.seed_inventory(report=SeedReport(), school=school, rng=random.Random(24))  # idempotent
    assert StockMovement.objects.filter(school=school).count() == count > 1000
    assert Item.objects.filter(school=school).count() == 60  # the laptops included
    for balance in StockBalance.objects.filter(school=school):
        assert (balance.quantity, balance.value) == ledger_sum(balance.item_id, balance.store_id)
    low = set(balance_queryset().filter(school=school, low=True).values_list("item__name",
                                                                              flat=True))  # fmt: skip
    assert set(demo.LOW_ITEMS) <= low
    overdue = overdue_issues(StockMovement.objects.filter(school=school), school_today(school))
    assert overdue.count() == 3 and {m.item.sku for m in overdue} == {demo.LAPTOP_SKU}
    response = api(None).post("/api/v1/auth/token/", {"email": demo.STORE_LOGIN,
                              "password": DEMO_PASSWORD}, format="json")  # fmt: skip
    assert response.status_code == 200
