"""The timetable through the API: clashes named in the 400, filters, `mine`, query counts."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.academics.models import TimetableEntry
from apps.accounts.tests.factories import TeacherFactory
from apps.core.models import AuditLog

from .factories import (
    AcademicYearFactory,
    SectionFactory,
    SubjectFactory,
    TeachingAssignmentFactory,
    TimetableEntryFactory,
)

TIMETABLE = "/api/v1/timetable/"


def entry_body(school_year, cast, **extra):
    body = {
        "section": str(school_year.sec_a.pk),
        "weekday": 0,
        "period": 1,
        "start_time": "09:00",
        "end_time": "09:45",
        "subject": str(school_year.maths.pk),
        "teacher": str(cast.teacher.pk),
    }
    body.update({k: str(v.pk) if hasattr(v, "pk") else v for k, v in extra.items()})
    return body


def post(client, body):
    return client.post(TIMETABLE, body, format="json")


@pytest.fixture
def kim(school_year, cast):
    """A second teacher, teaching Science in 5-A and 5-B."""
    kim = TeacherFactory(school=cast.school, user__full_name="Kim Science")
    TeachingAssignmentFactory(section=school_year.sec_a, subject=school_year.science, teacher=kim)
    TeachingAssignmentFactory(section=school_year.sec_b, subject=school_year.science, teacher=kim)
    return kim


def test_admin_creates_an_entry(school_year, cast, api):
    response = post(api(cast.admin), entry_body(school_year, cast))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body == {
        "id": body["id"],
        "section": str(school_year.sec_a.pk),
        "section_name": "5-A",
        "year": str(school_year.year.pk),
        "weekday": 0,
        "weekday_name": "Monday",
        "period": 1,
        "start_time": "09:00",
        "end_time": "09:45",
        "subject": str(school_year.maths.pk),
        "subject_name": "Mathematics",
        "teacher": str(cast.teacher.pk),
        "teacher_name": "Tara Teacher",
        "room": "R5A",  # the section's own room when none is given
    }
    entry = TimetableEntry.objects.get(pk=body["id"])
    assert entry.school == cast.school and entry.start_time == dt.time(9, 0)
    log = AuditLog.objects.get(action="timetable_entry.create")
    assert log.after["start_time"] == "09:00:00" and log.actor == cast.admin


def test_period_must_end_after_it_starts(school_year, cast, api):
    response = post(api(cast.admin), entry_body(school_year, cast, end_time="08:30"))
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "end_time": ["A period must end after it starts."]
    }


def test_teacher_needs_a_teaching_assignment(school_year, cast, api):
    response = post(api(cast.admin), entry_body(school_year, cast, subject=school_year.science))
    assert response.status_code == 400
    message = (
        "Tara Teacher is not assigned to teach Science in 5-A; add a teaching assignment first."
    )
    assert response.json()["error"] == {
        "code": "not_assigned",
        "message": message,
        "fields": {"teacher": [message]},
    }
    assert not TimetableEntry.objects.exists()


def test_section_clash_is_named(school_year, cast, api, kim):
    client = api(cast.admin)
    assert post(client, entry_body(school_year, cast)).status_code == 201
    response = post(
        client,
        entry_body(
            school_year, cast, period=2, start_time="09:30", end_time="10:15",
            subject=school_year.science, teacher=kim,
        ),
    )  # fmt: skip
    assert response.status_code == 400
    message = "5-A already has Mathematics with Tara Teacher on Monday 09:00-09:45."
    assert response.json()["error"] == {
        "code": "timetable_clash",
        "message": message,
        "fields": {"start_time": [message], "end_time": [message]},
    }
    assert TimetableEntry.objects.count() == 1


def test_same_period_number_twice_is_refused(school_year, cast, api, kim):
    client = api(cast.admin)
    assert post(client, entry_body(school_year, cast)).status_code == 201
    response = post(
        client,
        entry_body(school_year, cast, start_time="11:00", end_time="11:45", subject=school_year.science,
                   teacher=kim),
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "period": ["5-A already has period 1 on Monday 09:00-09:45."]
    }


def test_teacher_clash_in_another_section_is_named(school_year, cast, api):
    six_b = SectionFactory(
        school_class__school=cast.school,
        school_class__name="Class 6",
        year=school_year.year,
        name="B",
    )
    TeachingAssignmentFactory(section=six_b, subject=school_year.maths, teacher=cast.teacher)
    client = api(cast.admin)
    assert post(client, entry_body(school_year, cast, section=six_b, room="R6B")).status_code == 201
    response = post(client, entry_body(school_year, cast, start_time="09:30", end_time="10:15"))
    assert response.status_code == 400
    message = "Tara Teacher already teaches 6-B (Mathematics) on Monday 09:00-09:45."
    assert response.json()["error"] == {
        "code": "timetable_clash",
        "message": message,
        "fields": {"teacher": [message]},
    }
    assert not school_year.sec_a.timetable_entries.exists()


def test_room_clash_is_named(school_year, cast, api, kim):
    client = api(cast.admin)
    assert post(client, entry_body(school_year, cast, room="Lab 1")).status_code == 201
    response = post(
        client,
        entry_body(school_year, cast, section=school_year.sec_b, subject=school_year.science,
                   teacher=kim, room="lab 1", start_time="09:15", end_time="10:00"),
    )  # fmt: skip
    assert response.status_code == 400
    message = (
        "Room Lab 1 is already taken by 5-A (Mathematics, Tara Teacher) on Monday 09:00-09:45."
    )
    assert response.json()["error"] == {
        "code": "timetable_clash",
        "message": message,
        "fields": {"room": [message]},
    }


def test_teacher_and_room_clash_are_both_named(school_year, cast, api):
    TeachingAssignmentFactory(
        section=school_year.sec_b, subject=school_year.maths, teacher=cast.teacher
    )
    client = api(cast.admin)
    assert post(client, entry_body(school_year, cast, room="Hall")).status_code == 201
    response = post(client, entry_body(school_year, cast, section=school_year.sec_b, room="Hall"))
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error["fields"]) == {"teacher", "room"}
    assert error["message"] == (
        "Tara Teacher already teaches 5-A (Mathematics) on Monday 09:00-09:45. "
        "Room Hall is already taken by 5-A (Mathematics, Tara Teacher) on Monday 09:00-09:45."
    )


def test_back_to_back_and_other_days_do_not_clash(school_year, cast, api, kim):
    client = api(cast.admin)
    assert post(client, entry_body(school_year, cast, room="Lab 1")).status_code == 201
    follow = entry_body(
        school_year, cast, period=2, start_time="09:45", end_time="10:30", room="Lab 1"
    )
    assert post(client, follow).status_code == 201, "a period may start as another ends"
    tuesday = entry_body(school_year, cast, weekday=1, room="Lab 1")
    assert post(client, tuesday).status_code == 201
    other_room = entry_body(school_year, cast, section=school_year.sec_b, subject=school_year.science,
                            teacher=kim, room="Lab 2")  # fmt: skip
    assert post(client, other_room).status_code == 201
    assert TimetableEntry.objects.count() == 4


def test_entries_of_another_year_do_not_clash(school_year, cast, api):
    old_year = AcademicYearFactory(school=cast.school)
    old = SectionFactory(school_class=school_year.klass, year=old_year, name="A", room="R5A")
    TimetableEntryFactory(section=old, subject=school_year.maths, teacher=cast.teacher, room="R5A")
    assert post(api(cast.admin), entry_body(school_year, cast)).status_code == 201


def test_update_is_checked_like_a_new_entry(school_year, cast, api, kim):
    client = api(cast.admin)
    first = post(client, entry_body(school_year, cast)).json()
    second = post(client, entry_body(school_year, cast, period=2, start_time="10:00", end_time="10:45",
                                     subject=school_year.science, teacher=kim)).json()  # fmt: skip
    url = f"{TIMETABLE}{second['id']}/"
    moved = client.patch(url, {"start_time": "09:40"}, format="json")
    assert moved.status_code == 400
    assert moved.json()["error"]["message"] == (
        "5-A already has Mathematics with Tara Teacher on Monday 09:00-09:45."
    )
    itself = client.patch(f"{TIMETABLE}{first['id']}/", {"end_time": "09:50"}, format="json")
    assert itself.status_code == 200, itself.json()  # an entry never clashes with itself
    assert itself.json()["end_time"] == "09:50"
    assert client.patch(url, {"room": "Lab 1"}, format="json").json()["room"] == "Lab 1"
    log = AuditLog.objects.filter(action="timetable_entry.update", object_id=second["id"]).get()
    assert log.before == {"room": "R5A"} and log.after == {"room": "Lab 1"}
    assert client.delete(url).status_code == 204
    assert TimetableEntry.objects.count() == 1


@pytest.mark.parametrize("field", ["section", "subject", "teacher"])
def test_links_to_another_school_are_not_found(school_year, cast, api, field):
    other = {
        "section": school_year.sec2,
        "subject": school_year.subject2,
        "teacher": TeacherFactory(school=cast.school2),
    }[field]
    response = post(api(cast.admin), entry_body(school_year, cast, **{field: other}))
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {field: ["Not found in your school."]}
    assert not TimetableEntry.objects.exists()


# --- Reading ------------------------------------------------------------------------------------
@pytest.fixture
def week(school_year, cast, kim):
    """Tara: Maths in 5-A Mon P1, Wed P2. Kim: Science in 5-A Mon P2, 5-B Mon P1."""
    make = TimetableEntryFactory
    return [
        make(section=school_year.sec_a, subject=school_year.maths, teacher=cast.teacher),
        make(section=school_year.sec_a, subject=school_year.maths, teacher=cast.teacher, weekday=2,
             period=2, start_time=dt.time(10), end_time=dt.time(10, 45)),
        make(section=school_year.sec_a, subject=school_year.science, teacher=kim, period=2,
             start_time=dt.time(10), end_time=dt.time(10, 45)),
        make(section=school_year.sec_b, subject=school_year.science, teacher=kim),
    ]  # fmt: skip


def slots(client, query=""):
    response = client.get(f"{TIMETABLE}{query}")
    assert response.status_code == 200, response.json()
    return [
        (row["section_name"], row["weekday_name"], row["period"], row["subject_name"])
        for row in response.json()["results"]
    ]


def test_everyone_in_the_school_reads_the_timetable(school_year, cast, api, week):
    for persona in ("admin", "teacher", "student", "parent"):
        assert len(slots(api(cast.user(persona)))) == 4
    assert slots(api(cast.admin2)) == []
    assert api(cast.admin2).get(f"{TIMETABLE}{week[0].pk}/").status_code == 404
    assert api(cast.student.user).post(TIMETABLE, {}, format="json").status_code == 403


def test_timetable_filters(school_year, cast, api, week, kim):
    client = api(cast.student.user)
    assert slots(client, f"?section={school_year.sec_b.pk}") == [("5-B", "Monday", 1, "Science")]
    assert slots(client, f"?teacher={cast.teacher.pk}") == [
        ("5-A", "Monday", 1, "Mathematics"),
        ("5-A", "Wednesday", 2, "Mathematics"),
    ]
    assert slots(client, "?weekday=2") == [("5-A", "Wednesday", 2, "Mathematics")]
    assert slots(client, f"?teacher={kim.pk}&weekday=0") == [
        ("5-B", "Monday", 1, "Science"),
        ("5-A", "Monday", 2, "Science"),
    ]
    assert api(cast.admin).get(f"{TIMETABLE}?weekday=9").status_code == 400


def test_mine_is_the_callers_own_week(school_year, cast, api, week, kim):
    teacher = slots(api(cast.teacher.user), "?mine=true")
    assert teacher == [("5-A", "Monday", 1, "Mathematics"), ("5-A", "Wednesday", 2, "Mathematics")]
    student = slots(api(cast.student.user), "?mine=true")
    assert student == [
        ("5-A", "Monday", 1, "Mathematics"),
        ("5-A", "Monday", 2, "Science"),
        ("5-A", "Wednesday", 2, "Mathematics"),
    ]
    parent = slots(api(cast.parent), "?mine=true")
    assert len(parent) == 4  # Sam's 5-A and Sia's 5-B
    assert slots(api(cast.admin), "?mine=true") == []
    assert len(slots(api(cast.student.user), "?mine=false")) == 4


def test_mine_is_the_current_year_only(school_year, cast, api, week):
    old_year = AcademicYearFactory(school=cast.school)
    old = SectionFactory(school_class=school_year.klass, year=old_year, name="A")
    TimetableEntryFactory(section=old, subject=school_year.maths, teacher=cast.teacher, weekday=4)
    assert len(slots(api(cast.teacher.user), "?mine=true")) == 2
    assert len(slots(api(cast.teacher.user), f"?teacher={cast.teacher.pk}")) == 3


def test_timetable_list_query_count_is_constant(
    school_year, cast, api, week, django_assert_num_queries
):
    client = api(cast.student.user)
    client.get(f"{TIMETABLE}?mine=true")
    with django_assert_num_queries(1) as small:  # the page (short: no count; the user is cached)
        client.get(f"{TIMETABLE}?mine=true&page_size=100")
    for period in range(3, 13):
        teacher = TeacherFactory(school=cast.school)
        subject = SubjectFactory(school=cast.school)
        TimetableEntryFactory(
            section=school_year.sec_a,
            subject=subject,
            teacher=teacher,
            weekday=3,
            period=period,
            start_time=dt.time(period + 5),
            end_time=dt.time(period + 5, 45),
        )
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(f"{TIMETABLE}?mine=true&page_size=100").json()["count"] == 13
