"""The attendance staff screens: a read-only, school-scoped changelist without N+1, and the
monthly register page (pending marks included)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.academics.tests.factories import EnrollmentFactory
from apps.accounts.tests.factories import StudentFactory

from .factories import entry, flush_here, mark

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:attendance_attendancerecord_changelist"
REGISTER = "admin:attendance_attendancerecord_register"


def test_changelist_is_scoped_read_only_and_constant_in_queries(
    cast, school_year, att, api, client
):
    mark(
        api,
        cast.admin,
        school_year.sec_a,
        att.day,
        [entry(cast.student), entry(cast.other_student)],
    )
    flush_here()
    client.force_login(cast.admin)
    url = reverse(CHANGELIST)
    with CaptureQueriesContext(connection) as few:
        page = client.get(url)
    assert page.status_code == 200
    assert "Sam Student" in page.content.decode() and "Monthly register" in page.content.decode()
    assert reverse("admin:attendance_attendancerecord_add") not in page.content.decode()

    for i in range(6):
        student = StudentFactory(school=cast.school)
        EnrollmentFactory(section=school_year.sec_a, student=student, roll_number=20 + i)
        mark(api, cast.admin, school_year.sec_a, att.day, [entry(student, "absent")], period=att.p1)
    flush_here()
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)

    client.force_login(cast.admin2)  # another school's admin sees none of these rows
    other = client.get(url)
    assert other.status_code == 200 and other.context["cl"].result_count == 0
    assert "Sam Student" not in other.content.decode()
    client.force_login(cast.teacher.user)  # teachers never use the admin
    assert client.get(url).status_code == 302


def test_register_page_shows_the_month_with_pending_marks(cast, school_year, att, api, client):
    mark(api, cast.admin, school_year.sec_a, att.day, [entry(cast.student, "absent")])  # pending
    client.force_login(cast.admin)
    page = client.get(
        reverse(REGISTER), {"section": school_year.sec_a.pk, "month": att.day.strftime("%Y-%m")}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="attendance-register"' in html and "Sam Student" in html
    assert page.context["register"]["students"][0]["counts"]["absent"] == 1
    # Another school's section is not a choice.
    client.force_login(cast.admin2)
    page = client.get(reverse(REGISTER), {"section": school_year.sec_a.pk, "month": "2026-01"})
    assert page.status_code == 200 and page.context["register"] is None
