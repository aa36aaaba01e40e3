"""Classes, sections, subjects and teaching assignments through the API."""

from __future__ import annotations

import pytest

from apps.academics.models import SchoolClass, Section, Subject, TeachingAssignment
from apps.accounts.tests.factories import StudentFactory, TeacherFactory
from apps.core.models import AuditLog

from .factories import (
    EnrollmentFactory,
    SchoolClassFactory,
    SectionFactory,
    SubjectFactory,
    TeachingAssignmentFactory,
    TimetableEntryFactory,
)

CLASSES = "/api/v1/classes/"
SECTIONS = "/api/v1/sections/"
SUBJECTS = "/api/v1/subjects/"
ASSIGNMENTS = "/api/v1/teaching-assignments/"
NOT_FOUND = ["Not found in your school."]


# --- Classes ------------------------------------------------------------------------------------
def test_classes_are_listed_by_order_and_unique_by_name(school_year, cast, api):
    client = api(cast.admin)
    created = client.post(CLASSES, {"name": "Class 10", "order": 10}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["label"] == "10"
    lkg = client.post(CLASSES, {"name": "LKG", "order": 0}, format="json").json()
    assert lkg["label"] == "LKG"
    rows = api(cast.student.user).get(CLASSES).json()["results"]
    assert [row["name"] for row in rows] == ["LKG", "Class 5", "Class 10"]
    duplicate = client.post(CLASSES, {"name": "class 5"}, format="json")
    assert duplicate.status_code == 400
    assert duplicate.json()["error"]["code"] == "duplicate_name"
    assert SchoolClass.objects.filter(school=cast.school).count() == 3
    # The same name in school two is fine.
    assert api(cast.admin2).post(CLASSES, {"name": "Class 10"}, format="json").status_code == 201


def test_class_with_sections_cannot_be_deleted(school_year, cast, api):
    client = api(cast.admin)
    response = client.delete(f"{CLASSES}{school_year.klass.pk}/")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Class 5 still has 2 section(s); delete them first."
    )
    spare = SchoolClassFactory(school=cast.school)
    assert client.delete(f"{CLASSES}{spare.pk}/").status_code == 204
    assert AuditLog.objects.filter(action="school_class.delete", object_id=str(spare.pk)).exists()


# --- Sections -----------------------------------------------------------------------------------
def section_body(school_year, **extra):
    return {
        "school_class": str(school_year.klass.pk),
        "year": str(school_year.year.pk),
        "name": "C",
        **extra,
    }


def test_admin_creates_a_section(school_year, cast, api):
    body = section_body(school_year, class_teacher=str(cast.teacher.pk), room="R5C", capacity=30)
    response = api(cast.admin).post(SECTIONS, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["display_name"] == "5-C"
    assert data["school_class_name"] == "Class 5" and data["year_name"] == "2026-27"
    assert data["class_teacher"] == str(cast.teacher.pk)
    assert data["class_teacher_name"] == "Tara Teacher"
    assert (data["room"], data["capacity"], data["enrolled_count"]) == ("R5C", 30, 0)
    section = Section.objects.get(pk=data["id"])
    assert section.school == cast.school and section.class_teacher == cast.teacher
    entry = AuditLog.objects.get(action="section.create")
    assert entry.after["class_teacher"] == str(cast.teacher.pk)


def test_section_names_are_unique_per_class_and_year(school_year, cast, api):
    response = api(cast.admin).post(SECTIONS, section_body(school_year, name="a"), format="json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "5-a already exists in 2026-27."
    assert response.json()["error"]["fields"].keys() == {"name"}


@pytest.mark.parametrize("field", ["school_class", "year", "class_teacher"])
def test_section_links_to_another_school_are_not_found(school_year, cast, api, field):
    other = {
        "school_class": school_year.klass2.pk,
        "year": school_year.year2.pk,
        "class_teacher": TeacherFactory(school=cast.school2).pk,
    }[field]
    body = section_body(school_year, **{field: str(other)})
    response = api(cast.admin).post(SECTIONS, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {field: NOT_FOUND}
    assert not Section.objects.filter(name="C").exists()


def test_section_update_and_capacity_floor(school_year, cast, api):
    client = api(cast.admin)
    url = f"{SECTIONS}{school_year.sec_a.pk}/"
    low = client.patch(url, {"capacity": 1}, format="json")
    assert low.status_code == 400
    assert low.json()["error"] == {
        "code": "capacity_below_enrolled",
        "message": "5-A already has 2 students; the capacity cannot be lower.",
        "fields": {"capacity": ["5-A already has 2 students; the capacity cannot be lower."]},
    }
    ok = client.patch(url, {"capacity": 2, "class_teacher": str(cast.teacher.pk)}, format="json")
    assert ok.status_code == 200, ok.json()
    assert ok.json()["capacity"] == 2 and ok.json()["enrolled_count"] == 2
    cleared = client.patch(url, {"class_teacher": None}, format="json")
    assert cleared.json()["class_teacher"] is None
    school_year.sec_a.refresh_from_db()
    assert school_year.sec_a.capacity == 2 and school_year.sec_a.class_teacher is None


def test_section_with_students_cannot_be_deleted(school_year, cast, api):
    client = api(cast.admin)
    response = client.delete(f"{SECTIONS}{school_year.sec_a.pk}/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "in_use"
    empty = SectionFactory(school_class=school_year.klass, year=school_year.year, name="Z")
    TeachingAssignmentFactory(section=empty, subject=school_year.maths, teacher=cast.teacher)
    assert client.delete(f"{SECTIONS}{empty.pk}/").status_code == 204
    assert not TeachingAssignment.objects.filter(section_id=empty.pk).exists()


def test_sections_filter_and_search(school_year, cast, api):
    client = api(cast.teacher.user)
    rows = client.get(f"{SECTIONS}?year={school_year.year.pk}").json()["results"]
    assert [row["display_name"] for row in rows] == ["5-A", "5-B"]
    assert rows[0]["enrolled_count"] == 2 and rows[1]["enrolled_count"] == 1
    found = client.get(f"{SECTIONS}?search=R5B").json()["results"]
    assert [row["display_name"] for row in found] == ["5-B"]
    assert client.get(f"{SECTIONS}?year={school_year.year2.pk}").json()["count"] == 0


def test_section_list_query_count_is_constant(school_year, cast, api, django_assert_num_queries):
    client = api(cast.teacher.user)
    client.get(SECTIONS)  # warm up
    with django_assert_num_queries(1) as small:  # the page (short: no count; the user is cached)
        assert client.get(SECTIONS).json()["count"] == 2
    for _ in range(15):
        section = SectionFactory(
            school_class=SchoolClassFactory(school=cast.school),
            year=school_year.year,
            class_teacher=TeacherFactory(school=cast.school),
        )
        EnrollmentFactory(section=section)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(f"{SECTIONS}?page_size=100").json()["count"] == 17


# --- Section roster -----------------------------------------------------------------------------
def roster(client, section):
    response = client.get(f"{SECTIONS}{section.pk}/students/")
    return response.status_code, [
        (row["roll_number"], row["full_name"]) for row in response.json().get("results", [])
    ]


def test_section_roster_is_scoped(school_year, cast, api):
    both = [(1, "Sam Student"), (2, "Oscar Other")]
    assert roster(api(cast.admin), school_year.sec_a) == (200, both)
    assert roster(api(cast.teacher.user), school_year.sec_a) == (200, both)
    assert roster(api(cast.teacher.user), school_year.sec_b) == (200, [])  # not their section
    assert roster(api(cast.parent), school_year.sec_a) == (200, [(1, "Sam Student")])
    assert roster(api(cast.parent), school_year.sec_b) == (200, [(1, "Sia Student")])
    assert roster(api(cast.student.user), school_year.sec_a) == (200, [(1, "Sam Student")])
    assert roster(api(cast.accountant.user), school_year.sec_a) == (200, both)
    assert roster(api(cast.admin2), school_year.sec_a)[0] == 404
    body = api(cast.admin).get(f"{SECTIONS}{school_year.sec_a.pk}/students/").json()
    assert body["results"][0] == {
        "enrollment": str(school_year.enrol_student.pk),
        "roll_number": 1,
        "student": str(cast.student.pk),
        "full_name": "Sam Student",
        "admission_number": cast.student.admission_number,
    }


def test_section_roster_query_count_is_constant(school_year, cast, api, django_assert_num_queries):
    client = api(cast.admin)
    url = f"{SECTIONS}{school_year.sec_a.pk}/students/"
    client.get(url)
    with django_assert_num_queries(2) as small:  # section, page (short: no count; user cached)
        client.get(url)
    for _ in range(10):
        EnrollmentFactory(section=school_year.sec_a, student=StudentFactory(school=cast.school))
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(url).json()["count"] == 12


# --- Subjects -----------------------------------------------------------------------------------
def test_subject_codes_are_upper_case_and_unique(school_year, cast, api):
    client = api(cast.admin)
    created = client.post(SUBJECTS, {"name": "English", "code": " eng "}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["code"] == "ENG"
    duplicate = client.post(SUBJECTS, {"name": "Maths again", "code": "math"}, format="json")
    assert duplicate.status_code == 400
    assert duplicate.json()["error"]["fields"] == {
        "code": ["The code MATH is already used by another subject."]
    }
    rename = client.patch(f"{SUBJECTS}{school_year.science.pk}/", {"code": "eng"}, format="json")
    assert rename.status_code == 400
    assert Subject.objects.filter(school=cast.school).count() == 3
    names = [row["name"] for row in api(cast.parent).get(SUBJECTS).json()["results"]]
    assert names == ["English", "Mathematics", "Science"]


def test_subject_in_use_cannot_be_deleted(school_year, cast, api):
    client = api(cast.admin)
    response = client.delete(f"{SUBJECTS}{school_year.maths.pk}/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "in_use"
    assert client.delete(f"{SUBJECTS}{school_year.science.pk}/").status_code == 400  # Cole's
    unused = SubjectFactory(school=cast.school, name="Art", code="ART")
    assert client.delete(f"{SUBJECTS}{unused.pk}/").status_code == 204


# --- Teaching assignments -----------------------------------------------------------------------
def test_admin_assigns_a_teacher(school_year, cast, api):
    body = {
        "teacher": str(cast.teacher.pk),
        "section": str(school_year.sec_b.pk),
        "subject": str(school_year.science.pk),
    }
    client = api(cast.admin)
    response = client.post(ASSIGNMENTS, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (
        data["teacher_name"],
        data["section_name"],
        data["subject_name"],
        data["year_name"],
    ) == (
        "Tara Teacher",
        "5-B",
        "Science",
        "2026-27",
    )
    assignment = TeachingAssignment.objects.get(pk=data["id"])
    assert assignment.year == school_year.year and assignment.school == cast.school
    again = client.post(ASSIGNMENTS, body, format="json")
    assert again.status_code == 400
    assert again.json()["error"]["message"] == "Tara Teacher already teaches Science in 5-B."
    assert AuditLog.objects.filter(action="teaching_assignment.create").count() == 1


@pytest.mark.parametrize("field", ["teacher", "section", "subject"])
def test_assignment_links_to_another_school_are_not_found(school_year, cast, api, field):
    body = {
        "teacher": str(cast.teacher.pk),
        "section": str(school_year.sec_b.pk),
        "subject": str(school_year.science.pk),
    }
    before = TeachingAssignment.objects.count()
    body[field] = str(
        {
            "teacher": TeacherFactory(school=cast.school2).pk,
            "section": school_year.sec2.pk,
            "subject": school_year.subject2.pk,
        }[field]
    )
    response = api(cast.admin).post(ASSIGNMENTS, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {field: NOT_FOUND}
    assert TeachingAssignment.objects.count() == before


def test_assignment_with_periods_cannot_be_deleted(school_year, cast, api):
    client = api(cast.admin)
    TimetableEntryFactory(
        section=school_year.sec_a, subject=school_year.maths, teacher=cast.teacher
    )
    response = client.delete(f"{ASSIGNMENTS}{school_year.assignment.pk}/")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Tara Teacher still has 1 Mathematics period(s) in 5-A; remove them from the timetable "
        "first."
    )
    school_year.sec_a.timetable_entries.all().delete()
    assert client.delete(f"{ASSIGNMENTS}{school_year.assignment.pk}/").status_code == 204
    assert not TeachingAssignment.objects.filter(pk=school_year.assignment.pk).exists()


def test_assignments_are_readable_by_the_school_and_filterable(school_year, cast, api):
    rows = api(cast.student.user).get(f"{ASSIGNMENTS}?teacher={cast.teacher.pk}").json()["results"]
    assert [row["id"] for row in rows] == [str(school_year.assignment.pk)]
    assert api(cast.admin2).get(ASSIGNMENTS).json()["count"] == 0
    assert api(cast.admin2).get(f"{ASSIGNMENTS}{school_year.assignment.pk}/").status_code == 404
    assert api(cast.teacher.user).post(ASSIGNMENTS, {}, format="json").status_code == 403
    assert (
        api(cast.admin).patch(f"{ASSIGNMENTS}{school_year.assignment.pk}/", {}).status_code == 405
    )
