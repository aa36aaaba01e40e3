"""Enrollments through the API: capacity, one section per year, roll numbers, who sees what."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.academics.models import Enrollment
from apps.accounts.tests.factories import StudentFactory
from apps.core.models import AuditLog

from .factories import AcademicYearFactory, EnrollmentFactory, SectionFactory

ENROLLMENTS = "/api/v1/enrollments/"


def enrol(client, student, section, **extra):
    body = {"student": str(student.pk), "section": str(section.pk), **extra}
    return client.post(ENROLLMENTS, body, format="json")


def test_admin_enrolls_with_the_next_roll_number(school_year, cast, api):
    newcomer = StudentFactory(school=cast.school, user__full_name="Nia New")
    response = enrol(api(cast.admin), newcomer, school_year.sec_a)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["roll_number"] == 3
    assert (body["student_name"], body["section_name"], body["year_name"]) == (
        "Nia New",
        "5-A",
        "2026-27",
    )
    enrollment = Enrollment.objects.get(pk=body["id"])
    assert enrollment.year == school_year.year and enrollment.school == cast.school
    entry = AuditLog.objects.get(action="enrollment.create")
    assert entry.after == {
        "student": str(newcomer.pk),
        "section": str(school_year.sec_a.pk),
        "year": str(school_year.year.pk),
        "roll_number": 3,
    }


def test_section_capacity_is_enforced(school_year, cast, api):
    school_year.sec_a.capacity = 3
    school_year.sec_a.save()
    client = api(cast.admin)
    assert enrol(client, StudentFactory(school=cast.school), school_year.sec_a).status_code == 201
    late = StudentFactory(school=cast.school)
    response = enrol(client, late, school_year.sec_a)
    assert response.status_code == 400
    message = "5-A is full (3 of 3 places taken)."
    assert response.json()["error"] == {
        "code": "section_full",
        "message": message,
        "fields": {"section": [message]},
    }
    assert not Enrollment.objects.filter(student=late).exists()
    assert school_year.sec_a.enrollments.count() == 3


def test_a_student_is_in_one_section_per_year(school_year, cast, api):
    client = api(cast.admin)
    response = enrol(client, cast.sibling, school_year.sec_a)
    assert response.status_code == 400
    message = "Sia Student is already enrolled in 5-B for 2026-27."
    assert response.json()["error"] == {
        "code": "already_enrolled",
        "message": message,
        "fields": {"student": [message]},
    }
    # Another year is another matter.
    next_year = AcademicYearFactory(
        school=cast.school,
        name="2027-28",
        start_date=dt.date(2027, 4, 1),
        end_date=dt.date(2028, 3, 31),
    )
    six_a = SectionFactory(school_class__school=cast.school, year=next_year, name="A")
    assert enrol(client, cast.sibling, six_a).status_code == 201
    assert cast.sibling.enrollments.count() == 2


def test_roll_numbers_are_unique_within_a_section(school_year, cast, api):
    client = api(cast.admin)
    response = enrol(client, StudentFactory(school=cast.school), school_year.sec_a, roll_number=2)
    assert response.status_code == 400
    message = "Roll number 2 in 5-A is already taken by Oscar Other."
    assert response.json()["error"]["fields"] == {"roll_number": [message]}
    # The same number in another section is fine.
    ok = enrol(client, StudentFactory(school=cast.school), school_year.sec_b, roll_number=2)
    assert ok.status_code == 201, ok.json()
    change = client.patch(
        f"{ENROLLMENTS}{school_year.enrol_student.pk}/", {"roll_number": 2}, format="json"
    )
    assert change.status_code == 400
    keep = client.patch(
        f"{ENROLLMENTS}{school_year.enrol_student.pk}/", {"roll_number": 1}, format="json"
    )
    assert keep.status_code == 200  # its own number is not a clash


def test_move_to_another_section_of_the_same_year(school_year, cast, api):
    client = api(cast.admin)
    url = f"{ENROLLMENTS}{school_year.enrol_other.pk}/"
    response = client.patch(url, {"section": str(school_year.sec_b.pk)}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["section_name"] == "5-B"
    assert response.json()["roll_number"] == 2  # next free in 5-B
    school_year.enrol_other.refresh_from_db()
    assert school_year.enrol_other.section == school_year.sec_b
    entry = AuditLog.objects.get(action="enrollment.update")
    assert entry.before == {"section": str(school_year.sec_a.pk)}
    assert entry.after == {"section": str(school_year.sec_b.pk)}

    school_year.sec_a.capacity = 1
    school_year.sec_a.save()
    full = client.patch(url, {"section": str(school_year.sec_a.pk)}, format="json")
    assert full.status_code == 400 and full.json()["error"]["code"] == "section_full"

    old_year = AcademicYearFactory(school=cast.school)
    elsewhere = SectionFactory(school_class=school_year.klass, year=old_year, name="A")
    other_year = client.patch(url, {"section": str(elsewhere.pk)}, format="json")
    assert other_year.status_code == 400
    assert other_year.json()["error"]["code"] == "other_year"
    school_year.enrol_other.refresh_from_db()
    assert school_year.enrol_other.section == school_year.sec_b


@pytest.mark.parametrize("field", ["student", "section"])
def test_enrollment_links_to_another_school_are_not_found(school_year, cast, api, field):
    student = cast.student2 if field == "student" else StudentFactory(school=cast.school)
    section = school_year.sec2 if field == "section" else school_year.sec_a
    response = enrol(api(cast.admin), student, section)
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {field: ["Not found in your school."]}
    assert not Enrollment.objects.filter(student=student).exists()
    assert not school_year.sec2.enrollments.exists()


def test_unenroll(school_year, cast, api):
    response = api(cast.admin).delete(f"{ENROLLMENTS}{school_year.enrol_other.pk}/")
    assert response.status_code == 204
    assert not Enrollment.objects.filter(pk=school_year.enrol_other.pk).exists()
    assert AuditLog.objects.filter(action="enrollment.delete").count() == 1


# --- Who sees which enrollments -------------------------------------------------------------------
def visible(client, query=""):
    body = client.get(f"{ENROLLMENTS}{query}").json()
    return {(row["student_name"], row["section_name"]) for row in body["results"]}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin", {("Sam Student", "5-A"), ("Oscar Other", "5-A"), ("Sia Student", "5-B")}),
        ("teacher", {("Sam Student", "5-A"), ("Oscar Other", "5-A")}),
        ("student", {("Sam Student", "5-A")}),
        ("parent", {("Sam Student", "5-A"), ("Sia Student", "5-B")}),
        ("accountant", {("Sam Student", "5-A"), ("Oscar Other", "5-A"), ("Sia Student", "5-B")}),
        ("admin2", set()),
    ],
)
def test_enrollment_list_is_scoped(school_year, cast, api, persona, expected):
    assert visible(api(cast.user(persona))) == expected


def test_enrollment_detail_outside_scope_is_not_found(school_year, cast, api):
    sibling_url = f"{ENROLLMENTS}{school_year.enrol_sibling.pk}/"
    assert api(cast.teacher.user).get(sibling_url).status_code == 404
    assert api(cast.student.user).get(sibling_url).status_code == 404
    assert api(cast.parent).get(sibling_url).status_code == 200
    assert api(cast.admin2).get(sibling_url).status_code == 404
    assert api(cast.admin2).delete(sibling_url).status_code == 404
    assert Enrollment.objects.filter(pk=school_year.enrol_sibling.pk).exists()


def test_class_teacher_sees_their_section(school_year, cast, api):
    school_year.sec_b.class_teacher = cast.teacher
    school_year.sec_b.save()
    assert ("Sia Student", "5-B") in visible(api(cast.teacher.user))


def test_teacher_sees_only_current_year_enrollments(school_year, cast, api):
    old_year = AcademicYearFactory(school=cast.school)
    old = SectionFactory(
        school_class=school_year.klass, year=old_year, name="A", class_teacher=cast.teacher
    )
    EnrollmentFactory(section=old, student=cast.sibling)
    assert visible(api(cast.teacher.user)) == {("Sam Student", "5-A"), ("Oscar Other", "5-A")}
    assert visible(api(cast.admin), f"?year={old_year.pk}") == {("Sia Student", old.display_name)}


def test_enrollment_filters_and_search(school_year, cast, api):
    client = api(cast.admin)
    assert visible(client, f"?section={school_year.sec_b.pk}") == {("Sia Student", "5-B")}
    assert visible(client, f"?student={cast.student.pk}") == {("Sam Student", "5-A")}
    assert visible(client, "?search=oscar") == {("Oscar Other", "5-A")}
    assert len(visible(client, f"?school_class={school_year.klass.pk}&current=true")) == 3
    rows = client.get(f"{ENROLLMENTS}?section={school_year.sec_a.pk}").json()["results"]
    assert [row["roll_number"] for row in rows] == [1, 2]


@pytest.mark.parametrize("persona", ["admin", "teacher", "parent"])
def test_enrollment_list_query_count_is_constant(
    school_year, cast, api, django_assert_num_queries, persona
):
    client = api(cast.user(persona))
    client.get(ENROLLMENTS)
    with django_assert_num_queries(1) as small:  # the page (short: no count; the user is cached)
        client.get(ENROLLMENTS)
    for _ in range(12):
        student = StudentFactory(school=cast.school)
        EnrollmentFactory(section=school_year.sec_a, student=student)
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(f"{ENROLLMENTS}?page_size=100")
