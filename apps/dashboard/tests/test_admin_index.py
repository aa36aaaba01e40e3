"""The principal's dashboard on the admin index, through the admin test client."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from apps.attendance.models import Status
from apps.fees.models import PaymentMode
from apps.fees.services.payments import payment_record_counter

from .test_api import mark

pytestmark = pytest.mark.django_db
INDEX = "/admin/"


def _script(html: str, id_: str):
    start = html.index(f'<script id="{id_}" type="application/json">') + len(
        f'<script id="{id_}" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_school_admin_sees_kpis_and_chart_data(cast, school_year, client):
    mark(school_year.sec_a, cast.teacher.user,
         {cast.student: Status.PRESENT, cast.other_student: Status.ABSENT})  # fmt: skip
    payment_record_counter(
        school=cast.school, actor=cast.admin, student=cast.student,
        mode=PaymentMode.CASH, amount=Decimal("2500"),
    )  # fmt: skip
    client.force_login(cast.admin)
    response = client.get(INDEX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="kpi-attendance"' in html and "50.0 %" in html
    assert "1 of 2 registers marked" in html
    assert 'id="kpi-fees"' in html and "2500" in html
    attendance = _script(html, "chart-attendance-data")
    assert attendance[-1] == {"date": "2026-12-02", "percentage": 50.0}
    fees = _script(html, "chart-fees-data")
    assert len(fees) == 30 and fees[-1] == {"date": "2026-12-02", "amount": 2500.0}
    performance = _script(html, "chart-performance-data")
    assert [b["band"] for b in performance][0] == "0-33"
    assert "vendor/chartjs/chart.umd.js" in html
    assert "app-attendance" in html or "Attendance" in html  # the app list stays below


def test_staff_see_no_school_wide_figures(cast, school_year, client):
    client.force_login(cast.accountant.user)
    response = client.get(INDEX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "chart-attendance-data" not in html and 'id="kpi-fees"' not in html


def test_teacher_is_not_let_in(cast, school_year, client):
    client.force_login(cast.teacher.user)
    response = client.get(INDEX)
    assert response.status_code == 302
    assert "chart-attendance-data" not in response.content.decode()
