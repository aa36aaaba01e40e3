"""The fee office's admin screens, through the admin client: heads through the services,
structures with inline lines, the cash counter, refunds, read-only money, the defaulters view."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from apps.core.models import AuditLog
from apps.fees.models import CreditNote, FeeHead, FeeReminder, FeeStructure, Invoice, Payment
from apps.fees.tests.conftest import issue

D = Decimal


def url(name: str, *args) -> str:
    return reverse(f"admin:fees_{name}", args=args)


@pytest.fixture
def admin_client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.mark.parametrize(
    "model",
    [
        "feehead",
        "feestructure",
        "concession",
        "latefinerule",
        "invoice",
        "payment",
        "refund",
        "receipt",
        "creditnote",
        "feereminder",
    ],  # fmt: skip
)
def test_changelists_open_for_the_school_admin_and_the_accountant(
    cast, office, admin_client_for, model
):
    issue(office)
    for user in (cast.admin, cast.accountant.user):
        assert admin_client_for(user).get(url(f"{model}_changelist")).status_code == 200


def test_the_sent_reminders_are_listed_read_only(cast, office, admin_client_for):
    issue(office)
    invoice = Invoice.objects.filter(school=cast.school).first()
    FeeReminder.objects.create(
        school=cast.school, invoice=invoice, level="due", cycle=0, sent_on=dt.date(2026, 4, 10)
    )
    client = admin_client_for(cast.accountant.user)
    page = client.get(url("feereminder_changelist"))
    assert page.status_code == 200
    assert invoice.number in page.content.decode()
    assert client.get(url("feereminder_add")).status_code == 403


def test_a_head_added_in_the_admin_goes_through_the_service(cast, admin_client_for):
    client = admin_client_for(cast.admin)
    response = client.post(url("feehead_add"), {
        "name": "Sports", "code": "SPT", "tax_class": "taxable", "gst_rate": "18",
        "hsn_sac": "999723", "pricing": "structure", "is_active": "on"})  # fmt: skip
    assert response.status_code == 302, response.content[:2000]
    head = FeeHead.objects.get(code="SPT")
    assert head.school == cast.school and head.pricing == "structure"
    bus = client.post(url("feehead_add"), {"name": "Bus", "code": "BUS", "tax_class": "exempt",
                                           "gst_rate": "0", "pricing": "transport",
                                           "is_active": "on"})  # fmt: skip
    assert bus.status_code == 302 and FeeHead.objects.get(code="BUS").pricing == "transport"
    assert AuditLog.objects.filter(action="fee_head.create", object_id=str(head.pk)).exists()
    bad = client.post(url("feehead_add"), {"name": "X", "code": "X", "tax_class": "taxable",
                                           "gst_rate": "0"})  # fmt: skip
    assert bad.status_code == 200 and not FeeHead.objects.filter(code="X").exists()


def test_a_structure_with_inline_lines_gets_its_installments(cast, office, admin_client_for):
    client = admin_client_for(cast.admin)
    from apps.academics.tests.factories import SchoolClassFactory

    klass = SchoolClassFactory(school=cast.school, name="Class 6", order=6)
    prefix = "lines"
    data = {
        "name": "Class 6 2026-27", "school_class": klass.pk, "year": office.year.pk,
        "plan": "monthly", "due_day": "5", "due_dates": "[]", "is_active": "on",
        f"{prefix}-TOTAL_FORMS": "2", f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000",
        f"{prefix}-0-head": office.tuition.pk, f"{prefix}-0-amount": "12000.05",
        f"{prefix}-1-head": office.transport.pk, f"{prefix}-1-amount": "6000",
        "installments-TOTAL_FORMS": "0", "installments-INITIAL_FORMS": "0",
        "installments-MIN_NUM_FORMS": "0", "installments-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    response = client.post(url("feestructure_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    structure = FeeStructure.objects.get(name="Class 6 2026-27")
    amounts = list(structure.installments.values_list("amount", flat=True))
    assert len(amounts) == 12 and sum(amounts) == D("18000.05")
    assert amounts[:2] == [D("1500.00")] * 2
    assert amounts[-1] == D("1500.05")  # the remainder goes to the last installment


def test_the_cash_counter_records_a_payment_with_its_receipt(cast, office, admin_client_for):
    issue(office)
    mine = Invoice.objects.get(student=cast.student)
    client = admin_client_for(cast.accountant.user)
    form = client.get(url("payment_add"))
    assert form.status_code == 200 and mine.number in form.content.decode()
    response = client.post(url("payment_add"), {
        "student": cast.student.pk, "payer": cast.parent.pk, "mode": "cash",
        "amount": "6000.00", "invoices": [mine.pk]}, follow=True)  # fmt: skip
    payment = Payment.objects.get()
    assert payment.receipt.number in response.content.decode()
    mine.refresh_from_db()
    assert mine.status == "paid"
    # Never changed or deleted, not even by the school admin.
    admin = admin_client_for(cast.admin)
    assert admin.get(url("payment_delete", payment.pk)).status_code == 403
    assert admin.post(url("payment_change", payment.pk), {"amount": "1"}).status_code == 403
    assert Payment.objects.get().amount == D("6000.00")


def test_the_counter_refuses_cash_at_the_limit(cast, admin_client_for, settings):
    settings.FEES_CASH_DAILY_LIMIT = D("1000")
    client = admin_client_for(cast.admin)
    response = client.post(url("payment_add"), {"student": cast.student.pk, "mode": "cash",
                                                "amount": "1000.00"}, follow=True)  # fmt: skip
    assert "Cash of" in response.content.decode()
    assert not Payment.objects.exists()


def test_a_refund_in_the_admin_issues_a_credit_note(cast, office, admin_client_for):
    issue(office)
    client = admin_client_for(cast.admin)
    client.post(url("payment_add"), {"student": cast.other_student.pk, "mode": "card_upi",
                                     "amount": "6000.00"})  # fmt: skip
    payment = Payment.objects.get()
    response = client.post(url("refund_add"), {
        "payment": payment.pk, "amount": "146.00", "mode": "cash", "reason": "advance back"})  # fmt: skip
    assert response.status_code == 302
    assert CreditNote.objects.get().amount == D("146.00")


def test_invoice_filters_and_another_schools_invoice(cast, office, admin_client_for):
    issue(office)
    client = admin_client_for(cast.admin)
    listing = client.get(url("invoice_changelist"), {"status__exact": "issued",
                                                     "section__school_class__id__exact": office.school_class.pk})  # fmt: skip
    assert listing.status_code == 200 and "INV/26-27/000003" in listing.content.decode()
    invoice = Invoice.objects.first()
    other = admin_client_for(cast.admin2).get(url("invoice_change", invoice.pk))
    assert other.status_code == 302  # "does not exist" and back to the index


def test_the_defaulters_view(cast, office, admin_client_for):
    issue(office)
    with time_machine.travel(dt.datetime(2026, 8, 1, 6, tzinfo=dt.UTC), tick=False):
        client = admin_client_for(cast.accountant.user)
        page = client.get(url("invoice_defaulters"))
        csv = client.get(url("invoice_defaulters"), {"format": "csv"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Sam Student" in text and "61-90" in text
    assert csv["Content-Type"].startswith("text/csv") and "Sia Student" in csv.content.decode()
    assert admin_client_for(cast.teacher.user).get(url("invoice_defaulters")).status_code == 302
