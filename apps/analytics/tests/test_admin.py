"""The rollups and the Reports page in the admin, through the admin test client."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from apps.analytics.models import DeliveryDaily

pytestmark = pytest.mark.django_db
REPORTS = "admin:analytics_reports"


def test_rollups_are_read_only_and_scoped(cast, week, client):
    call_command("rollup", "--from", "2026-09-07", "--to", "2026-09-11")
    DeliveryDaily.objects.create(school=cast.school, date=week.year.start_date, channel="sms",
                                 total=3, sent=1, delivered=1, failed=1)  # fmt: skip
    DeliveryDaily.objects.create(school=cast.school2, date=week.year.start_date, channel="email",
                                 total=9, delivered=9)  # fmt: skip
    client.force_login(cast.admin)
    for model in ("attendancedaily", "studentattendancemonth", "feecollectiondaily",
                  "assessmentsummary", "deliverydaily"):  # fmt: skip
        r = client.get(reverse(f"admin:analytics_{model}_changelist"))
        assert r.status_code == 200, model
        assert client.get(reverse(f"admin:analytics_{model}_add")).status_code == 403
    r = client.get(reverse("admin:analytics_deliverydaily_changelist"))
    assert [row.channel for row in r.context["cl"].result_list] == ["sms"]  # own school only
    r = client.get(reverse("admin:analytics_attendancedaily_changelist"))
    assert r.context["cl"].result_count == 10


def test_reports_page_downloads_csv_and_xlsx(cast, week, client):
    from openpyxl import load_workbook

    call_command("rollup", "--from", "2026-09-07", "--to", "2026-09-11")
    client.force_login(cast.admin)
    page = client.get(reverse(REPORTS))
    assert page.status_code == 200
    assert "attendance-trend" in dict(page.context["form"].fields["report"].choices)
    query = {"report": "attendance-trend", "section": str(week.sec_a.pk), "start": "2026-09-07",
             "end": "2026-09-11", "export": "csv"}  # fmt: skip
    r = client.get(reverse(REPORTS), query)
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    assert rows[0][0] == "Date" and len(rows) == 6
    assert [row[2] for row in rows[1:]] == [
        "2",
        "1",
        "1",
        "1",
        "1",
    ]  # 5-A present per day (Sam late on Friday)
    r = client.get(reverse(REPORTS), {**query, "export": "xlsx"})
    assert "spreadsheetml" in r["Content-Type"]
    assert len(list(load_workbook(io.BytesIO(r.content)).active.values)) == 6
    # A bad range comes back as the form with the error, not a file.
    r = client.get(reverse(REPORTS), {**query, "start": "2026-09-11", "end": "2026-09-01"})
    assert r.status_code == 200 and r.context["form"].errors


def test_reports_page_offers_staff_their_reports_only(cast, school_year, client):
    client.force_login(cast.accountant.user)
    page = client.get(reverse(REPORTS))
    assert sorted(dict(page.context["form"].fields["report"].choices)) == [
        "fee-ageing", "fee-collection"]  # fmt: skip
    r = client.get(reverse(REPORTS), {"report": "attendance-trend", "export": "csv"})
    assert r.status_code == 200 and "report" in r.context["form"].errors


def test_the_sidebar_leads_to_the_reports_page(cast, rf):
    """The admin sidebar has a "Reports and analytics" group with the Reports page in it."""
    from apps.core.admin.navigation import sidebar

    request = rf.get("/admin/")
    request.user = cast.admin
    groups = {group["title"]: group["items"] for group in sidebar(request)}
    links = [item["link"] for item in groups["Reports and analytics"]]
    assert reverse(REPORTS) in links
