"""Today's attendance in the staff admin: every section of the school, marked or not, with
counts that include marks still waiting in the write buffer and a link to each register."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.academics.tests.factories import EnrollmentFactory, SectionFactory
from apps.accounts.tests.factories import StudentFactory

from .factories import entry, flush_here, mark

pytestmark = pytest.mark.django_db

TODAY = "admin:attendance_attendancerecord_today"


@pytest.fixture
def wednesday(att):
    """Time pinned to a school day of the current year (the register's `att.day`)."""
    moment = dt.datetime.combine(att.day, dt.time(5, 0), tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=True):
        yield att.day


def rows_by_name(page) -> dict[str, dict]:
    assert page.status_code == 200
    return {row["section"].display_name: row for row in page.context["rows"]}


def test_sections_show_marked_counts_with_pending_marks(cast, school_year, api, client, wednesday):
    response = mark(
        api, cast.admin, school_year.sec_a, wednesday,
        [entry(cast.student), entry(cast.other_student, "absent")],
    )  # fmt: skip
    assert response.status_code in (200, 201), response.content
    client.force_login(cast.admin)
    page = client.get(reverse(TODAY))
    rows = rows_by_name(page)
    assert set(rows) == {"5-A", "5-B"}  # school two's section is not listed
    a, b = rows["5-A"], rows["5-B"]
    assert (a["enrolled"], a["marked"], a["not_marked"]) == (2, 2, 0)
    assert (a["counts"]["present"], a["counts"]["absent"], a["pending"]) == (1, 1, 2)
    assert (b["enrolled"], b["marked"], b["not_marked"]) == (1, 0, 1)
    assert page.context["sections_marked"] == 1 and page.context["sections_not_marked"] == 1
    html = page.content.decode()
    register = reverse("admin:attendance_attendancerecord_register")
    assert f"{register}?section={school_year.sec_a.pk}&amp;month={wednesday:%Y-%m}" in html
    assert 'id="attendance-today"' in html and "5-B" in html
    assert str(school_year.sec2.pk) not in html

    flush_here()  # saved to Postgres: the same figures, nothing waiting
    a = rows_by_name(client.get(reverse(TODAY)))["5-A"]
    assert (a["counts"]["present"], a["counts"]["absent"], a["pending"]) == (1, 1, 0)


def test_another_school_sees_only_its_own_sections(cast, school_year, api, client, wednesday):
    mark(api, cast.admin, school_year.sec_a, wednesday, [entry(cast.student)])
    client.force_login(cast.admin2)
    rows = rows_by_name(client.get(reverse(TODAY)))
    assert list(rows) == [school_year.sec2.display_name]
    assert rows[school_year.sec2.display_name]["marked"] == 0


def test_who_may_open_it(cast, school_year, client, django_user_model, wednesday):
    client.force_login(cast.teacher.user)  # teachers never use the admin
    assert client.get(reverse(TODAY)).status_code == 302
    client.force_login(cast.accountant.user)  # the accountant's duty has no attendance
    assert client.get(reverse(TODAY)).status_code == 403
    root = django_user_model.objects.create_superuser(email="root@s24.test", password="x-Secret-9")
    client.force_login(root)
    picker = client.get(reverse(TODAY))
    assert picker.status_code == 200 and picker.context["rows"] == []
    assert {s.name for s in picker.context["schools"]} >= {cast.school.name, cast.school2.name}
    chosen = rows_by_name(client.get(reverse(TODAY), {"school": cast.school.pk}))
    assert set(chosen) == {"5-A", "5-B"}


def test_constant_queries_for_a_bigger_school(cast, school_year, api, client, wednesday):
    client.force_login(cast.admin)
    with CaptureQueriesContext(connection) as few:
        assert len(rows_by_name(client.get(reverse(TODAY)))) == 2
    for name in "CDE":
        section = SectionFactory(school_class=school_year.klass, year=school_year.year, name=name)
        students = [StudentFactory(school=cast.school) for _ in range(3)]
        for roll, student in enumerate(students, start=1):
            EnrollmentFactory(section=section, student=student, roll_number=roll)
        mark(api, cast.admin, section, wednesday, [entry(s) for s in students])
    flush_here()
    with CaptureQueriesContext(connection) as many:
        rows = rows_by_name(client.get(reverse(TODAY)))
    assert len(rows) == 5 and rows["5-C"]["counts"]["present"] == 3
    assert len(many) == len(few)


def test_the_page_speaks_hindi(cast, school_year, client, wednesday):
    client.force_login(cast.admin)
    page = client.get(reverse(TODAY), HTTP_ACCEPT_LANGUAGE="hi")
    html = page.content.decode()
    assert page.status_code == 200 and "आज की उपस्थिति" in html and "रजिस्टर खोलें" in html
    assert "उपस्थिति" in html and "शुल्क और भुगतान" in html  # the sidebar's domains
