"""The stores' named access helpers, called directly with the cast."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from apps.inventory import scopes
from apps.inventory.services import movement_record, request_create
from apps.inventory.tests.factories import receive

pytestmark = pytest.mark.django_db


def test_who_manages_the_stores(cast, stores, root):
    assert scopes.manages_stores(cast.admin)
    assert scopes.manages_stores(stores.manager)
    assert scopes.manages_stores(root)
    for user in (cast.accountant.user, cast.teacher.user, cast.student.user, cast.parent):
        assert not scopes.manages_stores(user)
    assert scopes.may_request_items(cast.teacher.user)
    assert not scopes.may_request_items(cast.student.user)
    assert not scopes.may_request_items(cast.accountant.user)


def test_movements_and_requests_each_persona_reads(cast, stores):
    receive(cast.school, stores.manager, stores.notebook, stores.main, 10, "1")
    to_student = movement_record(school=cast.school, actor=stores.manager, kind="issue",
                                 item=stores.notebook, store=stores.main,
                                 data={"quantity": D("1"), "student": cast.student}).first  # fmt: skip
    to_teacher = movement_record(school=cast.school, actor=stores.manager, kind="issue",
                                 item=stores.notebook, store=stores.main,
                                 data={"quantity": D("1"), "staff": cast.teacher.user}).first  # fmt: skip
    asked = request_create(school=cast.school, actor=cast.teacher.user, item=stores.notebook,
                           quantity=D("1"))  # fmt: skip
    seen = {
        name: set(scopes.readable_movements(user).values_list("pk", flat=True))
        for name, user in (("student", cast.student.user), ("parent", cast.parent),
                           ("teacher", cast.teacher.user), ("colleague", cast.colleague.user),
                           ("accountant", cast.accountant.user), ("admin2", cast.admin2))
    }  # fmt: skip
    assert seen == {"student": {to_student.pk}, "parent": {to_student.pk},
                    "teacher": {to_teacher.pk}, "colleague": set(), "accountant": set(),
                    "admin2": set()}  # fmt: skip
    assert scopes.readable_movements(stores.manager).count() == 3
    assert list(scopes.readable_requests(cast.teacher.user)) == [asked]
    assert not scopes.readable_requests(cast.colleague.user).exists()


def test_store_managers_are_told_or_the_admins(cast, stores):
    assert list(scopes.store_managers(cast.school)) == [stores.manager]
    stores.manager.groups.clear()
    assert list(scopes.store_managers(cast.school)) == [cast.admin]
