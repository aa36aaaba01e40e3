"""The ledger's rules through its service: valuation, the kinds of movement, serial units,
idempotency, and history that the database itself refuses to edit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, InternalError, connection, transaction

from apps.core.exceptions import ApplicationError
from apps.inventory.models import SerialUnit, StockBalance, StockMovement
from apps.inventory.services import InsufficientStock, ledger_sum, movement_record, outstanding
from apps.inventory.tests.factories import receive

pytestmark = pytest.mark.django_db


def record(cast, stores, kind, item, store, **data):
    return movement_record(school=cast.school, actor=stores.manager, kind=kind, item=item,
                           store=store, data=data).first  # fmt: skip


def balance(item, store):
    return StockBalance.objects.get(item=item, store=store)


def test_moving_average_valuation(cast, stores):
    nb, main = stores.notebook, stores.main
    receive(cast.school, stores.manager, nb, main, 10, "10.00")
    second = receive(cast.school, stores.manager, nb, main, 20, "13.00")
    assert (second.quantity_after, second.value_after) == (D("30"), D("360.00"))
    issue = record(cast, stores, "issue", nb, main, quantity=D("7"), staff=cast.teacher.user)
    assert issue.rate == D("12.0000") and issue.value_delta == D("-84.00")
    assert (issue.quantity_after, issue.value_after) == (D("23"), D("276.00"))
    # thirds: 276 / 23 = 12 exactly; now make a repeating average
    receive(cast.school, stores.manager, nb, main, 1, "1.00")  # 24 units worth 277
    issue2 = record(cast, stores, "issue", nb, main, quantity=D("5"), location="Staff room")
    assert issue2.rate == D("11.5417") and issue2.value_delta == D("-57.71")
    last = record(cast, stores, "issue", nb, main, quantity=D("19"), location="Staff room")
    # the last units take exactly what is left: no paisa stays behind
    assert (last.quantity_after, last.value_after) == (D("0"), D("0.00"))
    assert last.value_delta == D("-219.29")
    b = balance(nb, main)
    assert (b.quantity, b.value) == ledger_sum(nb.pk, main.pk) == (D("0"), D("0.00"))


def test_issue_more_than_available_is_refused(cast, stores):
    receive(cast.school, stores.manager, stores.notebook, stores.main, 3, "5")
    with pytest.raises(InsufficientStock) as caught:
        record(cast, stores, "issue", stores.notebook, stores.main, quantity=D("4"),
               student=cast.student)  # fmt: skip
    assert caught.value.status_code == 409 and caught.value.code == "insufficient_stock"
    assert balance(stores.notebook, stores.main).quantity == D("3")


def test_transfer_moves_value_between_stores(cast, stores):
    nb = stores.notebook
    receive(cast.school, stores.manager, nb, stores.main, 10, "12.50")
    posted = movement_record(school=cast.school, actor=stores.manager, kind="transfer", item=nb,
                             store=stores.main, data={"quantity": D("4"), "to_store": stores.lab})  # fmt: skip
    out, into = posted.movements
    assert (out.kind, out.delta, out.value_delta) == ("transfer_out", D("-4"), D("-50.00"))
    assert (into.kind, into.store, into.value_delta) == ("transfer_in", stores.lab, D("50.00"))
    assert out.counterpart_id == into.pk and into.counterpart_id == out.pk
    assert balance(nb, stores.lab).value == D("50.00")
    assert balance(nb, stores.main).value == D("75.00")


def test_adjustment_needs_reason_and_approver(cast, stores):
    nb = stores.notebook
    receive(cast.school, stores.manager, nb, stores.main, 10, "10")
    with pytest.raises(ApplicationError) as caught:
        record(cast, stores, "adjustment", nb, stores.main, counted_quantity=D("8"), reason="count")
    assert "approved_by" in caught.value.fields
    with pytest.raises(ApplicationError) as caught:
        record(cast, stores, "adjustment", nb, stores.main, counted_quantity=D("8"),
               reason="count", approved_by=cast.teacher.user)  # fmt: skip
    assert "approved_by" in caught.value.fields
    adj = record(cast, stores, "adjustment", nb, stores.main, counted_quantity=D("8"),
                 reason="stock-take: two missing", approved_by=cast.admin)  # fmt: skip
    assert (adj.delta, adj.value_delta, adj.quantity_after) == (D("-2"), D("-20.00"), D("8"))
    up = record(cast, stores, "adjustment", nb, stores.main, counted_quantity=D("9"),
                reason="found one", approved_by=stores.manager)  # fmt: skip
    assert (up.delta, up.rate, up.value_after) == (D("1"), D("10.0000"), D("90.00"))


def test_serial_units_issue_return_and_loss(cast, stores):
    lt, main = stores.laptop, stores.main
    receive(cast.school, stores.manager, lt, main, 3, "40000", serials=["A1", "A2", "A3"])
    assert SerialUnit.objects.filter(item=lt, state="available", store=main).count() == 3
    with pytest.raises(ApplicationError) as caught:  # a returnable issued to a person needs a date
        record(cast, stores, "issue", lt, main, serials=["A1"], staff=cast.teacher.user)
    assert caught.value.code == "due_date_required"
    issue = record(cast, stores, "issue", lt, main, serials=["A1", "A2"], staff=cast.teacher.user,
                   due_date=dt.date(2026, 7, 1))  # fmt: skip
    a1 = SerialUnit.objects.get(serial_number="A1")
    assert (a1.state, a1.store, a1.staff, a1.issue) == ("issued", None, cast.teacher.user, issue)
    with pytest.raises(ApplicationError) as caught:  # A1 is out: cannot be issued again
        record(cast, stores, "issue", lt, main, serials=["A1"], location="Lab")
    assert caught.value.code == "unit_unavailable"
    ret = record(cast, stores, "return", lt, None, serials=["A1"], issue=issue,
                 unit_state="under_repair")  # fmt: skip
    assert ret.value_delta == D("40000.00") and outstanding(issue) == D("1")
    a1.refresh_from_db()
    assert (a1.state, a1.store, a1.staff) == ("under_repair", main, None)
    lost = record(cast, stores, "write_off", lt, None, serials=["A2"], issue=issue,
                  write_off_reason="lost", charge_amount=D("5000"))  # fmt: skip
    assert (lost.delta, lost.staff, lost.charge_amount) == (D("0"), cast.teacher.user, D("5000"))
    a2 = SerialUnit.objects.get(serial_number="A2")
    assert (a2.state, a2.staff) == ("lost", cast.teacher.user)  # the custodian stays responsible
    assert outstanding(issue) == 0
    with pytest.raises(ApplicationError):
        record(cast, stores, "return", lt, None, serials=["A2"], issue=issue)
    b = balance(lt, main)
    assert (b.quantity, b.value) == ledger_sum(lt.pk, main.pk) == (D("2"), D("80000.00"))


def test_idempotency_key_writes_one_movement(cast, stores):
    receive(cast.school, stores.manager, stores.notebook, stores.main, 10, "10")
    kwargs = {"school": cast.school, "actor": stores.manager, "kind": "issue",
              "item": stores.notebook, "store": stores.main, "idempotency_key": "req-1",
              "data": {"quantity": D("2"), "location": "Room 4"}}  # fmt: skip
    first = movement_record(**kwargs)
    again = movement_record(**kwargs)
    assert not first.replayed and again.replayed and again.first.pk == first.first.pk
    assert StockMovement.objects.filter(kind="issue").count() == 1
    assert balance(stores.notebook, stores.main).quantity == D("8")


def test_history_cannot_be_edited_in_the_database(cast, stores):
    movement = receive(cast.school, stores.manager, stores.notebook, stores.main, 5, "10")
    for sql in (
        "UPDATE inventory_stockmovement SET quantity = 50 WHERE id = %s",
        "DELETE FROM inventory_stockmovement WHERE id = %s",
    ):
        with (
            pytest.raises(InternalError, match="Cannot update or delete"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [movement.pk])
    with pytest.raises(InternalError), transaction.atomic():
        StockMovement.objects.filter(pk=movement.pk).update(quantity=D("1"))
    assert StockMovement.objects.get(pk=movement.pk).quantity == D("5")


def test_balance_cannot_go_negative_in_the_database(cast, stores):
    receive(cast.school, stores.manager, stores.notebook, stores.main, 5, "10")
    with pytest.raises(IntegrityError), transaction.atomic():
        StockBalance.objects.filter(item=stores.notebook).update(quantity=D("-1"))


def test_fifo_valuation_takes_the_oldest_layers(cast, stores, settings):
    settings.INVENTORY_VALUATION = "fifo"
    nb, main, lab = stores.notebook, stores.main, stores.lab
    receive(cast.school, stores.manager, nb, main, 10, "10.00")
    receive(cast.school, stores.manager, nb, main, 10, "20.00")
    issue = record(cast, stores, "issue", nb, main, quantity=D("15"), location="Hall")
    # 10 at 10 and 5 at 20 = 200 for 15 units
    assert (issue.value_delta, issue.rate, issue.value_after) == (D("-200.00"), D("13.3333"),
                                                                  D("100.00"))  # fmt: skip
    assert balance(nb, main).layers == [["5", "20.00"]]
    posted = movement_record(school=cast.school, actor=stores.manager, kind="transfer", item=nb,
                             store=main, data={"quantity": D("2"), "to_store": lab})  # fmt: skip
    assert posted.movements[1].value_delta == D("40.00")
    assert balance(nb, lab).layers == [["2", "20.00"]]
    for store in (main, lab):
        b = balance(nb, store)
        assert (b.quantity, b.value) == ledger_sum(nb.pk, store.pk)
