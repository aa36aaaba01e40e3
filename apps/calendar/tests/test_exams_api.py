"""The exam schedule through the API: clashes named in the 400, who sees which papers."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.academics.tests.factories import SchoolClassFactory, SectionFactory
from apps.calendar.models import ExamScheduleEntry
from apps.core.models import AuditLog

from .factories import ExamScheduleEntryFactory

EXAMS = "/api/v1/exam-schedule/"


def paper(school_year, **extra):
    body = {
        "exam_name": "Term 1 exams",
        "section": str(school_year.sec_a.pk),
        "subject": str(school_year.maths.pk),
        "date": "2026-09-14",
        "start_time": "09:00",
        "end_time": "12:00",
    }
    body.update({k: str(v.pk) if hasattr(v, "pk") else v for k, v in extra.items()})
    return body


def test_admin_schedules_a_paper(school_year, cast, api):
    response = api(cast.admin).post(EXAMS, paper(school_year, max_marks=80), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body == {
        "id": body["id"],
        "exam_name": "Term 1 exams",
        "school_class": None,
        "school_class_name": None,
        "section": str(school_year.sec_a.pk),
        "section_name": "5-A",
        "audience_name": "5-A",
        "subject": str(school_year.maths.pk),
        "subject_name": "Mathematics",
        "date": "2026-09-14",
        "start_time": "09:00",
        "end_time": "12:00",
        "room": "R5A",  # the section's own room when none is given
        "max_marks": 80,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    entry = ExamScheduleEntry.objects.get(pk=body["id"])
    assert entry.school == cast.school and entry.end_time == dt.time(12, 0)
    log = AuditLog.objects.get(action="exam_entry.create")
    assert log.actor == cast.admin and log.after["max_marks"] == 80


def test_overlapping_paper_for_the_same_section_is_refused_naming_the_clash(school_year, cast, api):
    client = api(cast.admin)
    assert client.post(EXAMS, paper(school_year), format="json").status_code == 201
    response = client.post(
        EXAMS,
        paper(school_year, subject=school_year.science, start_time="11:00", end_time="13:00"),
        format="json",
    )
    assert response.status_code == 400
    message = "5-A already has Mathematics (Term 1 exams) on 14 Sep 2026 09:00-12:00."
    assert response.json()["error"] == {
        "code": "exam_clash",
        "message": message,
        "fields": {"start_time": [message], "end_time": [message]},
    }
    assert ExamScheduleEntry.objects.count() == 1
    # Back to back is fine, and another section may sit a paper at the same time.
    ok = paper(school_year, subject=school_year.science, start_time="12:00", end_time="13:00")
    assert client.post(EXAMS, ok, format="json").status_code == 201
    other = paper(school_year, section=school_year.sec_b)
    assert client.post(EXAMS, other, format="json").status_code == 201


def test_a_class_paper_clashes_with_its_sections_papers(school_year, cast, api):
    client = api(cast.admin)
    assert client.post(EXAMS, paper(school_year, section=school_year.sec_b)).status_code == 201
    class_paper = paper(school_year, subject=school_year.science, start_time="10:00")
    class_paper.update({"section": None, "school_class": str(school_year.klass.pk)})
    response = client.post(EXAMS, class_paper, format="json")
    assert response.status_code == 400
    assert "5-B already has Mathematics" in response.json()["error"]["message"]

    class_paper["date"] = "2026-09-15"
    assert client.post(EXAMS, class_paper, format="json").status_code == 201
    clash = paper(school_year, date="2026-09-15", start_time="11:30", end_time="12:30")
    response = client.post(EXAMS, clash, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Class 5 already has Science (Term 1 exams) on 15 Sep 2026 10:00-12:00."
    )


def test_an_update_into_a_clash_is_refused(school_year, cast, api):
    first = ExamScheduleEntryFactory(section=school_year.sec_a, subject=school_year.maths)
    second = ExamScheduleEntryFactory(
        section=school_year.sec_a, subject=school_year.science, date=dt.date(2026, 9, 15)
    )
    client = api(cast.admin)
    response = client.patch(f"{EXAMS}{second.pk}/", {"date": "2026-09-14"}, format="json")
    assert response.status_code == 400
    assert "Mathematics" in response.json()["error"]["message"]
    second.refresh_from_db()
    assert second.date == dt.date(2026, 9, 15)
    # Moving a paper within its own slot is no clash with itself.
    response = client.patch(f"{EXAMS}{first.pk}/", {"end_time": "11:00"}, format="json")
    assert response.status_code == 200, response.json()
    assert AuditLog.objects.get(action="exam_entry.update").after == {"end_time": "11:00:00"}
    assert client.delete(f"{EXAMS}{first.pk}/").status_code == 204
    assert not ExamScheduleEntry.objects.filter(pk=first.pk).exists()


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"section": None}, "section"),
        ({"school_class": "KLASS"}, "section"),
        ({"end_time": "08:00"}, "end_time"),
    ],
)
def test_inconsistent_papers_are_refused(school_year, cast, api, extra, field):
    body = paper(school_year, **extra)
    body = {k: str(school_year.klass.pk) if v == "KLASS" else v for k, v in body.items()}
    response = api(cast.admin).post(EXAMS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"], response.json()


@pytest.mark.parametrize("field", ["section", "subject"])
def test_another_schools_ids_are_field_errors(school_year, cast, api, field):
    other = {"section": school_year.sec2, "subject": school_year.subject2}[field]
    response = api(cast.admin).post(EXAMS, paper(school_year, **{field: other}), format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {field: ["Not found in your school."]}


@pytest.fixture
def papers(school_year, cast):
    klass6 = SchoolClassFactory(school=cast.school, name="Class 6", order=6)
    sec_6a = SectionFactory(school_class=klass6, year=school_year.year, name="A")
    return {
        "5a": ExamScheduleEntryFactory(section=school_year.sec_a, subject=school_year.maths),
        "5b": ExamScheduleEntryFactory(section=school_year.sec_b, subject=school_year.maths),
        "class5": ExamScheduleEntryFactory(
            section=None,
            school=cast.school,
            school_class=school_year.klass,
            subject=school_year.science,
            date=dt.date(2026, 9, 15),
        ),
        "6a": ExamScheduleEntryFactory(section=sec_6a, date=dt.date(2026, 9, 16)),
        "bob": ExamScheduleEntryFactory(section=school_year.sec2, subject=school_year.subject2),
    }


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("admin", {"5a", "5b", "class5", "6a"}),
        ("accountant", {"5a", "5b", "class5", "6a"}),
        ("teacher", {"5a", "class5"}),
        ("student", {"5a", "class5"}),
        ("parent", {"5a", "5b", "class5"}),
        ("admin2", {"bob"}),
    ],
)
def test_who_sees_which_papers(papers, cast, api, persona, expected):
    response = api(cast.user(persona)).get(EXAMS)
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert ids == {str(papers[key].pk) for key in expected}


def test_exam_filters(papers, school_year, cast, api):
    client = api(cast.admin)

    def ids(query):
        return {row["id"] for row in client.get(f"{EXAMS}?{query}").json()["results"]}

    def of(*keys):
        return {str(papers[key].pk) for key in keys}

    assert ids(f"section={school_year.sec_b.pk}") == of("5b", "class5")
    assert ids(f"school_class={school_year.klass.pk}") == of("5a", "5b", "class5")
    assert ids("from=2026-09-15&to=2026-09-15") == of("class5")
    assert ids(f"subject={school_year.science.pk}") == of("class5")
    assert api(cast.parent).get(f"{EXAMS}?mine=true").json()["count"] == 3


def test_exam_list_query_count_is_constant(
    papers, school_year, cast, api, django_assert_num_queries
):
    client = api(cast.parent)
    client.get(EXAMS)
    with django_assert_num_queries(1) as few:  # the page (short: no count; the user is cached)
        client.get(EXAMS)
    for index in range(12):
        ExamScheduleEntryFactory(section=school_year.sec_b, date=dt.date(2026, 10, 1 + index))
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(f"{EXAMS}?page_size=100").json()["count"] == 15


def test_clash_message_speaks_hindi(school_year, cast, api):
    client = api(cast.admin)
    assert client.post(EXAMS, paper(school_year), format="json").status_code == 201
    response = client.post(EXAMS, paper(school_year), format="json", HTTP_ACCEPT_LANGUAGE="hi")
    assert response.status_code == 400
    assert "पहले से" in response.json()["error"]["message"]
