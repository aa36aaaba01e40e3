"""The stores' admin screens through the admin client: every changelist opens for the school
admin and the store manager (not the accountant), the movement entry form writes through the
ledger, the receive action, balances with low stock highlighted, history never editable."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.urls import reverse

from apps.inventory.models import POStatus, ReorderRule, StockBalance, StockMovement
from apps.inventory.services import po_create, po_place
from apps.inventory.tests.factories import receive

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    return reverse(f"admin:inventory_{name}", args=args)


@pytest.fixture
def admin_client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.mark.parametrize("model", ["itemcategory", "store", "vendor", "item", "purchaseorder",
                                   "stockmovement", "stockbalance", "serialunit", "itemrequest",
                                   "lowstockalert"])  # fmt: skip
def test_changelists_for_the_store_manager_not_the_accountant(cast, stores, admin_client_for,
                                                               model):  # fmt: skip
    receive(cast.school, stores.manager, stores.laptop, stores.main, 1, "100", serials=["X1"])
    for user in (cast.admin, stores.manager):
        assert admin_client_for(user).get(url(f"{model}_changelist")).status_code == 200
    assert admin_client_for(cast.accountant.user).get(url(f"{model}_changelist")).status_code == 403


def test_movement_entry_form_goes_through_the_ledger(cast, stores, admin_client_for):
    receive(cast.school, stores.manager, stores.notebook, stores.main, 10, "10")
    client = admin_client_for(stores.manager)
    assert client.get(url("stockmovement_add")).status_code == 200
    response = client.post(url("stockmovement_add"), {
        "entry_kind": "issue", "item": str(stores.notebook.pk), "store": str(stores.main.pk),
        "entry_quantity": "4", "location": "Staff room"})  # fmt: skip
    assert response.status_code == 302, response.content[:3000]
    issue = StockMovement.objects.get(kind="issue")
    assert (issue.quantity, issue.location, issue.quantity_after) == (D("4"), "Staff room", D("6"))
    too_many = client.post(url("stockmovement_add"), {
        "entry_kind": "issue", "item": str(stores.notebook.pk), "store": str(stores.main.pk),
        "entry_quantity": "40", "location": "Staff room"}, follow=True)  # fmt: skip
    assert "Only 6" in too_many.content.decode()
    assert StockMovement.objects.filter(kind="issue").count() == 1
    # the ledger is never edited or deleted here
    page = client.get(url("stockmovement_change", issue.pk))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert client.post(url("stockmovement_delete", issue.pk), {"post": "yes"}).status_code == 403


def test_receive_action_and_low_stock_highlight(cast, stores, admin_client_for):
    order = po_create(school=cast.school, actor=stores.manager, vendor=stores.vendor,
                      store=stores.main, lines=[{"item": stores.notebook, "quantity": D("8"),
                                                 "rate": D("5")}])  # fmt: skip
    po_place(order=order, actor=stores.manager)
    client = admin_client_for(stores.manager)
    client.post(url("purchaseorder_changelist"), {"action": "receive_pending",
                                                  "_selected_action": [str(order.pk)]})  # fmt: skip
    order.refresh_from_db()
    assert order.status == POStatus.RECEIVED
    assert StockBalance.objects.get(item=stores.notebook).quantity == D("8")
    ReorderRule.objects.create(school=cast.school, item=stores.notebook, store=stores.main,
                               reorder_level=D("10"), reorder_quantity=D("50"))  # fmt: skip
    page = client.get(url("stockbalance_changelist")).content.decode()
    assert "Low: reorder" in page


def test_overdue_returns_screen(cast, stores, admin_client_for):
    import datetime as dt

    from apps.inventory.services import movement_record

    receive(cast.school, stores.manager, stores.laptop, stores.main, 2, "100", serials=["O1", "O2"])
    for serial, due in (("O1", dt.date(2020, 1, 1)), ("O2", dt.date(2999, 1, 1))):
        movement_record(school=cast.school, actor=stores.manager, kind="issue",
                        item=stores.laptop, store=stores.main,
                        data={"serials": [serial], "staff": cast.teacher.user, "due_date": due})  # fmt: skip
    page = admin_client_for(stores.manager).get(url("stockmovement_changelist"), {"overdue": "yes"})
    assert page.status_code == 200
    assert list(page.context["cl"].result_list.values_list("due_date", flat=True)) == [
        dt.date(2020, 1, 1)
    ]


def test_requests_are_approved_from_the_store_holding_the_most(cast, stores, admin_client_for):
    from apps.inventory.models import ItemRequest
    from apps.inventory.services import request_create

    receive(cast.school, stores.manager, stores.notebook, stores.main, 3, "10")
    receive(cast.school, stores.manager, stores.notebook, stores.lab, 9, "10")
    row = request_create(school=cast.school, actor=cast.teacher.user, item=stores.notebook,
                         quantity=D("2"))  # fmt: skip
    admin_client_for(stores.manager).post(url("itemrequest_changelist"), {
        "action": "approve", "_selected_action": [str(row.pk)]})  # fmt: skip
    row = ItemRequest.objects.select_related("issue").get(pk=row.pk)
    assert row.status == "approved" and row.issue.store == stores.lab
    assert row.issue.staff == cast.teacher.user
