"""The reports through the HTTP API: figures from the rollups plus today's live (buffered)
marks, every role's access, filters and their 400s, exports (CSV, XLSX, PDF), big exports as
a job with a notification, and constant query counts."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.attendance.tests.factories import entry, mark
from apps.core.models import Job
from apps.notifications.models import Notification

from .conftest import TODAY, WEEK

pytestmark = pytest.mark.django_db
TREND = "/api/v1/reports/attendance-trend/"
CHRONIC = "/api/v1/reports/chronic-absentees/"


@pytest.fixture
def rolled(cast, week, api):
    call_command("rollup", "--from", "2026-09-01", "--to", "2026-09-14")
    # Today's register of 5-A waits in the write buffer (not flushed): the report counts it.
    r = mark(api, cast.teacher.user, week.sec_a, TODAY,
             [entry(cast.student, "absent"), entry(cast.other_student)])  # fmt: skip
    assert r.status_code == 200, r.content
    return week


def test_attendance_trend_from_rollups_and_today_live(cast, rolled, api):
    r = api(cast.admin).get(TREND, {"from": "2026-09-07", "to": "2026-09-15"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert [c["key"] for c in body["columns"]][:3] == ["date", "sections_marked", "present"]
    rows = {row["date"]: row for row in body["rows"]}
    assert sorted(rows) == [d.isoformat() for d in WEEK] + ["2026-09-15"]
    tue = rows["2026-09-08"]
    assert (tue["sections_marked"], tue["present"], tue["absent"], tue["percent"]) == (
        2, 2, 1, 66.67)  # fmt: skip
    today = rows["2026-09-15"]  # live: the pending register of 5-A
    assert (today["sections_marked"], today["present"], today["absent"]) == (1, 1, 1)


def test_teacher_counts_only_their_sections_and_other_sections_are_refused(cast, rolled, api):
    tara = api(cast.teacher.user)
    rows = tara.get(TREND, {"from": "2026-09-07", "to": "2026-09-11"}).json()["rows"]
    assert [(r["sections_marked"], r["present"] + r["absent"] + r["late"] + r["excused"])
            for r in rows] == [(1, 2)] * 5  # 5-A only, two students  # fmt: skip
    r = tara.get(TREND, {"section": str(rolled.sec_b.pk)})
    assert r.status_code == 400 and "section" in r.json()["error"]["fields"]
    assert tara.get("/api/v1/reports/fee-collection/").status_code == 403


def test_chronic_absentees_with_streaks(cast, rolled, api, settings):
    settings.ANALYTICS_CHRONIC_ABSENCE_PERCENT = 75
    r = api(cast.admin).get(CHRONIC, {"from": "2026-09-07", "to": "2026-09-15"})
    assert r.status_code == 200, r.content
    rows = r.json()["rows"]
    # Sam: P A A A L + today A (live): 2 of 6 attended, longest streak 3, current 1.
    assert [(x["name"], x["days_marked"], x["attended"], x["absent"], x["percent"],
             x["longest_streak"], x["current_streak"]) for x in rows] == [
        ("Sam Student", 6, 2, 4, 33.33, 3, 1)]  # fmt: skip
    settings.ANALYTICS_CHRONIC_ABSENCE_PERCENT = 20
    assert api(cast.admin).get(CHRONIC, {"from": "2026-09-07"}).json()["rows"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-09-10", "to": "2026-09-01"}, "from"),
        ({"from": "2025-01-01", "to": "2026-09-01"}, "to"),
        ({"to": "2026-09-30"}, "to"),
        ({"from": "yesterday"}, "from"),
        ({"section": "not-a-uuid"}, "section"),
        ({"class": "00000000-0000-0000-0000-000000000000"}, "class"),
        ({"term": "00000000-0000-0000-0000-000000000000"}, "term"),
        ({"export": "docx"}, "export"),
    ],
)
def test_bad_filters_are_400_with_the_field(cast, school_year, api, params, field):
    r = api(cast.admin).get(TREND, params)
    assert r.status_code == 400, r.content
    assert field in r.json()["error"]["fields"]


def test_roles(cast, school_year, api):
    from apps.accounts.tests.factories import StaffFactory

    assert api(cast.accountant.user).get("/api/v1/reports/fee-ageing/").status_code == 200
    assert api(cast.accountant.user).get(TREND).status_code == 403
    assert api(cast.accountant.user).get("/api/v1/reports/stock-value/").status_code == 403
    for user in (cast.student.user, cast.parent):
        assert api(user).get(TREND).status_code == 403
    assert api(None).get(TREND).status_code == 401
    keeper = StaffFactory(school=cast.school, user__duties=["Store manager"]).user
    assert api(keeper).get("/api/v1/reports/stock-value/").status_code == 200
    assert api(keeper).get("/api/v1/reports/fee-collection/").status_code == 403
    # Another school's admin reads their own school: nothing of school one.
    assert api(cast.admin2).get(TREND, {"from": "2026-09-07"}).json()["rows"] == []


def test_exports_csv_xlsx_pdf(cast, rolled, api):
    from openpyxl import load_workbook

    user = cast.student.user
    user.full_name = "=HYPERLINK(1)"
    user.save(update_fields=["full_name"])
    admin = api(cast.admin)
    r = admin.get(CHRONIC, {"from": "2026-09-07", "export": "csv"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    assert rows[0][:2] == ["Student", "Section"]
    assert rows[1][0] == "'=HYPERLINK(1)"  # neutralised
    r = admin.get(TREND, {"from": "2026-09-07", "to": "2026-09-11", "export": "xlsx"})
    assert r.status_code == 200 and "spreadsheetml" in r["Content-Type"]
    sheet = load_workbook(io.BytesIO(r.content)).active
    values = list(sheet.values)
    assert values[0][0] == "Date" and len(values) == 6 and values[2][2] == 2
    r = admin.get(TREND, {"export": "pdf"})
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    assert 'filename="attendance-trend-' in r["Content-Disposition"]
    # In Hindi: the labels are translated and the PDF is set in the Devanagari font.
    r = admin.get(CHRONIC, {"from": "2026-09-07"}, HTTP_ACCEPT_LANGUAGE="hi")
    assert r.json()["title"] == "लगातार अनुपस्थित रहने वाले विद्यार्थी"
    r = admin.get(CHRONIC, {"from": "2026-09-07", "export": "pdf"}, HTTP_ACCEPT_LANGUAGE="hi")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert b"NotoSansDevanagari" in r.content


def test_big_export_runs_as_a_job_and_tells_the_requester(
    cast, rolled, api, settings, django_capture_on_commit_callbacks
):
    settings.ANALYTICS_EXPORT_ASYNC_ROWS = 3
    with django_capture_on_commit_callbacks(execute=True):
        r = api(cast.admin).get(TREND, {"from": "2026-09-07", "export": "csv"})
    assert r.status_code == 202, r.content
    job = Job.objects.get(pk=r.json()["job"])
    assert job.status == "succeeded" and job.result["rows"] == 6
    content = job.result_file.read().decode()
    assert content.splitlines()[0].startswith("Date,") and len(content.splitlines()) == 7
    status = api(cast.admin).get(f"/api/v1/jobs/{job.pk}/").json()
    assert status["result_file"]
    note = Notification.objects.get(recipient=cast.admin, kind="reports.ready")
    assert note.data["job"] == str(job.pk) and note.data["url"]


def test_query_counts_do_not_grow_with_the_range(cast, rolled, api):
    admin = api(cast.admin)
    admin.get(TREND)  # the first request of a session reads a few things once
    counts = []
    for start in ("2026-09-10", "2026-09-01"):
        for path in (TREND, CHRONIC):
            with CaptureQueriesContext(connection) as ctx:
                assert admin.get(path, {"from": start}).status_code == 200
            counts.append((path, len(ctx)))
    assert counts[:2] == [(p, n) for p, n in counts[2:]]


def test_other_reports(cast, school_year, api, final):
    from decimal import Decimal

    from apps.exams.models import Mark

    sy = school_year
    for student, marks in ((cast.student, "36"), (cast.other_student, "20")):
        Mark.objects.create(school=cast.school, exam=final, section=sy.sec_a, subject=sy.maths,
                            student=student, marks=Decimal(marks), max_marks=Decimal(40))  # fmt: skip
    call_command("rollup", "--from", "2026-09-15", "--to", "2026-09-15")
    r = api(cast.admin).get("/api/v1/reports/performance/", {"class": str(sy.klass.pk)})
    assert r.status_code == 200, r.content
    [row] = r.json()["rows"]
    assert (row["section"], row["subject"], row["count"], row["mean"], row["band_5"],
            row["band_9"]) == ("5-A", "Mathematics", 2, 70.0, 1, 1)  # fmt: skip
    tara = api(cast.teacher.user).get("/api/v1/reports/performance/").json()["rows"]
    assert len(tara) == 1
    r = api(cast.admin).get("/api/v1/reports/performance/", {"from": "2026-09-01"})
    assert r.status_code == 400 and "from" in r.json()["error"]["fields"]
    for name in ("fee-collection", "fee-ageing", "transport-occupancy", "stock-value",
                 "stock-movements"):  # fmt: skip
        r = api(cast.admin).get(f"/api/v1/reports/{name}/")
        assert r.status_code == 200 and r.json()["rows"] == [], (name, r.content)


def test_fee_ageing_buckets(cast, api):
    from apps.fees.models import Invoice
    from apps.fees.tests.conftest import issue, office

    off = office.__wrapped__(cast)
    issue(off, 1)  # due 10 April 2026: 158 days before 15 September
    issue(off, 2, issue_date=dt.date(2026, 7, 1))  # due 10 July: 67 days
    r = api(cast.accountant.user).get("/api/v1/reports/fee-ageing/")
    assert r.status_code == 200, r.content
    [row] = r.json()["rows"]
    q1 = sum(i.balance for i in Invoice.objects.filter(installment__number=1))
    assert row["class"] == "Class 5" and row["invoices"] == 6
    assert float(row["days_90_plus"]) == float(q1) and float(row["days_0_30"]) == 0
    assert float(row["days_61_90"]) + float(row["days_90_plus"]) == float(row["total"])
    r = api(cast.accountant.user).get("/api/v1/reports/fee-ageing/", {"to": "2026-04-15"})
    assert float(r.json()["rows"][0]["days_0_30"]) == float(q1)


def test_fee_collection_past_days_from_rollups_today_live(cast, api):
    from decimal import Decimal

    from apps.fees import services
    from apps.fees.models import Invoice
    from apps.fees.tests.conftest import issue, office

    off = office.__wrapped__(cast)
    issue(off, 1)
    mine = Invoice.objects.get(student=cast.student)
    for at, amount in ((dt.datetime(2026, 9, 10, 6, 0, tzinfo=dt.UTC), "3000.00"),
                       (dt.datetime(2026, 9, 15, 4, 0, tzinfo=dt.UTC), "2854.00")):  # fmt: skip
        services.payment_record_counter(
            school=cast.school, actor=cast.admin, student=cast.student, mode="cash",
            amount=Decimal(amount), allocations=[{"invoice": mine, "amount": Decimal(amount)}],
            received_at=at,
        )  # fmt: skip
    call_command("rollup", "--from", "2026-09-10", "--to", "2026-09-14")
    r = api(cast.accountant.user).get("/api/v1/reports/fee-collection/", {"from": "2026-09-10"})
    assert r.status_code == 200, r.content
    rows = r.json()["rows"]
    by_day = {}
    for row in rows:
        by_day[row["date"]] = by_day.get(row["date"], 0) + float(row["amount"])
    assert by_day == {"2026-09-10": 3000.0, "2026-09-15": 2854.0}  # today: live, no rollup yet
    assert {row["head"] for row in rows} >= {"Tuition", "Transport", "Lab", "Caution deposit"}
