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
