"""Teachers see the students they teach through the existing people endpoints.

"Teach" means: enrolled in the current year in a section the teacher has a teaching assignment
for or is class teacher of (the provider registered with apps.core.access).
"""

from __future__ import annotations

import pytest

from apps.accounts.models import StudentProfile
from apps.accounts.scopes import can_view_student
from apps.accounts.tests.factories import GuardianFactory, StudentFactory, TeacherFactory
from apps.core.access import scope_queryset

from .factories import (
    AcademicYearFactory,
    EnrollmentFactory,
    SectionFactory,
    TeachingAssignmentFactory,
)

STUDENTS = "/api/v1/students/"
GUARDIANS = "/api/v1/guardians/"


def student_names(client) -> set[str]:
    body = client.get(STUDENTS).json()
    assert body["count"] == len(body["results"])
    return {row["full_name"] for row in body["results"]}


def test_teacher_sees_exactly_the_students_of_their_sections(school_year, cast, api):
    client = api(cast.teacher.user)
    assert student_names(client) == {"Sam Student", "Oscar Other"}
    assert client.get(f"{STUDENTS}{cast.student.pk}/").status_code == 200
    assert client.get(f"{STUDENTS}{cast.other_student.pk}/").status_code == 200
    assert client.get(f"{STUDENTS}{cast.sibling.pk}/").status_code == 404  # in 5-B
    assert client.get(f"{STUDENTS}{cast.student2.pk}/").status_code == 404  # school two


def test_teacher_without_classes_sees_nobody(school_year, cast, api):
    newcomer = TeacherFactory(school=cast.school)
    assert student_names(api(newcomer.user)) == set()
    assert api(newcomer.user).get(f"{STUDENTS}{cast.student.pk}/").status_code == 404


def test_class_teacher_sees_their_section(school_year, cast, api):
    kim = TeacherFactory(school=cast.school)
    school_year.sec_b.class_teacher = kim
    school_year.sec_b.save()
    assert student_names(api(kim.user)) == {"Sia Student"}


def test_visibility_follows_assignments_as_they_change(school_year, cast, api):
    client = api(cast.teacher.user)
    TeachingAssignmentFactory(
        section=school_year.sec_b, subject=school_year.science, teacher=cast.teacher
    )
    assert student_names(client) == {"Sam Student", "Oscar Other", "Sia Student"}
    school_year.assignment.delete()
    # still 5-A's class teacher
    assert student_names(client) == {"Sam Student", "Oscar Other", "Sia Student"}
    school_year.sec_a.class_teacher = None
    school_year.sec_a.save()
    assert student_names(client) == {"Sia Student"}


def test_only_the_current_year_counts(school_year, cast, api):
    last_year = AcademicYearFactory(school=cast.school)
    old = SectionFactory(school_class=school_year.klass, year=last_year, name="A")
    TeachingAssignmentFactory(section=old, subject=school_year.maths, teacher=cast.teacher)
    EnrollmentFactory(section=old, student=cast.sibling)
    assert student_names(api(cast.teacher.user)) == {"Sam Student", "Oscar Other"}

    # Switching the current year moves what the teacher sees along with it.
    response = api(cast.admin).post(f"/api/v1/academic-years/{last_year.pk}/set-current/")
    assert response.status_code == 200
    assert student_names(api(cast.teacher.user)) == {"Sia Student"}


def test_no_current_year_means_no_taught_students(school_year, cast, api):
    school_year.year.is_current = False
    school_year.year.save()
    assert student_names(api(cast.teacher.user)) == set()


def test_teacher_sees_guardian_links_of_taught_students_only(school_year, cast, api):
    GuardianFactory(student=cast.other_student, relation="father")
    rows = api(cast.teacher.user).get(GUARDIANS).json()["results"]
    assert {row["student_name"] for row in rows} == {"Sam Student", "Oscar Other"}
    sibling_link = cast.sibling.guardians.get()
    assert api(cast.teacher.user).get(f"{GUARDIANS}{sibling_link.pk}/").status_code == 404


def test_taught_students_never_cross_schools(school_year, cast):
    """Even a (corrupt) enrollment of another school's student grants nothing there."""
    EnrollmentFactory(section=school_year.sec_a, student=cast.student2, school=cast.school)
    visible = scope_queryset(StudentProfile.objects.all(), cast.teacher.user)
    assert set(visible.values_list("pk", flat=True)) == {cast.student.pk, cast.other_student.pk}
    assert can_view_student(cast.teacher.user, cast.student)
    assert not can_view_student(cast.teacher.user, cast.sibling)


def test_other_teachers_in_other_schools_do_not_see_school_one(school_year, cast, api):
    teacher2 = TeacherFactory(school=cast.school2)
    TeachingAssignmentFactory(
        section=school_year.sec2, subject=school_year.subject2, teacher=teacher2
    )
    EnrollmentFactory(section=school_year.sec2, student=cast.student2)
    assert student_names(api(teacher2.user)) == {"Zed Student"}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin", {"Sam Student", "Sia Student", "Oscar Other"}),
        ("parent", {"Sam Student", "Sia Student"}),
        ("student", {"Sam Student"}),
        ("teacher", {"Sam Student", "Oscar Other"}),
        ("accountant", {"Sam Student", "Sia Student", "Oscar Other"}),
        ("admin2", {"Zed Student"}),
    ],
)
def test_student_list_is_scoped_with_classes(school_year, cast, api, persona, expected):
    """The people API's scoping table, once the school has classes."""
    assert student_names(api(cast.user(persona))) == expected


def test_student_list_query_count_is_constant_for_teachers(
    school_year, cast, api, django_assert_num_queries
):
    client = api(cast.teacher.user)
    client.get(STUDENTS)
    # page, current enrollments (a short page: no count; the user is cached; guardians are on
    # the detail)
    with django_assert_num_queries(2) as small:
        client.get(STUDENTS)
    for _ in range(10):
        EnrollmentFactory(section=school_year.sec_a, student=StudentFactory(school=cast.school))
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(f"{STUDENTS}?page_size=100").json()["count"] == 12
