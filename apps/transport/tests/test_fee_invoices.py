"""Transport fees on fee invoices, through the invoice job and the invoices' lines: a fee head
priced by transport bills each rider their own fee for the installment's period (pro-rated by
days across a change of stop), non-riders get no line, and the structure's flat amount for the
head is never billed as well. Fixed dates: the year 2026-27, quarterly installments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.academics.tests.factories import (
    AcademicYearFactory,
    EnrollmentFactory,
    SchoolClassFactory,
    SectionFactory,
)
from apps.fees import services as fees
from apps.fees.models import Invoice
from apps.fees.tests.factories import FeeHeadFactory
from apps.transport.models import Assignment, FeeRule

from .factories import StopFactory, TripFactory, TripStopFactory

D = Decimal
START = dt.date(2026, 4, 1)
END = dt.date(2027, 3, 31)
MOVED = dt.date(2026, 5, 16)  # the sibling moves from stop A to stop B on this day


@dataclass
class Setup:
    year: object
    school_class: object
    section: object
    trip: object
    near: object  # stop A: its own rule, 1,000 a month
    far: object  # stop B, 6 km: the 5-10 km slab, 1,500 a month
    tuition: object
    transport: object
    structure: object


def ride(setup, student, stop, start=START, end=END, *, shift="pickup"):
    return Assignment.objects.create(
        school=setup.year.school, student=student, year=setup.year, trip=setup.trip,
        shift=shift, stop=stop, valid_from=start, valid_to=end, is_active=end == END,
    )  # fmt: skip


@pytest.fixture
def setup(cast) -> Setup:
    school = cast.school
    year = AcademicYearFactory(school=school, name="2026-27", start_date=START, end_date=END,
                               is_current=True)  # fmt: skip
    school_class = SchoolClassFactory(school=school, name="Class 5", order=5)
    section = SectionFactory(school_class=school_class, year=year, name="A")
    for roll, student in enumerate((cast.student, cast.sibling, cast.other_student), start=1):
        EnrollmentFactory(section=section, student=student, roll_number=roll)
    trip = TripFactory(school=school, route__school=school, vehicle__seats=40)
    near = StopFactory(route=trip.route, name="Stop A", distance_km=D("2"))
    far = StopFactory(route=trip.route, name="Stop B", distance_km=D("6"))
    for index, stop in enumerate((near, far), start=1):
        TripStopFactory(trip=trip, stop=stop, sequence=index, scheduled_time=dt.time(7, index))
    FeeRule.objects.create(school=school, year=year, kind="stop", stop=near,
                           monthly_amount=D("1000"))  # fmt: skip
    FeeRule.objects.create(school=school, year=year, kind="slab", min_km=D("5"), max_km=D("10"),
                           monthly_amount=D("1500"))  # fmt: skip
    tuition = FeeHeadFactory(school=school, name="Tuition", code="TUI", is_tuition=True)
    transport = fees.fee_head_create(
        school=school, actor=cast.admin,
        data={"name": "Transport", "code": "TRN", "pricing": "transport"},
    )  # fmt: skip
    structure = fees.structure_create(
        school=school, actor=cast.admin, name="Class 5 2026-27", school_class=school_class,
        year=year, plan="quarterly", due_day=10,
        # the flat 6,000 on the transport head is what schools had before: it is never billed
        lines=[{"head": tuition, "amount": D("12000")}, {"head": transport, "amount": D("6000")}],
    )  # fmt: skip
    return Setup(year, school_class, section, trip, near, far, tuition, transport, structure)


def generate(cast, api, setup, number, capture):
    client = api(cast.accountant.user)
    with capture(execute=True):
        response = client.post(
            "/api/v1/fees/invoices/generate/",
            {"year": str(setup.year.pk), "installment_number": number,
             "school_class": str(setup.school_class.pk), "issue_date": "2026-04-01"},
            format="json",
        )  # fmt: skip
    assert response.status_code == 202, response.content
    job = client.get(response.json()["url"]).json()
    assert job["status"] == "succeeded", job
    return job["result"]


def lines_of(student, number):
    invoice = Invoice.objects.get(student=student, installment__number=number)
    return invoice, {line.head.code: line.amount for line in invoice.lines.all()}


def test_riders_are_billed_their_own_transport_fee_and_non_riders_nothing(
    cast, api, setup, django_capture_on_commit_callbacks
):
    ride(setup, cast.student, setup.near)
    ride(setup, cast.sibling, setup.near, START, MOVED - dt.timedelta(days=1))
    ride(setup, cast.sibling, setup.far, MOVED)
    # The structure's installments carry only what the structure prices: 12,000 / 4.
    assert [i.amount for i in setup.structure.installments.all()] == [D("3000")] * 4
    shown = api(cast.accountant.user).get(f"/api/v1/fees/structures/{setup.structure.pk}/").json()
    assert shown["total"] == "12000.00"
    assert {line["head_code"]: line["head_pricing"] for line in shown["lines"]} == {
        "TUI": "structure", "TRN": "transport"
    }  # fmt: skip

    result = generate(cast, api, setup, 1, django_capture_on_commit_callbacks)
    assert result == {"created": 3, "structures": 1}
    # Q1 is 1 April - 30 June, 91 days: 1,000 x 12 / 365 x 91 = 2,991.78.
    mine, lines = lines_of(cast.student, 1)
    assert lines == {"TUI": D("3000.00"), "TRN": D("2991.78")}
    assert mine.total == D("5991.78") and mine.subtotal == D("5991.78")
    # Stop A for 45 days (1,479.45), then stop B on the slab for 46 days (2,268.49).
    sibling, lines = lines_of(cast.sibling, 1)
    assert lines == {"TUI": D("3000.00"), "TRN": D("3747.94")}
    assert sibling.total == D("6747.94")
    # The non-rider pays tuition only: neither a transport line nor the flat 1,500.
    other, lines = lines_of(cast.other_student, 1)
    assert lines == {"TUI": D("3000.00")}
    assert other.total == D("3000.00")
    # The line is what transport's own fee quote says for the installment's period.
    quote = api(cast.accountant.user).get(
        f"/api/v1/transport/fee-quote/?student={cast.sibling.pk}&start=2026-04-01&end=2026-06-30"
    )  # fmt: skip
    assert quote.status_code == 200 and quote.json()["total"] == "3747.94"
    assert [line["amount"] for line in quote.json()["lines"]] == ["1479.45", "2268.49"]
    # Numbers stay consecutive in roll order; a second run issues nothing twice.
    assert [i.number for i in (mine, sibling, other)] == [
        "BOS/26-27/000001", "BOS/26-27/000002", "BOS/26-27/000003"
    ]  # fmt: skip
    assert generate(cast, api, setup, 1, django_capture_on_commit_callbacks)["created"] == 0

    # Q2 (1 July - 30 September, 92 days): the sibling is on stop B throughout.
    generate(cast, api, setup, 2, django_capture_on_commit_callbacks)
    assert lines_of(cast.sibling, 2)[1] == {"TUI": D("3000.00"), "TRN": D("4536.99")}
    assert lines_of(cast.student, 2)[1] == {"TUI": D("3000.00"), "TRN": D("3024.66")}
    assert lines_of(cast.other_student, 2)[1] == {"TUI": D("3000.00")}


def test_a_ride_that_ends_before_the_period_is_not_billed_and_concessions_apply(
    cast, api, setup, django_capture_on_commit_callbacks
):
    ride(setup, cast.student, setup.near, START, dt.date(2026, 6, 30))  # stopped riding in June
    ride(setup, cast.sibling, setup.far)
    fees.concession_create(
        school=cast.school, actor=cast.admin,
        data={"name": "Bus half", "kind": "percent", "value": D("50"), "head": setup.transport,
              "student": cast.sibling, "year": setup.year, "reason": "hardship"},
    )  # fmt: skip
    generate(cast, api, setup, 2, django_capture_on_commit_callbacks)
    assert lines_of(cast.student, 2)[1] == {"TUI": D("3000.00")}
    sibling = Invoice.objects.get(student=cast.sibling, installment__number=2)
    line = sibling.lines.get(head=setup.transport)
    assert (line.amount, line.concession, line.total) == (D("4536.99"), D("2268.50"), D("2268.49"))
    assert sibling.total == D("5268.49")


def test_a_transport_only_structure_bills_only_the_riders(
    cast, api, setup, django_capture_on_commit_callbacks
):
    setup.structure.lines.filter(head=setup.tuition).delete()
    ride(setup, cast.student, setup.near)
    assert generate(cast, api, setup, 1, django_capture_on_commit_callbacks)["created"] == 1
    assert list(Invoice.objects.values_list("student", flat=True)) == [cast.student.pk]


def test_generation_query_count_is_constant_with_riders_and_non_riders(cast, setup):
    def queries(section):
        with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
            created = fees.generate_for_structure(
                structure=setup.structure, installment_number=1,
                issue_date=dt.date(2026, 4, 1), section_id=section.pk,
            )  # fmt: skip
        return len(ctx.captured_queries), created

    small = SectionFactory(school_class=setup.school_class, year=setup.year, name="B")
    big = SectionFactory(school_class=setup.school_class, year=setup.year, name="C")
    for index in range(2):
        enrolment = EnrollmentFactory(section=small)
        if index == 0:
            ride(setup, enrolment.student, setup.near)
    for index in range(12):
        enrolment = EnrollmentFactory(section=big)
        if index % 2 == 0:  # half ride, one of them changed stop mid-quarter
            ride(setup, enrolment.student, setup.near, START, MOVED - dt.timedelta(days=1))
            ride(setup, enrolment.student, setup.far, MOVED)
    small_count, small_created = queries(small)
    big_count, big_created = queries(big)
    assert (small_created, big_created) == (2, 12)
    assert small_count == big_count
    billed = Invoice.objects.filter(lines__head=setup.transport).count()
    assert billed == 1 + 6
