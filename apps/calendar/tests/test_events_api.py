"""Calendar events through the API: writes with their rules and audit, who sees what, filters,
constant query counts."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.academics.tests.factories import SchoolClassFactory, SectionFactory
from apps.accounts.tests.factories import StudentFactory
from apps.calendar.models import Audience, CalendarEvent
from apps.core.models import AuditLog

from .factories import CalendarEventFactory

EVENTS = "/api/v1/calendar-events/"


def titles(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["title"] for row in response.json()["results"]]


def test_admin_creates_a_section_event(school_year, cast, api):
    response = api(cast.admin).post(
        EVENTS,
        {
            "title": "5-A parent meeting",
            "kind": "ptm",
            "start_date": "2026-11-07",
            "all_day": False,
            "start_time": "10:00",
            "end_time": "12:30",
            "audience": "section",
            "section": str(school_year.sec_a.pk),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body == {
        "id": body["id"],
        "title": "5-A parent meeting",
        "description": "",
        "kind": "ptm",
        "kind_name": "Parent-teacher meeting",
        "start_date": "2026-11-07",
        "end_date": "2026-11-07",  # one day unless told otherwise
        "all_day": False,
        "start_time": "10:00",
        "end_time": "12:30",
        "audience": "section",
        "audience_name": "5-A",
        "school_class": None,
        "school_class_name": None,
        "section": str(school_year.sec_a.pk),
        "section_name": "5-A",
        "academic_year": str(school_year.year.pk),  # the section's year
        "academic_year_name": "2026-27",
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    event = CalendarEvent.objects.get(pk=body["id"])
    assert event.school == cast.school and event.start_time == dt.time(10, 0)
    log = AuditLog.objects.get(action="calendar_event.create")
    assert log.actor == cast.admin and log.after["section"] == str(school_year.sec_a.pk)


def test_school_wide_all_day_holiday_gets_the_year_containing_it(school_year, cast, api):
    response = api(cast.admin).post(
        EVENTS,
        {
            "title": "Diwali",
            "kind": "holiday",
            "start_date": "2026-11-08",
            "end_date": "2026-11-10",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["audience"] == "school" and body["audience_name"] == "Whole school"
    assert body["all_day"] is True and body["start_time"] is None
    assert body["academic_year"] == str(school_year.year.pk)


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"end_date": "2026-11-01"}, "end_date"),
        ({"audience": "class"}, "school_class"),
        ({"audience": "section"}, "section"),
        ({"audience": "school", "section": "SEC_A"}, "section"),
        ({"start_time": "10:00", "end_time": "11:00", "all_day": True}, "start_time"),
        ({"all_day": False, "start_time": "10:00"}, "end_time"),
        ({"all_day": False, "start_time": "10:00", "end_time": "09:00"}, "end_time"),
    ],
)
def test_inconsistent_events_are_refused(school_year, cast, api, extra, field):
    body = {"title": "Bad", "kind": "event", "start_date": "2026-11-07", **extra}
    body = {k: str(school_year.sec_a.pk) if v == "SEC_A" else v for k, v in body.items()}
    response = api(cast.admin).post(EVENTS, body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"], response.json()
    assert not CalendarEvent.objects.exists()


@pytest.mark.parametrize("field", ["section", "school_class", "academic_year"])
def test_another_schools_ids_are_field_errors(school_year, cast, api, field):
    other = {"section": school_year.sec2, "school_class": school_year.klass2}
    other["academic_year"] = school_year.year2
    audience = {"section": "section", "school_class": "class", "academic_year": "school"}[field]
    response = api(cast.admin).post(
        EVENTS,
        {
            "title": "Sneaky",
            "kind": "event",
            "start_date": "2026-11-07",
            "audience": audience,
            field: str(other[field].pk),
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {field: ["Not found in your school."]}


def test_update_moves_audience_and_clears_what_it_no_longer_uses(school_year, cast, api):
    event = CalendarEventFactory(
        school=cast.school, audience=Audience.SECTION, section=school_year.sec_a
    )
    client = api(cast.admin)
    response = client.patch(
        f"{EVENTS}{event.pk}/",
        {"audience": "class", "school_class": str(school_year.klass.pk), "title": "Class trip"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    event.refresh_from_db()
    assert (event.audience, event.school_class, event.section) == ("class", school_year.klass, None)
    assert event.title == "Class trip"
    log = AuditLog.objects.get(action="calendar_event.update")
    assert log.before["section"] == str(school_year.sec_a.pk) and log.after["section"] is None

    response = client.patch(f"{EVENTS}{event.pk}/", {"audience": "school"}, format="json")
    assert response.status_code == 200
    assert response.json()["school_class"] is None

    assert client.delete(f"{EVENTS}{event.pk}/").status_code == 204
    assert not CalendarEvent.objects.filter(pk=event.pk).exists()
    assert AuditLog.objects.filter(action="calendar_event.delete", object_id=str(event.pk)).exists()


def test_members_cannot_write(school_year, cast, api):
    event = CalendarEventFactory(school=cast.school)
    for user in (cast.teacher.user, cast.student.user, cast.parent, cast.accountant.user):
        client = api(user)
        body = {"title": "x", "kind": "event", "start_date": "2026-11-07"}
        assert client.post(EVENTS, body, format="json").status_code == 403
        assert client.patch(f"{EVENTS}{event.pk}/", {"title": "y"}).status_code == 403
        assert client.delete(f"{EVENTS}{event.pk}/").status_code == 403
    assert api(cast.admin2).delete(f"{EVENTS}{event.pk}/").status_code == 404


@pytest.fixture
def spread(school_year, cast):
    """One event per audience, in and out of the cast's sections."""
    klass6 = SchoolClassFactory(school=cast.school, name="Class 6", order=6)
    sec_6a = SectionFactory(school_class=klass6, year=school_year.year, name="A")

    def event(title, day, **extra):
        date = dt.date(2026, 10, day)
        return CalendarEventFactory(
            school=extra.pop("school", cast.school),
            title=title,
            start_date=date,
            end_date=date,
            **extra,
        )

    return {
        "school": event("Founders day", 1, kind="holiday"),
        "class5": event("Class 5 picnic", 2, audience="class", school_class=school_year.klass),
        "5a": event("5-A meeting", 3, audience="section", section=school_year.sec_a, kind="ptm"),
        "5b": event("5-B fair", 4, audience="section", section=school_year.sec_b),
        "class6": event("Class 6 trip", 5, audience="class", school_class=klass6),
        "6a": event("6-A assembly", 6, audience="section", section=sec_6a),
        "bob": event("Bob day", 7, school=cast.school2),
    }


ALL_OF_SCHOOL = [
    "Founders day",
    "Class 5 picnic",
    "5-A meeting",
    "5-B fair",
    "Class 6 trip",
    "6-A assembly",
]


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("admin", ALL_OF_SCHOOL),
        ("accountant", ALL_OF_SCHOOL),  # every staff duty reads the calendar
        ("teacher", ["Founders day", "Class 5 picnic", "5-A meeting"]),
        ("student", ["Founders day", "Class 5 picnic", "5-A meeting"]),
        ("parent", ["Founders day", "Class 5 picnic", "5-A meeting", "5-B fair"]),
        ("admin2", ["Bob day"]),
    ],
)
def test_who_sees_which_events(spread, cast, api, persona, expected):
    assert titles(api(cast.user(persona)).get(EVENTS)) == expected


def test_out_of_scope_events_are_404(spread, cast, api):
    student = api(cast.student.user)
    assert student.get(f"{EVENTS}{spread['5a'].pk}/").status_code == 200
    assert student.get(f"{EVENTS}{spread['5b'].pk}/").status_code == 404
    assert student.get(f"{EVENTS}{spread['bob'].pk}/").status_code == 404


def test_a_student_enrolled_nowhere_this_year_sees_only_school_wide_events(
    spread, school_year, cast, api
):
    newcomer = StudentFactory(school=cast.school)  # enrolled nowhere this year
    assert titles(api(newcomer.user).get(EVENTS)) == ["Founders day"]


def test_filters(spread, school_year, cast, api):
    client = api(cast.admin)
    assert titles(client.get(f"{EVENTS}?from=2026-10-03&to=2026-10-04")) == [
        "5-A meeting",
        "5-B fair",
    ]
    assert titles(client.get(f"{EVENTS}?kind=holiday&kind=ptm")) == [
        "Founders day",
        "5-A meeting",
    ]
    assert titles(client.get(f"{EVENTS}?section={school_year.sec_b.pk}")) == [
        "Founders day",
        "Class 5 picnic",
        "5-B fair",
    ]
    assert titles(client.get(f"{EVENTS}?school_class={school_year.klass.pk}")) == [
        "Class 5 picnic",
        "5-A meeting",
        "5-B fair",
    ]
    assert titles(client.get(f"{EVENTS}?audience=class")) == ["Class 5 picnic", "Class 6 trip"]
    # Another school's section is simply nothing (not a 400 that would confirm it exists).
    assert titles(client.get(f"{EVENTS}?section={school_year.sec2.pk}")) == ["Founders day"]
    assert client.get(f"{EVENTS}?from=soon").status_code == 400


def test_mine(spread, cast, api):
    assert titles(api(cast.parent).get(f"{EVENTS}?mine=true")) == [
        "Founders day",
        "Class 5 picnic",
        "5-A meeting",
        "5-B fair",
    ]
    # A school admin teaches no section: only the whole school's events concern them.
    assert titles(api(cast.admin).get(f"{EVENTS}?mine=true")) == ["Founders day"]
    assert len(titles(api(cast.admin).get(f"{EVENTS}?mine=false"))) == len(ALL_OF_SCHOOL)


@pytest.mark.parametrize("persona", ["admin", "teacher", "parent"])
def test_event_list_query_count_is_constant(
    spread, school_year, cast, api, django_assert_num_queries, persona
):
    client = api(cast.user(persona))
    client.get(EVENTS)
    with django_assert_num_queries(1) as few:  # the page (short: no count; the user is cached)
        client.get(EVENTS)
    for index in range(12):
        section = school_year.sec_a if index % 2 else school_year.sec_b
        CalendarEventFactory(school=cast.school, audience="section", section=section)
        CalendarEventFactory(school=cast.school, audience="class", school_class=school_year.klass)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(titles(client.get(f"{EVENTS}?page_size=100"))) > 12
