"""The read and pay rules of online payments, called directly for every persona."""

from __future__ import annotations

from decimal import Decimal as D

from apps.payments import scopes, services


def test_who_pays_and_who_reads(cast, bills):
    order, _ = services.order_create(school=cast.school, actor=cast.admin,
                                     invoices=[bills.student], amount=D("500"))  # fmt: skip
    other, _ = services.order_create(school=cast.school, actor=cast.admin,
                                     invoices=[bills.other], amount=D("500"))  # fmt: skip
    payable = {
        persona: set(scopes.payable_invoices(cast.user(persona)).values_list("pk", flat=True))
        for persona in ("admin", "accountant", "parent", "student", "teacher", "admin2")
    }
    everyone = {bills.student.pk, bills.sibling.pk, bills.other.pk}
    assert payable["admin"] == payable["accountant"] == everyone
    assert payable["parent"] == {bills.student.pk, bills.sibling.pk}
    assert payable["student"] == payable["teacher"] == payable["admin2"] == set()
    readable = {
        persona: set(scopes.readable_orders(cast.user(persona)).values_list("pk", flat=True))
        for persona in ("admin", "accountant", "parent", "student", "teacher", "admin2")
    }
    assert readable["admin"] == readable["accountant"] == {order.pk, other.pk}
    assert readable["parent"] == readable["student"] == {order.pk}
    assert readable["teacher"] == readable["admin2"] == set()
    assert [scopes.can_start_payment(cast.user(p)) for p in ("parent", "accountant", "student",
            "teacher")] == [True, True, False, False]  # fmt: skip
