"""The fee office API: the invoice job, lists with filters and constant query counts, counter
payments, refunds, the ledger, a family's dues and the defaulters (JSON and CSV)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.academics.tests.factories import EnrollmentFactory
from apps.fees.models import Invoice
from apps.fees.tests.conftest import issue

D = Decimal
JUNE = dt.datetime(2026, 6, 1, 6, 0, tzinfo=dt.UTC)


def test_generating_invoices_is_a_job_with_progress(
    cast, api, office, django_capture_on_commit_callbacks
):
    client = api(cast.accountant.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/fees/invoices/generate/",
            {"year": str(office.year.pk), "installment_number": 1,
             "school_class": str(office.school_class.pk), "issue_date": "2026-04-01"},
            format="json",
        )  # fmt: skip
    assert response.status_code == 202, response.content
    job = client.get(response.json()["url"]).json()
    assert job["status"] == "succeeded" and job["result"] == {"created": 3, "structures": 1}
    assert (job["progress_done"], job["progress_total"]) == (1, 1)
    assert Invoice.objects.filter(status="issued").count() == 3
    # The parent may not start one, and bad input is a 400 with field errors.
    assert (
        api(cast.parent).post("/api/v1/fees/invoices/generate/", {}, format="json").status_code
        == 403
    )
    bad = client.post("/api/v1/fees/invoices/generate/", {"installment_number": 0}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"year", "installment_number"}


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("admin", {"student", "sibling", "other_student"}),
        ("accountant", {"student", "sibling", "other_student"}),
        ("parent", {"student", "sibling"}),
        ("student", {"student"}),
        ("admin2", set()),
    ],
)
def test_invoices_are_scoped_to_who_asks(cast, api, office, persona, expected):
    issue(office)
    body = api(cast.user(persona)).get("/api/v1/fees/invoices/").json()
    names = {"student": cast.student, "sibling": cast.sibling, "other_student": cast.other_student}
    seen = {
        name for name, s in names.items() if str(s.pk) in {r["student"] for r in body["results"]}
    }
    assert seen == expected


def test_teachers_see_nothing_of_fees(cast, api, office):
    issue(office)
    client = api(cast.teacher.user)
    for path in ("/api/v1/fees/invoices/", "/api/v1/fees/payments/", "/api/v1/fees/heads/",
                 f"/api/v1/fees/ledger/?student={cast.student.pk}"):  # fmt: skip
        assert client.get(path).status_code == 403


def test_invoice_filters_and_constant_queries(cast, api, office):
    issue(office)
    client = api(cast.admin)

    def count(path):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        assert response.status_code == 200
        return response.json()["count"], len(ctx.captured_queries)

    count("/api/v1/fees/invoices/")  # warm: the caller's principal is cached after this
    total, queries_all = count("/api/v1/fees/invoices/")
    assert total == 3
    assert count(f"/api/v1/fees/invoices/?section={office.section.pk}&status=issued")[0] == 3
    assert count(f"/api/v1/fees/invoices/?school_class={office.school_class.pk}")[0] == 3
    assert count("/api/v1/fees/invoices/?due_before=2026-04-09")[0] == 0
    assert count("/api/v1/fees/invoices/?status=paid")[0] == 0
    for _ in range(5):
        EnrollmentFactory(section=office.section)
    issue(office)
    total, queries_more = count("/api/v1/fees/invoices/")
    assert total == 8 and queries_more == queries_all
    invoices = list(Invoice.objects.all()[:4])

    def pay(invoice):
        client.post("/api/v1/fees/payments/", {
            "student": str(invoice.student_id), "mode": "card_upi", "amount": "100.00",
            "allocations": [{"invoice": str(invoice.pk)}]}, format="json")  # fmt: skip

    pay(invoices[0])
    payments_before = count("/api/v1/fees/payments/")[1]
    for invoice in invoices[1:]:
        pay(invoice)
    assert count("/api/v1/fees/payments/") == (4, payments_before)


def test_counter_payment_for_two_children_and_the_cash_limit(cast, api, office, settings):
    settings.FEES_CASH_DAILY_LIMIT = D("10000")
    issue(office)
    mine = Invoice.objects.get(student=cast.student)
    sibling = Invoice.objects.get(student=cast.sibling)
    client = api(cast.accountant.user)
    response = client.post(
        "/api/v1/fees/payments/",
        {"student": str(cast.student.pk), "payer": str(cast.parent.pk), "mode": "cash",
         "amount": "9000.00", "allocations": [{"invoice": str(mine.pk)},
                                             {"invoice": str(sibling.pk), "amount": "2000"}]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["receipt_number"].startswith("RCT/")
    assert {a["invoice_number"]: a["amount"] for a in body["allocations"]} == {
        mine.number: "5854.00", sibling.number: "2000.00"
    }  # fmt: skip
    assert body["advance"] == "1146.00"
    again = client.post(
        "/api/v1/fees/payments/",
        {"student": str(cast.sibling.pk), "payer": str(cast.parent.pk), "mode": "cash",
         "amount": "1000.00"},
        format="json",
    )  # fmt: skip
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "cash_limit"
    assert "amount" in again.json()["error"]["fields"]
    bad = client.post("/api/v1/fees/payments/", {"student": str(cast.student2.pk), "mode": "x",
                                                 "amount": "abc"}, format="json")  # fmt: skip
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"student", "mode", "amount"}


def test_payments_filter_by_received_time_in_any_offset_and_refuse_impossible_ones(
    cast, api, office
):
    issue(office)
    mine = Invoice.objects.get(student=cast.student)
    client = api(cast.accountant.user)
    made = client.post(
        "/api/v1/fees/payments/",
        {"student": str(cast.student.pk), "mode": "cash", "amount": "100.00",
         "allocations": [{"invoice": str(mine.pk)}]},
        format="json",
    )  # fmt: skip
    assert made.status_code == 201, made.content
    received = dt.datetime.fromisoformat(made.json()["received_at"])
    # The same moment written in India's offset: found by "after a minute before", not by
    # "after a minute later".
    ist = dt.timezone(dt.timedelta(hours=5, minutes=30))
    before = (received - dt.timedelta(minutes=1)).astimezone(ist).isoformat()
    later = (received + dt.timedelta(minutes=1)).astimezone(ist).isoformat()
    found = client.get("/api/v1/fees/payments/", {"received_after": before}).json()
    assert [row["id"] for row in found["results"]] == [made.json()["id"]]
    assert client.get("/api/v1/fees/payments/", {"received_after": later}).json()["count"] == 0
    # An offset PostgreSQL refuses (beyond +/-15:59) is still a moment: asked in UTC.
    odd = client.get("/api/v1/fees/payments/", {"received_after": "0444-03-15T05:29:57-22:52"})
    assert odd.status_code == 200 and odd.json()["count"] == 1, odd.content
    # A moment before the calendar's first, or no date-time at all, is a 400.
    for value in ("0001-01-01T00:00:00+05:00", "yesterday"):
        response = client.get("/api/v1/fees/payments/", {"received_after": value})
        assert response.status_code == 400, (value, response.content)
        assert "received_after" in response.json()["error"]["fields"]


def test_refund_api_issues_a_credit_note(cast, api, office):
    issue(office)
    invoice = Invoice.objects.get(student=cast.student)
    client = api(cast.admin)
    payment = client.post("/api/v1/fees/payments/", {
        "student": str(cast.student.pk), "mode": "card_upi", "amount": "5854.00",
        "allocations": [{"invoice": str(invoice.pk)}]}, format="json").json()  # fmt: skip
    response = client.post("/api/v1/fees/refunds/", {
        "payment": payment["id"], "invoice": str(invoice.pk), "amount": "500.00",
        "mode": "bank_transfer", "reason": "deposit back"}, format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["credit_note_number"].startswith("CRN/")
    parent_view = api(cast.parent).get("/api/v1/fees/refunds/").json()
    assert parent_view["count"] == 1


def test_ledger_has_a_running_balance(cast, api, office):
    issue(office)
    invoice = Invoice.objects.get(student=cast.student)
    client = api(cast.admin)
    client.post("/api/v1/fees/payments/", {
        "student": str(cast.student.pk), "mode": "card_upi", "amount": "6000.00",
        "allocations": [{"invoice": str(invoice.pk)}]}, format="json")  # fmt: skip
    body = api(cast.student.user).get("/api/v1/fees/ledger/").json()
    assert [(r["kind"], r["debit"], r["credit"], r["balance"]) for r in body["rows"]] == [
        ("charge", "5854.00", "0.00", "5854.00"),
        ("payment", "0.00", "6000.00", "-146.00"),
    ]
    assert body["balance"] == "-146.00"  # advance credit
    parent = api(cast.parent)
    assert parent.get(f"/api/v1/fees/ledger/?student={cast.student.pk}").status_code == 200
    other = parent.get(f"/api/v1/fees/ledger/?student={cast.other_student.pk}")
    assert other.status_code == 404
    assert parent.get("/api/v1/fees/ledger/?student=nope").status_code == 404
    assert (
        api(cast.admin2).get(f"/api/v1/fees/ledger/?student={cast.student.pk}").status_code == 404
    )


def test_the_demo_parent_sees_what_the_family_owes(cast, api, office):
    issue(office)
    body = api(cast.parent).get("/api/v1/fees/family-dues/").json()
    assert [c["name"] for c in body["children"]] == ["Sam Student", "Sia Student"]
    assert body["total_due"] == "11708.00"
    staff = api(cast.accountant.user)
    assert staff.get(f"/api/v1/fees/family-dues/?parent={cast.parent.pk}").json() == body
    assert staff.get(f"/api/v1/fees/family-dues/?student={cast.sibling.pk}").json() == body
    assert staff.get("/api/v1/fees/family-dues/").status_code == 400
    own = api(cast.student.user).get("/api/v1/fees/family-dues/").json()
    assert [c["name"] for c in own["children"]] == ["Sam Student"]  # not the sibling's


def test_defaulters_by_ageing_bucket_as_json_and_csv(cast, api, office):
    issue(office)
    issue(office, 2)  # due 10 July: not yet overdue in June
    client = api(cast.accountant.user)
    client.post("/api/v1/fees/payments/", {
        "student": str(cast.sibling.pk), "mode": "card_upi", "amount": "854.00",
        "allocations": [{"invoice": str(Invoice.objects.get(student=cast.sibling,
                                                            installment__number=1).pk)}]},
        format="json")  # fmt: skip
    with time_machine.travel(JUNE, tick=False):
        client = api(cast.accountant.user)  # a token issued "now"
        body = client.get("/api/v1/fees/defaulters/").json()
        response = client.get(f"/api/v1/fees/defaulters/export/?section={office.section.pk}")
    assert body["as_of"] == "2026-06-01"
    rows = {r["name"]: r for r in body["rows"]}
    assert rows["Sia Student"]["buckets"]["31-60"] == "5000.00"  # 52 days overdue
    assert rows["Sam Student"]["total"] == "5854.00"
    assert body["by_section"][0]["students"] == 3
    assert body["totals"]["total"] == "16708.00"
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table[0][:2] == ["admission_number", "name"] and len(table) == 4


def test_fee_office_errors_speak_hindi(cast, api, office):
    response = api(cast.admin).post(
        "/api/v1/fees/payments/",
        {"student": str(cast.student.pk), "mode": "cheque", "amount": "10.00"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="hi",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["reference"] == ["चेक या ट्रांसफ़र संख्या दें।"]


def test_a_fee_head_may_be_priced_per_rider_by_transport(cast, api):
    client = api(cast.accountant.user)
    made = client.post("/api/v1/fees/heads/", {"name": "Bus", "code": "BUS",
                                               "pricing": "transport"}, format="json")  # fmt: skip
    assert made.status_code == 201, made.content
    assert made.json()["pricing"] == "transport"
    plain = client.post("/api/v1/fees/heads/", {"name": "Exam", "code": "EXM"}, format="json")
    assert plain.json()["pricing"] == "structure"
    bad = client.post("/api/v1/fees/heads/", {"name": "X", "code": "X", "pricing": "taxi"},
                      format="json")  # fmt: skip
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"pricing"}
