"""The fee defaulters list in the admin: who is overdue, how much and for how many days, and a
reminder to the ticked families through the reminder service, scoped to the school."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from apps.core.models import AuditLog
from apps.fees.models import Invoice
from apps.fees.tests.conftest import issue
from apps.notifications.models import Notification

URL = reverse("admin:fees_invoice_defaulters")
DAY = dt.datetime(2026, 8, 1, 6, tzinfo=dt.UTC)


@pytest.fixture
def overdue(office):
    issue(office)
    with time_machine.travel(DAY, tick=False):
        yield office


def test_rows_show_amount_and_days_overdue(cast, overdue, client):
    client.force_login(cast.accountant.user)
    page = client.get(URL)
    assert page.status_code == 200
    rows = {row["name"]: row for row in page.context["report"]["rows"]}
    assert {"Sam Student", "Sia Student", "Oscar Other"} <= set(rows)
    due = Invoice.objects.filter(student=cast.student).order_by("due_date").first().due_date
    assert rows["Sam Student"]["days_overdue"] == (DAY.date() - due).days > 0
    html = page.content.decode()
    assert 'id="defaulters"' in html and "Days overdue" in html
    assert f'value="{cast.student.pk}"' in html  # a box to tick for the reminder
    client.force_login(cast.admin2)  # another school's admin: the page, none of these rows
    other = client.get(URL)
    assert other.status_code == 200 and other.context["report"]["rows"] == []
    assert "Sam Student" not in other.content.decode()


def test_a_reminder_goes_to_the_ticked_families_once_a_day(
    cast, overdue, client, django_capture_on_commit_callbacks
):
    client.force_login(cast.accountant.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"student": [str(cast.student.pk)]}, follow=True)
    assert response.status_code == 200
    assert "A reminder was sent for 1 overdue invoice." in response.content.decode()
    sent = Notification.objects.filter(kind="fees.reminder")
    assert {n.recipient_id for n in sent} == {cast.parent.pk, cast.student.user_id}
    assert all("overdue" in n.body for n in sent)
    assert AuditLog.objects.filter(action="invoice.remind", actor=cast.accountant.user).count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {"student": [str(cast.student.pk)]})  # again the same day
    assert Notification.objects.filter(kind="fees.reminder").count() == 2


def test_another_schools_student_and_outsiders_get_nothing(cast, overdue, client):
    client.force_login(cast.admin2)
    response = client.post(URL, {"student": [str(cast.student.pk), "nonsense"]}, follow=True)
    assert response.status_code == 200
    assert "Reminders were sent for 0 overdue invoices." in response.content.decode()
    assert not Notification.objects.filter(kind="fees.reminder").exists()
    client.force_login(cast.teacher.user)  # teachers never use the admin
    assert client.post(URL, {"student": [str(cast.student.pk)]}).status_code == 302
    assert not Notification.objects.filter(kind="fees.reminder").exists()
