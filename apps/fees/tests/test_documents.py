"""The fee office's PDFs through the API and the admin: a counter payment's receipt (rendered
when the payment is committed, stored once) and an invoice in its document type, in English or
Hindi, for the fee office and the family only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.core.testing import pdf_text
from apps.fees.models import FeeSettings, Invoice, Payment, Receipt
from apps.fees.tests.conftest import issue

D = Decimal
PAYMENTS = "/api/v1/fees/payments/"
INVOICES = "/api/v1/fees/invoices/"


def pay(api, cast, student, amount, capture):
    with capture(execute=True):
        response = api(cast.accountant.user).post(PAYMENTS, {
            "student": str(student.pk), "payer": str(cast.parent.pk), "mode": "cash",
            "amount": amount}, format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    return Payment.objects.get(pk=response.json()["id"])


def test_a_counter_payment_stores_its_receipt_and_the_family_downloads_it(
    cast, api, office, django_capture_on_commit_callbacks
):
    issue(office)
    payment = pay(api, cast, cast.student, "6000.00", django_capture_on_commit_callbacks)
    receipt = Receipt.objects.get(payment=payment)
    assert receipt.pdf.name.endswith(".pdf")  # rendered once the payment was committed
    stored = receipt.pdf.name
    url = f"{PAYMENTS}{payment.pk}/receipt/"
    for user in (cast.parent, cast.student.user, cast.accountant.user, cast.admin):
        with CaptureQueriesContext(connection) as queries:
            response = api(user).get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert len(queries) <= 12, len(queries)
    text = pdf_text(response.content)
    assert receipt.number in text and "₹" in text and "6,000.00" in text
    assert "Rupees six thousand only" in text
    assert Receipt.objects.get(pk=receipt.pk).pdf.name == stored  # never rendered over
    hindi = api(cast.parent).get(url, {"lang": "hi"})
    assert hindi.status_code == 200 and hindi.content != response.content
    assert receipt.number in pdf_text(hindi.content) and "₹" in pdf_text(hindi.content)
    bad = api(cast.parent).get(url, {"lang": "fr"})
    assert bad.status_code == 400 and "lang" in bad.json()["error"]["fields"]
    assert api(cast.admin2).get(url).status_code == 404
    assert api(cast.teacher.user).get(url).status_code == 403
    # Another family's payment is not the parent's to see.
    other = pay(api, cast, cast.other_student, "100.00", django_capture_on_commit_callbacks)
    assert api(cast.parent).get(f"{PAYMENTS}{other.pk}/receipt/").status_code == 404
    assert api(cast.student.user).get(f"{PAYMENTS}{other.pk}/receipt/").status_code == 404


def test_a_receipt_missing_its_pdf_is_rendered_on_first_download(cast, api, office):
    issue(office)
    response = api(cast.accountant.user).post(PAYMENTS, {
        "student": str(cast.student.pk), "mode": "card_upi", "amount": "500.00"}, format="json")  # fmt: skip
    payment = Payment.objects.get(pk=response.json()["id"])
    assert not Receipt.objects.get(payment=payment).pdf  # no commit inside the test
    download = api(cast.parent).get(f"{PAYMENTS}{payment.pk}/receipt/")
    assert download.status_code == 200
    assert Receipt.objects.get(payment=payment).pdf
    assert "Rupees five hundred only" in pdf_text(download.content)


def test_an_invoice_prints_in_its_document_type(cast, api, office):
    issue(office)
    mine = Invoice.objects.get(student=cast.student)
    url = f"{INVOICES}{mine.pk}/pdf/"
    # Taxable lab fee beside exempt tuition: an invoice-cum-bill of supply, which needs a GSTIN.
    refused = api(cast.parent).get(url)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "gstin_missing"
    FeeSettings.objects.create(school=cast.school, gstin="29ABCDE1234F1Z5", state_code="29")
    for user in (cast.parent, cast.student.user, cast.accountant.user, cast.admin):
        with CaptureQueriesContext(connection) as queries:
            response = api(user).get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert len(queries) <= 14, len(queries)
    text = pdf_text(response.content)
    assert "Invoice-cum-bill of supply" in text and mine.number in text
    assert "₹" in text and "5,854.00" in text and "29ABCDE1234F1Z5" in text
    assert "Rupees five thousand eight hundred fifty-four only" in text
    assert "CGST" in text and "SGST" in text
    assert api(cast.parent).get(url, {"lang": "hi"}).status_code == 200
    assert api(cast.parent).get(url, {"lang": "xx"}).status_code == 400
    assert api(cast.admin2).get(url).status_code == 404
    assert api(cast.teacher.user).get(url).status_code == 403
    other = Invoice.objects.get(student=cast.other_student)
    assert api(cast.parent).get(f"{INVOICES}{other.pk}/pdf/").status_code == 404


def test_a_cancelled_invoice_prints_cancelled(cast, api, office):
    issue(office)
    FeeSettings.objects.create(school=cast.school, gstin="29ABCDE1234F1Z5", state_code="29")
    mine = Invoice.objects.get(student=cast.student)
    client = api(cast.admin)
    before = client.get(f"{INVOICES}{mine.pk}/pdf/")
    assert "CANCELLED" not in pdf_text(before.content)
    client.post(f"{INVOICES}{mine.pk}/cancel/", {"reason": "Left the school"}, format="json")
    after = pdf_text(client.get(f"{INVOICES}{mine.pk}/pdf/").content)
    assert "CANCELLED: Left the school" in after


@pytest.fixture
def admin_client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_the_admin_links_and_serves_the_pdfs(cast, office, admin_client_for):
    issue(office)
    FeeSettings.objects.create(school=cast.school, gstin="29ABCDE1234F1Z5", state_code="29")
    mine = Invoice.objects.get(student=cast.student)
    client = admin_client_for(cast.accountant.user)
    response = client.post(reverse("admin:fees_payment_add"), {
        "student": cast.student.pk, "payer": cast.parent.pk, "mode": "cash",
        "amount": "6000.00", "invoices": [mine.pk]}, follow=True)  # fmt: skip
    payment = Payment.objects.get()
    receipt_url = reverse("admin:fees_payment_receipt", args=[payment.pk])
    page = response.content.decode()
    assert "Download receipt (PDF)" in page and receipt_url in page
    pdf = client.get(receipt_url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert payment.receipt.number in text and "6,000.00" in text and "₹" in text
    invoice_url = reverse("admin:fees_invoice_pdf", args=[mine.pk])
    assert (
        invoice_url
        in client.get(reverse("admin:fees_invoice_change", args=[mine.pk])).content.decode()
    )
    assert mine.number in pdf_text(client.get(invoice_url).content)
    # Another school's admin gets nothing.
    other = admin_client_for(cast.admin2)
    assert other.get(receipt_url).status_code == 404
    assert other.get(invoice_url).status_code == 404
