"""The attendance read rules, called directly for each persona the rules depend on."""

from __future__ import annotations

import uuid

import pytest
from django.http import Http404

from apps.attendance import scopes


def test_readable_sections_per_persona(cast, school_year, att):
    both = {school_year.sec_a.pk, school_year.sec_b.pk}

    def ids(user):
        return set(scopes.readable_sections(user).values_list("pk", flat=True))

    assert ids(cast.admin) == both
    assert ids(cast.teacher.user) == {
        school_year.sec_a.pk
    }  # teaches in and is class teacher of 5-A
    assert ids(school_year.vera.user) == {
        school_year.sec_b.pk
    }  # class teacher of and teaches in 5-B
    assert ids(cast.colleague.user) == {school_year.sec_a.pk}  # teaches Science in 5-A
    assert ids(cast.student.user) == {school_year.sec_a.pk}
    assert ids(cast.parent) == both  # Sam in 5-A, Sia in 5-B
    assert ids(cast.admin2) == {school_year.sec2.pk}  # school two's own


def test_readable_section_is_a_404_outside_the_scope(cast, school_year, att):
    assert scopes.readable_section(cast.teacher.user, school_year.sec_a.pk) == school_year.sec_a
    for user, section_id in (
        (cast.teacher.user, school_year.sec_b.pk),  # a colleague's section
        (cast.admin2, school_year.sec_a.pk),  # another school's
        (cast.admin, uuid.uuid4()),
    ):
        with pytest.raises(Http404):
            scopes.readable_section(user, section_id)


def test_readable_student_follows_the_people_scope(cast, att):
    assert scopes.readable_student(cast.parent, cast.student.pk) == cast.student
    with pytest.raises(Http404):
        scopes.readable_student(cast.parent, cast.other_student.pk)  # not their child
    with pytest.raises(Http404):
        scopes.readable_student(cast.admin2, cast.student.pk)


def test_own_student_is_only_for_students(cast, att):
    assert scopes.own_student(cast.student.user) == cast.student
    assert scopes.own_student(cast.parent) is None
    assert scopes.own_student(cast.teacher.user) is None


def test_visible_marks_cut_a_section_to_ones_own(cast, att):
    marks = [
        {"student_id": str(cast.student.pk)},
        {"student_id": str(cast.other_student.pk)},
    ]
    assert scopes.visible_marks(cast.teacher.user, marks) == marks
    assert scopes.visible_marks(cast.student.user, marks) == marks[:1]
    assert scopes.visible_marks(cast.parent, marks) == marks[:1]
    assert scopes.visible_marks(cast.sibling.user, marks) == []
