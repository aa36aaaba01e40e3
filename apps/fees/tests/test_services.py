"""The fee office's services against real Postgres: structures and installments, generation
with concessions and GST, counter and online payments, advance credit, the cash limit, refunds
and credit notes, late fines and their waivers, cancellation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.academics.tests.factories import EnrollmentFactory, SectionFactory
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditLog
from apps.fees import services
from apps.fees.models import (
    AdvanceMovement,
    Concession,
    CreditNote,
    FeeCategoryMember,
    Invoice,
    Payment,
    Receipt,
)
from apps.fees.tests.conftest import issue
from apps.fees.tests.factories import LateFineRuleFactory

D = Decimal
AT = dt.datetime(2026, 4, 5, 10, 0, tzinfo=dt.UTC)


def _invoice(cast, student=None, number=1):
    return Invoice.objects.get(student=student or cast.student, installment__number=number)


def test_quarterly_installments_add_up_to_the_total(office):
    installments = list(office.structure.installments.all())
    assert [i.due_date for i in installments] == [
        dt.date(2026, 4, 10), dt.date(2026, 7, 10), dt.date(2026, 10, 10), dt.date(2027, 1, 10)
    ]  # fmt: skip
    assert sum(i.amount for i in installments) == D("23200.00")
    assert AuditLog.objects.filter(action="fee_structure.create").exists()


def test_generation_issues_numbered_invoices_with_tax_and_document_type(cast, office):
    assert issue(office) == 3
    assert issue(office) == 0  # a second run skips students already invoiced
    invoices = list(Invoice.objects.order_by("number"))
    assert [i.number for i in invoices] == [
        "INV/26-27/000001", "INV/26-27/000002", "INV/26-27/000003"
    ]  # fmt: skip
    assert invoices[0].student == cast.student  # roll order
    mine = invoices[0]
    assert mine.kind == "invoice_cum_bill"  # exempt and taxable heads together
    assert (mine.subtotal, mine.tax_total, mine.total) == (D("5800"), D("54.00"), D("5854.00"))
    lab = mine.lines.get(head=office.lab)
    assert (lab.cgst, lab.sgst, lab.igst, lab.total) == (D("27"), D("27"), D("0"), D("354"))
    assert mine.status == "issued" and mine.due_date == dt.date(2026, 4, 10)
    assert AuditLog.objects.filter(action="invoice.issue").count() == 3


def test_another_place_of_supply_gives_igst(cast, office):
    with transaction.atomic():
        services.generate_for_structure(
            structure=office.structure, installment_number=1, issue_date=dt.date(2026, 4, 1),
            place_of_supply="27",
        )  # fmt: skip
    lab = _invoice(cast).lines.get(head=office.lab)
    assert (lab.cgst, lab.sgst, lab.igst) == (D("0"), D("0"), D("54.00"))
    assert _invoice(cast).place_of_supply == "27"


def test_exempt_only_structure_gives_bills_of_supply(cast, office):
    office.structure.lines.filter(head=office.lab).delete()
    issue(office)
    assert set(Invoice.objects.values_list("kind", flat=True)) == {"bill_of_supply"}
    assert Invoice.objects.order_by("number").first().number == "BOS/26-27/000001"


def test_concessions_combine_percent_first_then_fixed_within_caps(cast, office):
    Concession.objects.create(
        school=cast.school, name="Sibling", kind="percent", value=D("50"), head=office.tuition,
        category="sibling", year=office.year, reason="second child",
    )  # fmt: skip
    FeeCategoryMember.objects.create(school=cast.school, student=cast.sibling, category="sibling")
    services.concession_create(
        school=cast.school,
        actor=cast.admin,
        data={"name": "Hardship", "kind": "fixed", "value": D("5000"), "student": cast.sibling,
              "year": office.year, "cap": D("2000"), "reason": "hardship"},
    )  # fmt: skip
    issue(office)
    sibling = _invoice(cast, cast.sibling)
    lines = {line.head.code: line.concession for line in sibling.lines.all()}
    # 50% of tuition 3,000 = 1,500; then the fixed 5,000 capped at 2,000 over the lines in
    # code order: CAU 1,000 takes 1,000, LAB 300 takes 300, TRN 1,500 takes the last 700.
    assert lines == {"TUI": D("1500"), "CAU": D("1000"), "LAB": D("300"), "TRN": D("700")}
    assert sibling.concession_total == D("3500")
    assert sibling.tax_total == 0  # the lab fee is fully conceded
    assert _invoice(cast).concession_total == 0  # the other children get nothing
    concession = Concession.objects.get(name="Hardship")
    assert concession.approved_by == cast.admin


def test_generation_query_count_does_not_depend_on_the_number_of_students(cast, office):
    def queries(section):
        with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
            services.generate_for_structure(
                structure=office.structure, installment_number=1,
                issue_date=dt.date(2026, 4, 1), section_id=section.pk,
            )  # fmt: skip
        return len(ctx.captured_queries)

    small = SectionFactory(school_class=office.school_class, year=office.year, name="B")
    big = SectionFactory(school_class=office.school_class, year=office.year, name="C")
    for _ in range(2):
        EnrollmentFactory(section=small)
    for _ in range(12):
        EnrollmentFactory(section=big)
    FeeCategoryMember.objects.create(school=cast.school, student=cast.sibling, category="merit")
    assert queries(small) == queries(big)
    assert Invoice.objects.count() == 14


def test_a_family_pays_two_invoices_at_once_and_the_rest_becomes_advance(cast, office):
    issue(office)
    mine, sibling = _invoice(cast), _invoice(cast, cast.sibling)
    payment = services.payment_record_counter(
        school=cast.school, actor=cast.accountant.user, student=cast.student, mode="cheque",
        amount=D("10000.00"), reference="CHQ 1234", payer=cast.parent,
        allocations=[{"invoice": mine, "amount": None}, {"invoice": sibling, "amount": D("3000")}],
        received_at=AT,
    )  # fmt: skip
    mine.refresh_from_db()
    sibling.refresh_from_db()
    assert (mine.status, mine.balance) == ("paid", 0)
    assert (sibling.status, sibling.amount_paid) == ("partially_paid", D("3000"))
    assert payment.receipt.number == "RCT/26-27/000001"
    advance = AdvanceMovement.objects.get(payment=payment)
    assert advance.amount == D("10000") - D("5854") - D("3000")
    # The next invoice of the student takes the advance at once.
    issue(office, 2)
    second = _invoice(cast, number=2)
    assert second.amount_paid == D("1146.00") and second.status == "partially_paid"
    assert services.advance_balances([cast.student.pk]) == {}


def test_without_allocations_the_familys_oldest_invoices_are_settled(cast, office):
    issue(office)
    services.payment_record_counter(
        school=cast.school, actor=cast.admin, student=cast.sibling, mode="card_upi",
        amount=D("6000"), received_at=AT,
    )  # fmt: skip
    paid = Invoice.objects.filter(student__in=[cast.student, cast.sibling]).order_by("number")
    assert [i.amount_paid for i in paid] == [D("5854"), D("146")]
    assert _invoice(cast, cast.other_student).amount_paid == 0


@pytest.mark.parametrize(
    "allocation, code",
    [
        ({"amount": D("9999")}, "over_allocated"),
        ({"other": True}, "not_family"),
    ],
)
def test_allocations_are_checked(cast, office, allocation, code):
    issue(office)
    invoice = _invoice(cast, cast.other_student if allocation.get("other") else cast.student)
    with pytest.raises(ApplicationError) as caught:
        services.payment_record_counter(
            school=cast.school, actor=cast.admin, student=cast.student, mode="card_upi",
            amount=D("10000"), received_at=AT,
            allocations=[{"invoice": invoice, "amount": allocation.get("amount")}],
        )  # fmt: skip
    assert caught.value.code == code
    assert not Payment.objects.exists()


def test_cash_from_one_payer_stays_below_the_daily_limit(cast, office, settings):
    settings.FEES_CASH_DAILY_LIMIT = D("200000")

    def pay(amount, at=AT, student=None):
        return services.payment_record_counter(
            school=cast.school, actor=cast.admin, student=student or cast.student, mode="cash",
            amount=D(amount), payer=cast.parent, received_at=at,
        )  # fmt: skip

    pay("150000")
    with pytest.raises(ApplicationError) as caught:
        pay("50000", student=cast.sibling)  # 2,00,000 in a day from the same parent
    assert caught.value.code == "cash_limit" and "amount" in caught.value.fields
    pay("49999.99")
    pay("100000", at=AT + dt.timedelta(days=1))  # a new day
    with pytest.raises(ApplicationError):
        pay("200000", at=AT + dt.timedelta(days=2))  # the limit itself is refused


def test_online_payment_is_credited_once(cast, office):
    issue(office)
    invoice = _invoice(cast)

    def credit(amount=None):
        return services.payment_record_online(
            school=cast.school, gateway="razorpay", gateway_payment_id="pay_ABC123",
            amount=amount or D("2000"), student=cast.student, allocations=[{"invoice": invoice}],
            payer=cast.parent,
        )  # fmt: skip

    first, created = credit()
    again, created_again = credit()
    assert (created, created_again) == (True, False)
    assert first.pk == again.pk and Payment.objects.count() == 1
    invoice.refresh_from_db()
    assert invoice.amount_paid == D("2000")
    with pytest.raises(ApplicationError) as caught:
        credit(D("1"))
    assert caught.value.code == "gateway_payment_mismatch"


def test_payments_are_append_only_in_the_database(cast, office):
    payment = services.payment_record_counter(
        school=cast.school, actor=cast.admin, student=cast.student, mode="card_upi",
        amount=D("100"), received_at=AT,
    )  # fmt: skip
    for statement in (
        "UPDATE fees_payment SET amount = 1 WHERE id = %s",
        "DELETE FROM fees_payment WHERE id = %s",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(statement, [payment.pk])
    receipt = Receipt.objects.get(payment=payment)
    receipt.pdf.name = "fees/receipts/2026/r.pdf"
    receipt.save(update_fields=["pdf"])  # attaching the PDF is allowed


def test_refund_against_an_invoice_gives_a_credit_note(cast, office):
    issue(office)
    invoice = _invoice(cast)
    payment = services.payment_record_counter(
        school=cast.school, actor=cast.admin, student=cast.student, mode="card_upi",
        amount=D("5854"), received_at=AT,
    )  # fmt: skip
    with pytest.raises(ApplicationError) as caught:  # only the caution deposit is refundable
        services.refund_create(
            school=cast.school, actor=cast.admin, payment=payment, invoice=invoice,
            amount=D("1000.01"), reason="left", mode="bank_transfer",
        )  # fmt: skip
    assert caught.value.code == "over_refund"
    refund = services.refund_create(
        school=cast.school, actor=cast.admin, payment=payment, invoice=invoice,
        amount=D("1000"), reason="deposit back", mode="bank_transfer",
    )  # fmt: skip
    note = CreditNote.objects.get(refund=refund)
    assert (note.number, note.amount, note.invoice) == ("CRN/26-27/000001", D("1000"), invoice)
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.amount_credited, invoice.status) == (
        D("4854"), D("1000"), "paid"
    )  # fmt: skip
    with pytest.raises(ApplicationError):  # the deposit is refunded already
        services.refund_create(
            school=cast.school, actor=cast.admin, payment=payment, invoice=invoice,
            amount=D("1"), reason="again", mode="cash",
        )  # fmt: skip


def test_advance_credit_can_be_refunded(cast, office):
    payment = services.payment_record_counter(
        school=cast.school, actor=cast.admin, student=cast.student, mode="card_upi",
        amount=D("700"), received_at=AT,
    )  # fmt: skip
    services.refund_create(
        school=cast.school, actor=cast.admin, payment=payment, amount=D("500"),
        reason="overpaid", mode="cash",
    )  # fmt: skip
    assert services.advance_balances([cast.student.pk]) == {cast.student.pk: D("200")}
    with pytest.raises(ApplicationError):
        services.refund_create(
            school=cast.school, actor=cast.admin, payment=payment, amount=D("201"),
            reason="overpaid", mode="cash",
        )  # fmt: skip


def test_late_fines_grow_daily_within_the_cap_and_can_be_waived(cast, office):
    rule = LateFineRuleFactory(school=cast.school, kind="per_day", amount=D("10"),
                               grace_days=5, cap=D("100"))  # fmt: skip
    office.structure.late_fine_rule = rule
    office.structure.save()
    issue(office)
    due = dt.date(2026, 4, 10)
    assert services.late_fines_apply(today=due + dt.timedelta(days=5)) == 0  # grace
    assert services.late_fines_apply(today=due + dt.timedelta(days=8)) == 3
    assert services.late_fines_apply(today=due + dt.timedelta(days=8)) == 0  # same day again
    invoice = _invoice(cast)
    assert (invoice.fine_total, invoice.total) == (D("30"), D("5884"))
    services.late_fines_apply(today=due + dt.timedelta(days=90))
    invoice.refresh_from_db()
    assert invoice.fine_total == D("100")  # the cap
    with pytest.raises(ApplicationError):
        services.invoice_waive_fine(invoice=invoice, actor=cast.admin, reason=" ")
    services.invoice_waive_fine(invoice=invoice, actor=cast.admin, reason="hospitalised")
    invoice.refresh_from_db()
    assert (invoice.fine_total, invoice.total) == (D("0"), D("5854"))
    services.late_fines_apply(today=due + dt.timedelta(days=91))
    invoice.refresh_from_db()
    assert invoice.fine_total == 0  # a waived fine stays waived
    assert AuditLog.objects.filter(action="invoice.waive_fine").exists()


def test_a_cancelled_invoice_keeps_its_number_and_can_be_issued_again(cast, office):
    issue(office)
    invoice = _invoice(cast)
    services.invoice_cancel(invoice=invoice, actor=cast.admin, reason="wrong class")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number) == ("cancelled", "INV/26-27/000001")
    assert issue(office) == 1
    assert Invoice.objects.get(student=cast.student, status="issued").number == "INV/26-27/000004"


def test_installment_periods_cut_the_year_at_each_installment(office):
    from apps.fees.services.structures import installment_periods

    structure = office.structure  # quarterly, due on the 10th: periods start on the 1st
    dates = [i.due_date for i in structure.installments.all()]
    assert installment_periods(structure, dates) == [
        (dt.date(2026, 4, 1), dt.date(2026, 6, 30)), (dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
        (dt.date(2026, 10, 1), dt.date(2026, 12, 31)), (dt.date(2027, 1, 1), dt.date(2027, 3, 31)),
    ]  # fmt: skip
    structure.plan = "explicit"  # explicit dates: each period starts on its due date
    periods = installment_periods(structure, [dt.date(2026, 5, 15), dt.date(2026, 11, 20)])
    assert periods == [(dt.date(2026, 4, 1), dt.date(2026, 11, 19)),
                       (dt.date(2026, 11, 20), dt.date(2027, 3, 31))]  # fmt: skip


def test_a_head_priced_per_student_bills_what_its_pricer_says_and_nothing_without_one(
    cast, office, monkeypatch
):
    from apps.fees import pricing

    office.transport.pricing = "transport"
    office.transport.save(update_fields=["pricing"])
    asked = []

    def pricer(*, school_id, student_ids, start, end):
        asked.append((school_id, set(student_ids), start, end))
        return {cast.student.pk: D("1234.56"), cast.sibling.pk: D("0")}

    monkeypatch.setattr(pricing, "_pricers", {"transport": pricer})
    issue(office)
    assert asked == [(cast.school.pk, {cast.student.pk, cast.sibling.pk, cast.other_student.pk},
                      dt.date(2026, 4, 1), dt.date(2026, 6, 30))]  # fmt: skip
    codes = {i.student_id: {line.head.code: line.amount for line in i.lines.all()}
             for i in Invoice.objects.all()}  # fmt: skip
    assert codes[cast.student.pk]["TRN"] == D("1234.56")
    assert "TRN" not in codes[cast.sibling.pk] and "TRN" not in codes[cast.other_student.pk]
    # Without a pricer (the app that prices the head is not installed) nobody is billed it.
    monkeypatch.setattr(pricing, "_pricers", {})
    issue(office, 2)
    assert not Invoice.objects.filter(installment__number=2, lines__head=office.transport).exists()
    assert Invoice.objects.filter(installment__number=2).count() == 3
