"""The dashboard through the API: each role's sections, figures only from rows the caller may
read, the cache (served with no SQL, invalidated by the writes), and constant query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.academics.tests.factories import EnrollmentFactory, SectionFactory
from apps.accounts.tests.factories import StudentFactory
from apps.attendance.models import Status
from apps.attendance.services import attendance_mark
from apps.attendance.tests.factories import flush_here
from apps.dashboard import payload
from apps.dashboard.registry import registry
from apps.fees.models import PaymentMode
from apps.fees.services.payments import payment_record_counter

from .conftest import TODAY

URL = "/api/v1/dashboard/"
pytestmark = pytest.mark.django_db


def mark(section, actor, statuses: dict):
    attendance_mark(
        actor=actor, section=section, date=TODAY, period=None,
        entries=[{"student": str(s.pk), "status": st} for s, st in statuses.items()],
    )  # fmt: skip


def get(api, user, **params):
    response = api(user).get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


def test_sections_per_role(cast, school_year, api):
    expected = {
        cast.admin: {"attendance", "charts", "fees", "homework", "results", "stock", "transport",
                     "upcoming"},
        cast.teacher.user: {"attendance", "homework", "quizzes", "timetable", "upcoming"},
        cast.parent: {"attendance", "children", "fees", "homework", "quizzes", "results",
                      "timetable", "transport", "upcoming"},
        cast.accountant.user: {"fees", "upcoming"},
    }  # fmt: skip
    for user, keys in expected.items():
        body = get(api, user)
        assert body["role"] == user.role
        assert keys <= set(body["sections"]), (user.role, sorted(body["sections"]))
        assert body["date"] == TODAY.isoformat()
    assert "fees" not in get(api, cast.teacher.user)["sections"]
    assert "stock" not in get(api, cast.accountant.user)["sections"]


def test_admin_attendance_today_counts_pending_marks(cast, school_year, api):
    mark(school_year.sec_a, cast.teacher.user,
         {cast.student: Status.PRESENT, cast.other_student: Status.ABSENT})  # fmt: skip
    att = get(api, cast.admin)["sections"]["attendance"]
    assert att["sections"] == 2 and att["sections_marked"] == 1
    assert [s["id"] for s in att["sections_not_marked"]] == [str(school_year.sec_b.pk)]
    assert att["counts"]["present"] == 1 and att["counts"]["absent"] == 1
    assert att["present_percentage"] == 50.0
    assert [a["student"] for a in att["absentees"]] == [str(cast.other_student.pk)]
    assert att["absentees"][0]["name"] == cast.other_student.user.full_name


def test_teacher_counts_only_their_sections(cast, school_year, api):
    mark(school_year.sec_a, cast.teacher.user, {cast.student: Status.PRESENT,
                                                cast.other_student: Status.PRESENT})  # fmt: skip
    mark(school_year.sec_b, school_year.vera.user, {cast.sibling: Status.ABSENT})
    att = get(api, cast.teacher.user)["sections"]["attendance"]
    assert att["sections"] == 1  # 5-A only, not Vera's 5-B
    assert att["counts"]["present"] == 2 and att["counts"]["absent"] == 0
    assert att["to_mark"] == []
    assert att["trend"][-1]["marked"] == 2


def test_parent_sees_only_their_children(cast, school_year, api):
    mark(school_year.sec_a, cast.teacher.user, {cast.student: Status.ABSENT,
                                                cast.other_student: Status.PRESENT})  # fmt: skip
    body = get(api, cast.parent)["sections"]
    names = {c["student"] for c in body["attendance"]["children"]}
    assert names == {str(cast.student.pk), str(cast.sibling.pk)}
    sam = next(c for c in body["attendance"]["children"] if c["student"] == str(cast.student.pk))
    assert sam["counts"]["absent"] == 1 and sam["absent_today"] is True
    assert {c["student"] for c in body["children"]} == names
    mine = get(api, cast.student.user)["sections"]["attendance"]["children"]
    assert [c["student"] for c in mine] == [str(cast.student.pk)]


def test_another_schools_rows_never_count(cast, school_year, api):
    mark(school_year.sec_a, cast.teacher.user, {cast.student: Status.ABSENT})
    att = get(api, cast.admin2)["sections"]["attendance"]
    assert att["counts"]["absent"] == 0 and att["absentees"] == []
    assert att["sections_marked"] == 0


def test_second_call_is_served_from_cache_without_sql(cast, school_year, api):
    client = api(cast.admin)
    first = client.get(URL).json()
    with CaptureQueriesContext(connection) as queries:
        second = client.get(URL).json()
    assert len(queries) == 0, [q["sql"] for q in queries]
    assert second == first and second["cached_at"] == first["cached_at"]


def test_a_mark_and_a_flush_bump_the_generation(
    cast, school_year, api, clock, django_capture_on_commit_callbacks
):
    client = api(cast.admin)
    assert client.get(URL).json()["sections"]["attendance"]["counts"]["absent"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        mark(school_year.sec_a, cast.teacher.user, {cast.student: Status.ABSENT})
    assert client.get(URL).json()["sections"]["attendance"]["counts"]["absent"] == 1
    before = client.get(URL).json()["cached_at"]
    clock.shift(5)
    with django_capture_on_commit_callbacks(execute=True):
        assert flush_here() == 1
    after = client.get(URL).json()
    assert after["cached_at"] != before  # rebuilt after the flush
    assert after["sections"]["attendance"]["counts"]["absent"] == 1  # now from Postgres


def test_a_payment_bumps_the_fee_figures(
    cast, school_year, api, django_capture_on_commit_callbacks
):
    client = api(cast.accountant.user)
    assert Decimal(client.get(URL).json()["sections"]["fees"]["collected_today"]) == 0
    with django_capture_on_commit_callbacks(execute=True):
        payment_record_counter(
            school=cast.school, actor=cast.accountant.user, student=cast.student,
            mode=PaymentMode.CASH, amount=Decimal("1500"),
        )  # fmt: skip
    fees = client.get(URL).json()["sections"]["fees"]
    assert Decimal(fees["collected_today"]) == Decimal("1500")
    assert Decimal(fees["collected_this_month"]) == Decimal("1500")
    chart = get(api, cast.admin)["sections"]["charts"]["fee_collection"]
    assert Decimal(chart["by_day"][-1]["amount"]) == Decimal("1500")


def test_fresh_rebuilds(cast, school_year, api, clock):
    first = get(api, cast.admin)
    clock.shift(60)
    assert get(api, cast.admin)["cached_at"] == first["cached_at"]
    assert get(api, cast.admin, fresh="1")["cached_at"] != first["cached_at"]


def test_a_domain_not_installed_is_absent(cast, school_year, monkeypatch):
    monkeypatch.setattr(payload, "registry", registry.without("fees"))
    body = payload.build(cast.admin)
    assert "fees" not in body["sections"] and "attendance" in body["sections"]
    assert "fees" in payload.build(cast.admin, sections=registry)["sections"]


def _grow(school_year, cast, n):
    """n more students in 5-A and n more sections of Class 5 with a student each."""
    for i in range(n):
        EnrollmentFactory(section=school_year.sec_a, student=StudentFactory(school=cast.school),
                          roll_number=10 + i)  # fmt: skip
        section = SectionFactory(school_class=school_year.klass, year=school_year.year,
                                 name=f"Z{i}", class_teacher=cast.teacher)  # fmt: skip
        EnrollmentFactory(section=section, student=StudentFactory(school=cast.school))


@pytest.mark.parametrize("persona", ["admin", "teacher", "parent", "student", "accountant"])
def test_cold_build_runs_a_constant_number_of_queries(
    cast, school_year, persona, django_assert_max_num_queries
):
    user = cast.user(persona)
    with CaptureQueriesContext(connection) as small:
        payload.build(user)
    _grow(school_year, cast, 4)
    user = type(user).objects.select_related("school").get(pk=user.pk)
    with django_assert_max_num_queries(len(small)):
        body = payload.build(user)
    if persona == "admin":
        assert body["sections"]["attendance"]["sections"] == 6  # the grown school is counted


def test_a_calendar_event_refreshes_the_coming_events(
    cast, school_year, api, django_capture_on_commit_callbacks
):
    """Adding an event (and removing it) shows on the next call, not after the cache expires."""
    import datetime as dt

    from apps.calendar.services import calendar_event_create, calendar_event_delete

    def titles():
        return [e["title"] for e in get(api, cast.parent)["sections"]["upcoming"]["events"]]

    assert "Science fair" not in titles()
    with django_capture_on_commit_callbacks(execute=True):
        event = calendar_event_create(
            school=cast.school, actor=cast.admin, title="Science fair", kind="event",
            start_date=TODAY + dt.timedelta(days=3),
        )  # fmt: skip
    assert "Science fair" in titles()
    with django_capture_on_commit_callbacks(execute=True):
        calendar_event_delete(event=event, actor=cast.admin)
    assert "Science fair" not in titles()
