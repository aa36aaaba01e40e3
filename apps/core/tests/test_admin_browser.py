"""The staff admin in a real browser (headless chromium through Playwright): a school admin
signs in, filters the students list by section and opens today's attendance. Skipped only when
no chromium is installed (`apt-get install chromium`); run alone with `pytest -m browser`."""

from __future__ import annotations

import pytest

from apps.core.testing import admin_sign_in, year_around

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Admin-Secret-2026"


@pytest.fixture
def school_year_span():
    import datetime as dt

    return year_around(dt.date.today())  # "today" is in the year whatever the date


@pytest.fixture
def signed_in(browser_page, cast, school_year):
    cast.admin.set_password(PASSWORD)
    cast.admin.save(update_fields=["password"])
    admin_sign_in(browser_page, cast.admin.email, PASSWORD)
    return browser_page


def test_admin_signs_in_and_filters_students_by_section(signed_in, cast, school_year):
    page = signed_in
    assert "Alice Public School" in page.content()  # the school under the product's name
    page.goto("/admin/accounts/studentprofile/")
    table = page.locator("#result_list")
    assert {"Sam Student", "Sia Student", "Oscar Other"} <= set(_names(table))
    assert "Zed Student" not in table.inner_text()  # another school's student

    page.goto(f"/admin/accounts/studentprofile/?section={school_year.sec_b.pk}")
    assert _names(page.locator("#result_list")) == ["Sia Student"]
    page.goto(f"/admin/accounts/studentprofile/?section={school_year.sec_a.pk}")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    assert "5-A" in rows.first.inner_text() and "Class 5" in rows.first.inner_text()


def test_todays_attendance_lists_sections_and_opens_a_register(signed_in, school_year):
    page = signed_in
    page.goto("/admin/attendance/attendancerecord/today/")
    table = page.locator("#attendance-today")
    sections = table.locator("tbody tr td:first-child").all_inner_texts()
    assert [s.strip() for s in sections] == ["5-A", "5-B"]
    assert table.locator("tbody tr").first.get_by_text("Not marked").count() >= 1
    table.locator(f"tr[data-section='{school_year.sec_a.pk}'] a").click()
    page.wait_for_selector("#attendance-register")
    assert "Sam Student" in page.locator("#attendance-register").inner_text()


def _names(table) -> list[str]:
    text = table.inner_text()
    return sorted(n for n in ("Sam Student", "Sia Student", "Oscar Other") if n in text)


def test_principals_index_draws_its_charts_with_data(signed_in, cast):
    """The admin index is the principal's dashboard: three Chart.js charts drawn from the
    dashboard selectors' data, today's fee collection among them."""
    from decimal import Decimal

    from apps.fees.models import PaymentMode
    from apps.fees.services.payments import payment_record_counter

    payment_record_counter(school=cast.school, actor=cast.admin, student=cast.student,
                           mode=PaymentMode.CASH, amount=Decimal("2500"))  # fmt: skip
    page = signed_in
    page.goto("/admin/")
    page.wait_for_function("() => typeof Chart !== 'undefined'")
    drawn = page.evaluate(
        """() => ["chart-attendance", "chart-fees", "chart-performance"].map(id => {
            const chart = Chart.getChart(id);
            return chart ? {labels: chart.data.labels.length,
                            values: chart.data.datasets[0].data} : null;
        })"""
    )
    attendance, fees, performance = drawn
    assert attendance is not None and performance is not None
    assert fees["labels"] == 30 and fees["values"][-1] == 2500
    assert page.locator("#kpi-fees").inner_text().count("2500") >= 1


def test_a_report_export_downloads(signed_in, cast):
    """Staff pick a report and a format on the Reports page and get the file."""
    from decimal import Decimal

    from apps.fees.models import PaymentMode
    from apps.fees.services.payments import payment_record_counter

    payment_record_counter(school=cast.school, actor=cast.admin, student=cast.student,
                           mode=PaymentMode.CASH, amount=Decimal("1200"))  # fmt: skip
    page = signed_in
    page.goto("/admin/analytics/attendancedaily/reports/")
    page.select_option("select[name=report]", "fee-collection")
    page.select_option("select[name=export]", "csv")
    with page.expect_download() as info:
        page.click("#report-form input[type=submit]")
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    content = open(download.path(), encoding="utf-8-sig").read()
    assert "1200" in content
