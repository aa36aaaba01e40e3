"""Boarding marks, rosters, the fee quote and the expiry alerts."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.accounts.tests.factories import StaffFactory
from apps.attendance.models import AttendanceRecord
from apps.notifications.models import Notification
from apps.transport import tasks
from apps.transport.models import BoardingMark, FeeRule, TripRun, Vehicle

from .factories import DriverFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/transport"


@pytest.fixture
def run(fleet, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api(fleet.manager).post(f"{BASE}/trips/{fleet.trip.pk}/start/")
    return TripRun.objects.get(pk=response.json()["id"])


def test_the_attendant_marks_boarding_and_the_parent_is_told(cast, fleet, run, api,
                                                             django_capture_on_commit_callbacks):  # fmt: skip
    attendant_user = StaffFactory(school=cast.school).user  # no duty: only their own trip
    fleet.trip.attendant.user = attendant_user
    fleet.trip.attendant.save()
    body = {"student": str(cast.student.pk), "stop": str(fleet.stops[1].pk), "event": "boarded"}
    with django_capture_on_commit_callbacks(execute=True):
        response = api(attendant_user).post(f"{BASE}/marks/?run={run.pk}", body, format="json")
    assert response.status_code == 201, response.content
    assert Notification.objects.filter(kind="transport.boarded", recipient=cast.parent).count() == 1
    again = api(attendant_user).post(f"{BASE}/marks/?run={run.pk}", body, format="json")
    assert again.status_code == 409
    # parents read their own child's marks, not another family's
    assert [m["event"] for m in api(cast.parent).get(f"{BASE}/marks/").json()["results"]] == [
        "boarded"
    ]
    assert api(fleet.other_parent).get(f"{BASE}/marks/").json()["results"] == []
    # staff who attend no trip may not mark; another trip's attendant does not find this run
    stranger = StaffFactory(school=cast.school).user
    body["event"] = "alighted"
    assert api(stranger).post(f"{BASE}/marks/?run={run.pk}", body, format="json").status_code == 403
    from .factories import AttendantFactory

    AttendantFactory(school=cast.school, user=stranger)
    assert api(stranger).post(f"{BASE}/marks/?run={run.pk}", body, format="json").status_code == 404
    # a student who does not ride the trip
    body = {"student": str(cast.sibling.pk), "stop": str(fleet.stops[1].pk), "event": "boarded"}
    response = api(fleet.manager).post(f"{BASE}/marks/?run={run.pk}", body, format="json")
    assert response.status_code == 400 and "student" in response.json()["error"]["fields"]
    assert BoardingMark.objects.count() == 1


def test_the_roster_flags_an_absence_still_waiting_in_the_write_buffer(cast, fleet, api):
    """Today's marks are mostly pending in Redis: the roster must see them before a flush."""
    from apps.academics.tests.factories import EnrollmentFactory, SectionFactory
    from apps.attendance.buffer_kinds import KIND, slot_of
    from apps.attendance.models import mark_id
    from apps.core import buffer

    today = timezone.localdate()
    section = SectionFactory(school_class__school=cast.school, year=fleet.year)
    EnrollmentFactory(section=section, student=cast.student)
    section_id = section.pk
    stored = buffer.put_many(KIND, [{
        "id": str(mark_id(cast.school.pk, cast.student.pk, today, None)),
        "school_id": str(cast.school.pk), "student_id": str(cast.student.pk),
        "section_id": str(section_id), "date": today.isoformat(), "period_id": None,
        "slot": slot_of(None), "status": "absent", "late_minutes": 0, "reason": "",
        "remarks": "", "marked_by_id": str(cast.admin.pk),
    }])  # fmt: skip
    assert stored.buffered and not AttendanceRecord.objects.filter(student=cast.student).exists()
    body = api(fleet.manager).get(f"{BASE}/trips/{fleet.trip.pk}/roster/?date={today}").json()
    riders = {r["name"]: r["absent_today"] for stop in body["stops"] for r in stop["riders"]}
    assert riders == {"Sam Student": True, "Oscar Other": False}


def test_roster_as_json_csv_and_pdf_with_absentees_flagged(cast, fleet, api):
    from apps.academics.tests.factories import SectionFactory

    today = timezone.localdate()
    section = SectionFactory(school_class__school=cast.school, year=fleet.year)
    AttendanceRecord.objects.create(school=cast.school, student=cast.other_student,
                                    section=section, date=today, status="absent", ts=1)  # fmt: skip
    client = api(fleet.manager)
    body = client.get(f"{BASE}/trips/{fleet.trip.pk}/roster/?date={today}").json()
    riders = {r["name"]: (stop["name"], r["absent_today"]) for stop in body["stops"]
              for r in stop["riders"]}  # fmt: skip
    assert riders == {"Sam Student": ("Stop 2", False), "Oscar Other": ("Stop 3", True)}
    response = client.get(f"{BASE}/trips/{fleet.trip.pk}/roster/?export=csv&date={today}")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "stop_order" and [r[3] for r in rows[1:]] == ["Sam Student", "Oscar Other"]
    for lang in ("en", "hi"):
        pdf = client.get(f"{BASE}/trips/{fleet.trip.pk}/roster/?export=pdf&lang={lang}")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(f"{BASE}/trips/{fleet.trip.pk}/roster/?export=xls").status_code == 400
    assert api(cast.parent).get(f"{BASE}/trips/{fleet.trip.pk}/roster/").status_code == 403


def test_fee_quote_is_pro_rated_when_the_stop_changes(cast, fleet, api):
    FeeRule.objects.create(school=cast.school, year=fleet.year, kind="stop", stop=fleet.stops[1],
                           monthly_amount=Decimal("1000"))  # fmt: skip
    FeeRule.objects.create(school=cast.school, year=fleet.year, kind="slab", min_km=Decimal("5"),
                           max_km=Decimal("10"), monthly_amount=Decimal("1500"))  # fmt: skip
    start = fleet.year.start_date
    # the student rode stop 2 for 73 days, then moved to stop 3 (6 km: the slab) for 73 days
    a = fleet.assignment
    a.valid_to, a.is_active = start + dt.timedelta(days=72), False
    a.save()
    fleet.other_assignment.delete()
    from apps.transport.models import Assignment

    Assignment.objects.create(school=cast.school, student=cast.student, year=fleet.year,
                              trip=fleet.trip, shift="pickup", stop=fleet.stops[2],
                              valid_from=start + dt.timedelta(days=73),
                              valid_to=fleet.year.end_date)  # fmt: skip
    end = start + dt.timedelta(days=145)
    url = f"{BASE}/fee-quote/?student={cast.student.pk}&start={start}&end={end}"
    body = api(cast.accountant.user).get(url).json()
    assert [line["amount"] for line in body["lines"]] == ["2400.00", "3600.00"]
    assert body["total"] == "6000.00"
    assert api(cast.parent).get(url).status_code == 404


def test_expiring_papers_are_told_once_at_30_15_and_1_days(cast, fleet):
    today = dt.date(2026, 6, 1)
    Vehicle.objects.filter(pk=fleet.trip.vehicle_id).update(
        insurance_expiry=today + dt.timedelta(days=30), permit_expiry=today + dt.timedelta(days=1)
    )
    DriverFactory(school=cast.school, licence_expiry=today + dt.timedelta(days=15))
    assert tasks.expiry_alerts(on=today.isoformat()) == 3
    assert tasks.expiry_alerts(on=today.isoformat()) == 0  # a second run sends nothing twice
    recipients = set(Notification.objects.filter(kind="transport.expiry")
                     .values_list("recipient_id", flat=True))  # fmt: skip
    assert recipients == {fleet.manager.pk}
    assert tasks.expiry_alerts(on=(today + dt.timedelta(days=2)).isoformat()) == 0
