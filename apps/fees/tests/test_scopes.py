"""The fee office's read rules, per persona (apps/fees/scopes.py)."""

from __future__ import annotations

import pytest

from apps.fees import scopes
from apps.fees.models import Invoice
from apps.fees.tests.conftest import issue

CAN_MANAGE = {"admin": True, "accountant": True, "teacher": False, "parent": False,
              "student": False, "admin2": True}  # fmt: skip


@pytest.mark.parametrize("persona", sorted(CAN_MANAGE))
def test_manages_fees(cast, persona):
    assert scopes.manages_fees(cast.user(persona)) is CAN_MANAGE[persona]


def test_family_and_readable_students(cast):
    family = set(scopes.family_student_ids(cast.parent).values_list("student_id", flat=True))
    assert family == {cast.student.pk, cast.sibling.pk}
    own = set(scopes.family_student_ids(cast.student.user).values_list("pk", flat=True))
    assert own == {cast.student.pk}
    assert not scopes.readable_students(cast.teacher.user).exists()
    school_one = set(scopes.readable_students(cast.accountant.user).values_list("pk", flat=True))
    assert cast.other_student.pk in school_one and cast.student2.pk not in school_one


@pytest.mark.parametrize(
    "persona, count",
    [
        ("admin", 3),
        ("accountant", 3),
        ("parent", 2),
        ("student", 1),
        ("teacher", 0),
        ("admin2", 0),
    ],  # fmt: skip
)
def test_readable_invoices(cast, office, persona, count):
    issue(office)
    assert scopes.readable_invoices(cast.user(persona)).count() == count
    assert Invoice.objects.count() == 3


def test_only_a_school_admin_waives_fines(cast):
    assert scopes.can_waive_fine(cast.admin)
    assert not scopes.can_waive_fine(cast.accountant.user)
    assert not scopes.can_waive_fine(cast.parent)
