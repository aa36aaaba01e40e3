"""Students carry where they are this year, and the list filters by section and class."""

from __future__ import annotations

import uuid

import pytest

from apps.academics.tests.factories import (
    AcademicYearFactory,
    EnrollmentFactory,
    SchoolClassFactory,
    SectionFactory,
)
from apps.core.testing import assert_compiled_list_matches

STUDENTS = "/api/v1/students/"


@pytest.fixture
def classes(cast):
    """This year: Sam in 5-A (roll 7), Sia in 6-A; Oscar was in 5-A last year only."""
    this_year = AcademicYearFactory(school=cast.school, name="2026-27", is_current=True)
    last_year = AcademicYearFactory(
        school=cast.school, name="2025-26", is_current=False, start_date="2025-04-01",
        end_date="2026-03-31",
    )  # fmt: skip
    five = SchoolClassFactory(school=cast.school, name="Class 5", order=5)
    six = SchoolClassFactory(school=cast.school, name="Class 6", order=6)
    five_a = SectionFactory(school_class=five, year=this_year, name="A")
    six_a = SectionFactory(school_class=six, year=this_year, name="A")
    old_five_a = SectionFactory(school_class=five, year=last_year, name="A")
    EnrollmentFactory(section=five_a, student=cast.student, roll_number=7)
    EnrollmentFactory(section=six_a, student=cast.sibling, roll_number=1)
    EnrollmentFactory(section=old_five_a, student=cast.other_student, roll_number=3)
    # another school's class and section, for the probes below
    theirs = SectionFactory(school_class__school=cast.school2, year__school=cast.school2)
    EnrollmentFactory(section=theirs, student=cast.student2, roll_number=1)
    return {"five": five, "six": six, "five_a": five_a, "six_a": six_a, "theirs": theirs,
            "year": this_year}  # fmt: skip


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(row["full_name"] for row in response.json()["results"])


def test_students_carry_their_current_class_section_roll_and_year(cast, api, classes):
    rows = {r["full_name"]: r for r in api(cast.admin).get(STUDENTS).json()["results"]}
    assert rows["Sam Student"]["current_enrollment"] == {
        "academic_year": {"id": str(classes["year"].pk), "name": "2026-27"},
        "school_class": {"id": str(classes["five"].pk), "name": "Class 5"},
        "section": {"id": str(classes["five_a"].pk), "name": "5-A"},
        "roll_number": 7,
    }
    assert rows["Sia Student"]["current_enrollment"]["section"]["name"] == "6-A"
    assert rows["Oscar Other"]["current_enrollment"] is None  # enrolled last year only
    detail = api(cast.parent).get(f"{STUDENTS}{cast.student.pk}/").json()
    assert detail["current_enrollment"]["roll_number"] == 7


def test_the_list_filters_by_section_and_class(cast, api, classes):
    client = api(cast.admin)
    assert names(client.get(STUDENTS, {"section": classes["five_a"].pk})) == ["Sam Student"]
    assert names(client.get(STUDENTS, {"school_class": classes["five"].pk})) == ["Sam Student"]
    assert names(client.get(STUDENTS, {"school_class": classes["six"].pk})) == ["Sia Student"]
    assert len(names(client.get(STUDENTS))) == 3  # the filter was applied above


def test_another_schools_section_answers_like_a_random_id(cast, api, classes):
    client = api(cast.admin)
    theirs = client.get(STUDENTS, {"section": classes["theirs"].pk})
    random = client.get(STUDENTS, {"section": uuid.uuid4()})
    assert names(theirs) == names(random) == []
    assert client.get(STUDENTS, {"section": "not-a-uuid"}).status_code == 400


def test_the_admin_list_shows_class_section_and_roll_in_constant_queries(
    cast, classes, client, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from apps.accounts.tests.factories import StudentFactory

    client.force_login(cast.admin)
    url = reverse("admin:accounts_studentprofile_changelist")
    with CaptureQueriesContext(connection) as few:
        page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "5-A" in html and "6-A" in html
    row = next(r for r in page.context["cl"].result_list if r.pk == cast.student.pk)
    assert row.current[0].roll_number == 7

    for number in range(10):
        EnrollmentFactory(
            section=classes["five_a"], student=StudentFactory(school=cast.school),
            roll_number=20 + number,
        )  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_the_list_is_a_summary_and_the_detail_has_the_rest(cast, api, classes):
    client = api(cast.admin)
    row = next(r for r in client.get(STUDENTS).json()["results"] if r["id"] == str(cast.student.pk))
    assert set(row) == {
        "id", "user", "email", "full_name", "is_active", "admission_number", "roll_number",
        "gender", "admission_date", "photo_url", "current_enrollment",
    }  # fmt: skip
    assert row["email"] == "sam@alice.test" and row["current_enrollment"]["roll_number"] == 7
    detail = client.get(f"{STUDENTS}{cast.student.pk}/").json()
    assert detail["guardians"][0]["full_name"] == "Pat Parent"
    assert detail["current_enrollment"] == row["current_enrollment"]


@pytest.mark.parametrize("prepared", [False, True], ids=["sent", "prepared"])
def test_the_compiled_list_answers_what_the_queryset_path_answers_for_every_reader(
    cast, api, classes, settings, prepared
):
    """A list asked with no filter is read through SQL compiled once per role (sent as it is,
    or as a prepared statement); asked with an ordering it goes through the filtered queryset.
    Same rows, pages and counts for everyone, each reader seeing their own set."""
    settings.DATABASE_PREPARED_STATEMENTS = prepared
    EnrollmentFactory(section=classes["five_a"], student=cast.other_student, roll_number=9)
    seen = {}
    for name, user in {
        "admin": cast.admin,
        "parent": cast.parent,
        "student": cast.student.user,
        "teacher": cast.teacher.user,
        "other school": cast.admin2,
    }.items():
        rows = assert_compiled_list_matches(api(user), STUDENTS, "admission_number", name)
        seen[name] = {row["full_name"] for row in rows}
    assert seen["admin"] == {"Sam Student", "Sia Student", "Oscar Other"}
    assert seen["parent"] == {"Sam Student", "Sia Student"}
    assert seen["student"] == {"Sam Student"}
    assert seen["other school"] == {"Zed Student"}
