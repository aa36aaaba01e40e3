"""Issuing invoices tells each family once per invoice (through the notifications hook)."""

from __future__ import annotations

import pytest

from apps.notifications.models import Delivery, Notification
from apps.notifications.tasks import raise_event

from .conftest import issue

pytestmark = pytest.mark.django_db


def test_issued_invoices_tell_each_family_once(cast, office, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert issue(office) == 3
    notes = Notification.objects.filter(kind="fees.invoice_issued")
    # Pat is the parent of Sam and Sia: one notice per invoice; each student their own.
    assert notes.filter(recipient=cast.parent).count() == 2
    assert notes.filter(recipient=cast.other_student.user).count() == 1
    assert Delivery.objects.filter(kind="fees.invoice_issued").count() == 2 * notes.count()
    statuses = set(
        Delivery.objects.filter(kind="fees.invoice_issued").values_list("status", flat=True)
    )
    assert statuses == {"delivered"}
    invoice_ids = [n.data["invoice"] for n in notes]
    raise_event.delay(
        "fees.invoice_issued", str(office.structure.pk), {"invoices": invoice_ids}
    ).get()
    assert Notification.objects.filter(kind="fees.invoice_issued").count() == notes.count()
    body = notes.filter(recipient=cast.other_student.user).get().body
    assert body.startswith("Invoice ") and "Oscar Other" in body
