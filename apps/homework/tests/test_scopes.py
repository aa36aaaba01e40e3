"""The named access helpers of `apps.homework.scopes`, persona by persona: the setting teacher,
a colleague teaching another subject in the section, the subject's teacher in another section,
a student in the section and in another section, the parent of the child and of another
family, and another school's admin."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.accounts.tests.factories import GuardianFactory, UserFactory
from apps.homework import scopes
from apps.homework.models import Grade, Submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def work(cast, school_year, homework):
    """Sam's and Oscar's work, graded; only Sam's grade released."""
    rows = {}
    for student in (cast.student, cast.other_student):
        rows[student.pk] = Submission.objects.create(
            school=cast.school, assignment=homework, student=student, section=school_year.sec_a,
            status="on_time", turned_in_at=timezone.now(),
        )  # fmt: skip
        Grade.objects.create(
            school=cast.school, assignment=homework, student=student, marks=5, final_marks=5,
            released_at=timezone.now() if student == cast.student else None,
        )  # fmt: skip
    return rows


def test_scopes_by_persona(cast, school_year, homework, work):
    oscar_parent = UserFactory(school=cast.school, role="parent")
    GuardianFactory(student=cast.other_student, parent=oscar_parent)
    people = {
        "teacher": cast.teacher.user, "colleague": cast.colleague.user,
        "vera": school_year.vera.user, "student": cast.student.user,
        "sibling": cast.sibling.user, "parent": cast.parent, "oscar_parent": oscar_parent,
        "admin": cast.admin, "admin2": cast.admin2,
    }  # fmt: skip
    sees = {k: scopes.readable_assignments(u).filter(pk=homework.pk).exists()
            for k, u in people.items()}  # fmt: skip
    assert sees == {"teacher": True, "colleague": True, "vera": False, "student": True,
                    "sibling": False, "parent": True, "oscar_parent": True, "admin": True,
                    "admin2": False}  # fmt: skip
    work_seen = {k: set(scopes.readable_submissions(u).values_list("student_id", flat=True))
                 for k, u in people.items()}  # fmt: skip
    both = {cast.student.pk, cast.other_student.pk}
    assert work_seen["teacher"] == both == work_seen["admin"]
    assert work_seen["colleague"] == set() == work_seen["vera"] == work_seen["sibling"]
    assert work_seen["student"] == {cast.student.pk} == work_seen["parent"]
    assert work_seen["oscar_parent"] == {cast.other_student.pk}
    assert work_seen["admin2"] == set()
    grades_seen = {k: set(scopes.readable_grades(u).values_list("student_id", flat=True))
                   for k, u in people.items()}  # fmt: skip
    assert grades_seen["teacher"] == both == grades_seen["admin"]
    assert grades_seen["parent"] == {cast.student.pk}
    assert grades_seen["oscar_parent"] == set()  # not released yet
    assert grades_seen["colleague"] == set()
    manages = {k: scopes.can_manage_assignment(u, homework) for k, u in people.items()}
    assert {k for k, v in manages.items() if v} == {"teacher", "admin"}


def test_teacher_of_the_subject_manages_a_colleagues_homework(cast, school_year, homework):
    homework.created_by = school_year.vera.user  # set by someone else
    homework.save()
    assert scopes.can_manage_assignment(cast.teacher.user, homework)  # teaches maths in 5-A
    homework.sections.add(school_year.sec_b)  # ... but not in 5-B
    homework = type(homework).objects.get(pk=homework.pk)
    assert not scopes.can_manage_assignment(cast.teacher.user, homework)
    assert scopes.can_manage_assignment(school_year.vera.user, homework)
