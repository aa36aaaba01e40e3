"""Parallel writers against real PostgreSQL, each thread on its own connection: the last units
go to exactly as many callers as there are units, and after a random concurrent workload every
balance equals the sum of its movements (and nothing deadlocked)."""

from __future__ import annotations

import random
import threading
from decimal import Decimal as D

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from apps.inventory.models import StockBalance, StockMovement
from apps.inventory.services import InsufficientStock, ledger_sum, movement_record
from apps.inventory.tests.factories import ItemFactory, receive

pytestmark = pytest.mark.django_db(transaction=True)


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def _parallel(n, work):
    barrier = threading.Barrier(n)
    results, errors, lock = [], [], threading.Lock()

    def run(index):
        try:
            barrier.wait(timeout=30)
            outcome = work(index)
            with lock:
                results.append(outcome)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            with lock:
                errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


def test_eight_callers_for_the_last_five_units(cast, stores):
    receive(cast.school, stores.manager, stores.notebook, stores.main, 5, "10")
    client_user = stores.manager
    body = {"kind": "issue", "item": str(stores.notebook.pk), "store": str(stores.main.pk),
            "quantity": "1", "location": "Room 9"}  # fmt: skip

    def issue(_index):
        response = _client(client_user).post("/api/v1/inventory/movements/", body, format="json")
        return response.status_code, response.json()

    results, errors = _parallel(8, issue)
    assert not errors
    codes = sorted(code for code, _ in results)
    assert codes == [201] * 5 + [409] * 3
    refused = [body for code, body in results if code == 409]
    assert all(b["error"]["code"] == "insufficient_stock" for b in refused)
    balance = StockBalance.objects.get(item=stores.notebook, store=stores.main)
    assert (balance.quantity, balance.value) == (D("0"), D("0.00"))
    assert StockMovement.objects.filter(kind="issue").count() == 5


@pytest.mark.parametrize("valuation", ["moving_average", "fifo"])
def test_random_concurrent_workload_keeps_balances_equal_to_the_ledger(
    cast, stores, settings, valuation
):
    settings.INVENTORY_VALUATION = valuation
    school, actor = cast.school, stores.manager
    items = [stores.notebook, *(ItemFactory(school=school, category=stores.stationery)
                                for _ in range(2))]  # fmt: skip
    places = [stores.main, stores.lab]
    for item in items:
        for store in places:
            receive(school, actor, item, store, 20, "7.35")

    def work(index):
        rng = random.Random(index)
        outcomes = {"ok": 0, "short": 0}
        for _ in range(25):
            item, store = rng.choice(items), rng.choice(places)
            other = places[1] if store == places[0] else places[0]
            kind = rng.choice(["receipt", "issue", "issue", "transfer", "write_off"])
            data = {"quantity": D(rng.randint(1, 6))}
            if kind == "receipt":
                data["rate"] = D(rng.choice(["6.10", "7.77", "9.03"]))
            elif kind == "issue":
                data["location"] = "Room 1"
            elif kind == "transfer":
                data["to_store"] = other
            else:
                data["write_off_reason"] = "damaged"
            try:
                movement_record(school=school, actor=actor, kind=kind, item=item, store=store,
                                data=data)  # fmt: skip
                outcomes["ok"] += 1
            except InsufficientStock:
                outcomes["short"] += 1
        return outcomes

    results, errors = _parallel(8, work)
    assert not errors, errors  # in particular: no deadlock, no constraint violation
    assert sum(r["ok"] for r in results) > 0
    for balance in StockBalance.objects.all():
        assert (balance.quantity, balance.value) == ledger_sum(balance.item_id, balance.store_id)
        assert balance.quantity >= 0 and balance.value >= 0
        if valuation == "fifo":  # the layers hold exactly what is in stock
            assert sum(D(q) for q, _ in balance.layers) == balance.quantity
    # each movement's "after" figures chain: the latest one per pair equals the balance
    for balance in StockBalance.objects.all():
        last = (
            StockMovement.objects.filter(item=balance.item, store=balance.store)
            .order_by("-occurred_at", "-created_at")
            .first()
        )
        assert (last.quantity_after, last.value_after) == (balance.quantity, balance.value)


def test_the_same_idempotency_key_at_once_writes_one_movement(cast, stores):
    receive(cast.school, stores.manager, stores.notebook, stores.main, 10, "10")
    body = {"kind": "issue", "item": str(stores.notebook.pk), "store": str(stores.main.pk),
            "quantity": "2", "location": "Room 2", "idempotency_key": "wifi-retry"}  # fmt: skip

    def issue(_index):
        response = _client(stores.manager).post("/api/v1/inventory/movements/", body,
                                                format="json")  # fmt: skip
        return response.status_code, response.json()["id"]

    results, errors = _parallel(4, issue)
    assert not errors
    assert sorted(code for code, _ in results) == [200, 200, 200, 201]
    assert len({pk for _, pk in results}) == 1
    assert StockMovement.objects.filter(kind="issue").count() == 1
    assert StockBalance.objects.get(item=stores.notebook, store=stores.main).quantity == D("8")
