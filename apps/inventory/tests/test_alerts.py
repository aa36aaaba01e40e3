"""The daily stock check (run as its Celery task): one draft purchase order per vendor for what
is at or below its reorder level (counting what is on order), the store manager told once until
the stock recovers, and overdue returns told to their borrowers once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from apps.core import periodic
from apps.inventory.models import LowStockAlert, PurchaseOrder, ReorderRule
from apps.inventory.services import LOW_STOCK_KIND, OVERDUE_KIND, movement_record
from apps.inventory.tasks import LOW_STOCK_TASK, check_stock
from apps.inventory.tests.factories import ItemFactory, VendorFactory, receive
from apps.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _rule(cast, item, store, level="10", quantity="40"):
    return ReorderRule.objects.create(school=cast.school, item=item, store=store,
                                      reorder_level=D(level), reorder_quantity=D(quantity))  # fmt: skip


def test_low_stock_opens_one_draft_per_vendor_and_tells_the_manager_once(cast, stores):
    pens = ItemFactory(school=cast.school, category=stores.stationery, name="Pens",
                       preferred_vendor=stores.vendor)  # fmt: skip
    chalk = ItemFactory(school=cast.school, category=stores.stationery, name="Chalk",
                        preferred_vendor=VendorFactory(school=cast.school, name="Chalk Co"))  # fmt: skip
    for item in (stores.notebook, pens, chalk):
        receive(cast.school, stores.manager, item, stores.main, 5, "10")
        _rule(cast, item, stores.main)
    receive(cast.school, stores.manager, stores.laptop, stores.main, 1, "1", serials=["S"])
    _rule(cast, stores.laptop, stores.main, level="0", quantity="1")  # no vendor: alert only

    result = check_stock.delay().get()
    assert result["alerts"] == 3 and result["orders"] == 2 and result["lines"] == 3
    orders = PurchaseOrder.objects.filter(auto_created=True, status="draft")
    assert {o.vendor.name: o.lines.count() for o in orders} == {"Paper House": 2, "Chalk Co": 1}
    line = orders.get(vendor=stores.vendor).lines.get(item=stores.notebook)
    assert (line.quantity, line.rate) == (D("40"), D("10.00"))
    told = Notification.objects.filter(kind=LOW_STOCK_KIND)
    assert list(told.values_list("recipient", flat=True)) == [stores.manager.pk]
    assert "Notebook (Main store)" in told.get().body

    # the next day nothing changed: no new order (what is on order counts), no second message
    again = check_stock.delay().get()
    assert (again["alerts"], again["orders"], again["lines"]) == (0, 0, 0)
    assert told.count() == 1 and PurchaseOrder.objects.count() == 2

    # the notebooks recover, then fall again: one new alert, one new message
    receive(cast.school, stores.manager, stores.notebook, stores.main, 20, "10")
    assert check_stock.delay().get()["recovered"] == 1
    movement_record(school=cast.school, actor=stores.manager, kind="issue", item=stores.notebook,
                    store=stores.main, data={"quantity": D("20"), "location": "Hall"})  # fmt: skip
    assert check_stock.delay().get()["alerts"] == 1
    assert told.count() == 2
    assert LowStockAlert.objects.filter(item=stores.notebook, resolved_at__isnull=True).count() == 1


def test_overdue_returns_are_told_to_the_borrower_once(cast, stores, settings):
    receive(cast.school, stores.manager, stores.laptop, stores.main, 2, "100", serials=["A", "B"])
    for serial, due in (("A", dt.date(2020, 1, 10)), ("B", dt.date(2999, 1, 1))):
        movement_record(school=cast.school, actor=stores.manager, kind="issue",
                        item=stores.laptop, store=stores.main,
                        data={"serials": [serial], "student": cast.student, "due_date": due})  # fmt: skip
    assert check_stock.delay().get()["overdue_notified"] == 1
    assert check_stock.delay().get()["overdue_notified"] == 0
    mine = Notification.objects.filter(kind=OVERDUE_KIND, recipient=cast.student.user)
    assert mine.count() == 1 and "2020-01-10" in mine.get().body
    assert Notification.objects.filter(kind=OVERDUE_KIND, recipient=stores.manager).count() == 1


def test_the_check_is_a_beat_job():
    assert any(s.task == LOW_STOCK_TASK for s in periodic.registered())
