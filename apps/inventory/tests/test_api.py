"""The stores through the HTTP API with JWT: catalogue, purchase orders received into stock,
movements with idempotency, balances with the low-stock flag, requests approved into issues,
and who sees what."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from apps.inventory.models import (
    PurchaseOrder,
    ReorderRule,
    StockBalance,
    StockMovement,
)
from apps.inventory.tests.factories import ItemFactory, StoreFactory, receive

pytestmark = pytest.mark.django_db
BASE = "/api/v1/inventory"


def test_vendor_gstin_and_item_sku_are_checked(cast, stores, api):
    client = api(stores.manager)
    bad = client.post(f"{BASE}/vendors/", {"name": "X", "gstin": "27AAPFU0939F1ZA"}, format="json")
    assert bad.status_code == 400 and "gstin" in bad.json()["error"]["fields"]
    good = client.post(f"{BASE}/vendors/", {"name": "Kit Co", "gstin": "27aapfu0939f1zv"},
                       format="json")  # fmt: skip
    assert good.status_code == 201 and good.json()["gstin"] == "27AAPFU0939F1ZV"
    body = {"category": str(stores.stationery.pk), "name": "Pen", "sku": "NB-100"}
    clash = client.post(f"{BASE}/items/", body, format="json")
    assert clash.status_code == 400  # the notebook has that SKU
    serial_consumable = client.post(f"{BASE}/items/", {**body, "sku": "PEN-1",
                                    "serial_tracked": True}, format="json")  # fmt: skip
    assert serial_consumable.status_code == 400
    # another school's vendor cannot be a preferred vendor: not found
    other = client.post(f"{BASE}/items/", {**body, "sku": "PEN-2",
                        "preferred_vendor": str(_other_school_vendor(cast).pk)}, format="json")  # fmt: skip
    assert other.status_code == 400 and "preferred_vendor" in other.json()["error"]["fields"]


def _other_school_vendor(cast):
    from apps.inventory.tests.factories import VendorFactory

    return VendorFactory(school=cast.school2)


def test_purchase_order_is_placed_and_received_into_stock(cast, stores, api):
    client = api(stores.manager)
    created = client.post(f"{BASE}/purchase-orders/", {
        "vendor": str(stores.vendor.pk), "store": str(stores.main.pk),
        "lines": [{"item": str(stores.notebook.pk), "quantity": "100", "rate": "12.50"},
                  {"item": str(stores.laptop.pk), "quantity": "2", "rate": "40000"}],
    }, format="json")  # fmt: skip
    assert created.status_code == 201, created.content
    po = created.json()
    assert po["status"] == "draft" and po["number"].startswith("PO-")
    early = client.post(f"{BASE}/purchase-orders/{po['id']}/receive/",
                        {"lines": [{"line": po["lines"][0]["id"], "quantity": "1"}]}, format="json")  # fmt: skip
    assert early.status_code == 400
    assert client.post(f"{BASE}/purchase-orders/{po['id']}/place/").json()["status"] == "ordered"
    lines = {line["item"]: line["id"] for line in po["lines"]}
    part = client.post(f"{BASE}/purchase-orders/{po['id']}/receive/", {
        "lines": [{"line": lines[str(stores.notebook.pk)], "quantity": "60"},
                  {"line": lines[str(stores.laptop.pk)], "serials": ["SN-1", "SN-2"]}],
        "idempotency_key": "grn-1",
    }, format="json")  # fmt: skip
    assert part.status_code == 200, part.content
    assert part.json()["status"] == "partly_received"
    again = client.post(f"{BASE}/purchase-orders/{po['id']}/receive/", {
        "lines": [{"line": lines[str(stores.notebook.pk)], "quantity": "60"}],
        "idempotency_key": "grn-1"}, format="json")  # fmt: skip
    assert again.status_code == 200
    assert StockBalance.objects.get(item=stores.notebook).quantity == D("60")  # not 120
    too_much = client.post(f"{BASE}/purchase-orders/{po['id']}/receive/", {
        "lines": [{"line": lines[str(stores.notebook.pk)], "quantity": "41"}]}, format="json")  # fmt: skip
    assert too_much.status_code == 400
    rest = client.post(f"{BASE}/purchase-orders/{po['id']}/receive/", {
        "lines": [{"line": lines[str(stores.notebook.pk)], "quantity": "40", "rate": "15"}]},
        format="json")  # fmt: skip
    assert rest.json()["status"] == "received"
    balance = StockBalance.objects.get(item=stores.notebook, store=stores.main)
    assert (balance.quantity, balance.value) == (D("100"), D("1350.00"))
    assert client.post(f"{BASE}/purchase-orders/{po['id']}/cancel/").status_code == 400


def test_movement_api_issue_with_idempotency_and_409(cast, stores, api):
    receive(cast.school, stores.manager, stores.notebook, stores.main, 5, "10")
    client = api(stores.manager)
    body = {"kind": "issue", "item": str(stores.notebook.pk), "store": str(stores.main.pk),
            "quantity": "3", "student": str(cast.student.pk)}  # fmt: skip
    first = client.post(f"{BASE}/movements/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 201, first.content
    assert first.json()["quantity_after"] == "2.000" and first.json()["value_delta"] == "-30.00"
    retry = client.post(f"{BASE}/movements/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert retry.status_code == 200 and retry.json()["id"] == first.json()["id"]
    assert retry["Idempotent-Replayed"] == "true"
    short = client.post(f"{BASE}/movements/", body, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    assert short.status_code == 409
    assert short.json()["error"]["code"] == "insufficient_stock"
    two = client.post(f"{BASE}/movements/", {**body, "location": "Lab"}, format="json")
    assert two.status_code == 400  # two recipients
    # another school's student is not found
    other = client.post(f"{BASE}/movements/", {**body, "student": str(cast.student2.pk)},
                        format="json")  # fmt: skip
    assert other.status_code == 400 and "student" in other.json()["error"]["fields"]
    # the student sees the issue to them; their parent too; the accountant nothing
    assert api(cast.student.user).get(f"{BASE}/movements/").json()["count"] == 1
    assert api(cast.parent).get(f"{BASE}/movements/").json()["count"] == 1
    assert api(cast.accountant.user).get(f"{BASE}/movements/").status_code == 403
    assert api(cast.admin2).get(f"{BASE}/movements/{first.json()['id']}/").status_code == 404


def test_movement_list_runs_constant_queries(cast, stores, api, django_assert_max_num_queries):
    receive(cast.school, stores.manager, stores.laptop, stores.main, 2, "100", serials=["L1", "L2"])
    for _ in range(3):
        receive(cast.school, stores.manager, stores.notebook, stores.main, 5, "10")
    client = api(stores.manager)
    client.get(f"{BASE}/movements/")  # warm-up (permissions cache, content types)
    with django_assert_max_num_queries(9) as small:
        assert client.get(f"{BASE}/movements/").json()["count"] == 4
    for _ in range(10):
        receive(cast.school, stores.manager, stores.notebook, stores.main, 1, "10")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(f"{BASE}/movements/").json()["count"] == 14


def test_balances_show_low_stock(cast, stores, api, django_assert_max_num_queries):
    receive(cast.school, stores.manager, stores.notebook, stores.main, 5, "10")
    receive(cast.school, stores.manager, stores.notebook, stores.lab, 50, "10")
    ReorderRule.objects.create(school=cast.school, item=stores.notebook, store=stores.main,
                               reorder_level=D("10"), reorder_quantity=D("40"))  # fmt: skip
    client = api(stores.manager)
    client.get(f"{BASE}/balances/")
    with django_assert_max_num_queries(8):
        rows = client.get(f"{BASE}/balances/").json()["results"]
    low = {r["store_name"]: r["low"] for r in rows}
    assert low == {"Main store": True, "Science lab": False}
    only_low = client.get(f"{BASE}/balances/", {"low": "true"}).json()
    assert only_low["count"] == 1 and only_low["results"][0]["reorder_level"] == "10.000"


def test_teacher_requests_and_manager_approves_into_an_issue(cast, stores, api):
    receive(cast.school, stores.manager, stores.notebook, stores.main, 10, "10")
    teacher = api(cast.teacher.user)
    items = teacher.get(f"{BASE}/items/").json()
    assert {i["sku"] for i in items["results"]} == {"NB-100", "LT-1"}
    assert teacher.get(f"{BASE}/balances/").status_code == 403
    made = teacher.post(f"{BASE}/requests/", {"item": str(stores.notebook.pk), "quantity": "4",
                                              "purpose": "Class 5 test"}, format="json")  # fmt: skip
    assert made.status_code == 201 and made.json()["status"] == "pending"
    rid = made.json()["id"]
    assert teacher.post(f"{BASE}/requests/{rid}/approve/", {"store": str(stores.main.pk)},
                        format="json").status_code == 403  # fmt: skip
    assert api(cast.colleague.user).get(f"{BASE}/requests/{rid}/").status_code == 404
    approved = api(stores.manager).post(f"{BASE}/requests/{rid}/approve/",
                                        {"store": str(stores.main.pk)}, format="json")  # fmt: skip
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved"
    issue = StockMovement.objects.get(pk=approved.json()["issue"])
    assert (issue.kind, issue.staff, issue.quantity) == ("issue", cast.teacher.user, D("4"))
    assert teacher.get(f"{BASE}/movements/").json()["count"] == 1
    assert api(stores.manager).post(f"{BASE}/requests/{rid}/reject/").status_code == 400


def test_reports_and_csv(cast, stores, api):
    receive(cast.school, stores.manager, stores.notebook, stores.main, 10, "10")
    receive(cast.school, stores.manager, stores.laptop, stores.main, 1, "500", serials=["Z9"])
    client = api(stores.manager)
    client.post(f"{BASE}/movements/", {"kind": "issue", "item": str(stores.laptop.pk),
                "store": str(stores.main.pk), "serials": ["Z9"], "staff": str(cast.teacher.user.pk),
                "due_date": "2020-01-01"}, format="json")  # fmt: skip
    client.post(f"{BASE}/movements/", {"kind": "issue", "item": str(stores.notebook.pk),
                "store": str(stores.main.pk), "quantity": "2", "section": _section(cast).pk.hex},
                format="json")  # fmt: skip
    on_hand = client.get(f"{BASE}/reports/stock-on-hand/").json()
    assert on_hand == [{"store_id": str(stores.main.pk), "store__name": "Main store", "items": 1,
                        "quantity": "8.000", "value": "80.00", "low": 0}]  # fmt: skip
    overdue = client.get(f"{BASE}/reports/overdue/").json()
    assert [(o["item_name"], o["outstanding"], o["serials"]) for o in overdue] == [
        ("Laptop", "1.000", ["Z9"])]  # fmt: skip
    csv = client.get(f"{BASE}/reports/overdue/export/")
    assert csv["Content-Type"].startswith("text/csv")
    assert "Laptop" in csv.content.decode() and "Tara Teacher" in csv.content.decode()
    issues = client.get(f"{BASE}/reports/issues/").json()
    assert sorted(r["item__name"] for r in issues) == ["Laptop", "Notebook"]
    moved = client.get(f"{BASE}/reports/movements/", {"occurred_after": "2000-01-01T00:00:00Z"})
    assert {(r["item__name"], r["kind"]) for r in moved.json()} >= {("Notebook", "issue")}
    assert client.get(f"{BASE}/reports/movements/export/").status_code == 200
    assert api(cast.accountant.user).get(f"{BASE}/reports/overdue/").status_code == 403


def _section(cast):
    from apps.academics.tests.factories import SectionFactory

    return SectionFactory(school_class__school=cast.school)


def test_catalogue_delete_refused_with_history_and_other_school_404(cast, stores, api):
    receive(cast.school, stores.manager, stores.notebook, stores.main, 1, "1")
    client = api(stores.manager)
    assert client.delete(f"{BASE}/items/{stores.notebook.pk}/").status_code == 409
    spare = StoreFactory(school=cast.school, code="SPARE")
    assert client.delete(f"{BASE}/stores/{spare.pk}/").status_code == 204
    other = ItemFactory(school=cast.school2)
    assert client.get(f"{BASE}/items/{other.pk}/").status_code == 404
    assert api(cast.admin2).get(f"{BASE}/purchase-orders/").json()["count"] == 0
    assert PurchaseOrder.objects.count() == 0


def test_refusals_speak_hindi(cast, stores, api):
    receive(cast.school, stores.manager, stores.notebook, stores.main, 1, "10")
    response = api(stores.manager).post(
        f"{BASE}/movements/",
        {"kind": "issue", "item": str(stores.notebook.pk), "store": str(stores.main.pk),
         "quantity": "2", "location": "Hall"},
        format="json", HTTP_ACCEPT_LANGUAGE="hi",
    )  # fmt: skip
    assert response.status_code == 409
    assert response.json()["error"]["message"].startswith("Main store में Notebook के केवल 1")
