"""Shared test cast: the same people in two schools, and API clients signed in as each.

School one ("alice's school"): admin, teacher, student, parent of two children (the student and
a sibling), an accountant (staff with the Accountant duty). School two: an admin and a student.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from apps.accounts.duties import ACCOUNTANT
from apps.accounts.models import Role
from apps.accounts.tests.factories import (
    GuardianFactory,
    SchoolFactory,
    StaffFactory,
    StudentFactory,
    TeacherFactory,
    UserFactory,
)


@dataclass
class Cast:
    school: object
    admin: object
    teacher: object
    student: object  # StudentProfile
    sibling: object  # StudentProfile
    other_student: object  # StudentProfile of school one, not the parent's child
    parent: object
    accountant: object
    school2: object
    admin2: object
    student2: object  # StudentProfile in school two

    def user(self, persona: str):
        return {
            "admin": self.admin,
            "teacher": self.teacher.user,
            "student": self.student.user,
            "parent": self.parent,
            "accountant": self.accountant.user,
            "admin2": self.admin2,
        }[persona]


PERSONAS = ["admin", "teacher", "student", "parent", "accountant", "admin2"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _clean_cache():
    """Each test starts with an empty cache namespace (lockout counters, throttles)."""
    from django.core.cache import cache

    cache.delete_pattern("*") if hasattr(cache, "delete_pattern") else cache.clear()
    yield


@pytest.fixture
def cast(db) -> Cast:
    school = SchoolFactory(name="Alice Public School", code="alice")
    school2 = SchoolFactory(name="Bob International", code="bob")
    student = StudentFactory(
        school=school, user__full_name="Sam Student", user__email="sam@alice.test"
    )
    sibling = StudentFactory(
        school=school, user__full_name="Sia Student", user__email="sia@alice.test"
    )
    other = StudentFactory(
        school=school, user__full_name="Oscar Other", user__email="oscar@alice.test"
    )
    parent = UserFactory(
        school=school, role=Role.PARENT, full_name="Pat Parent", email="pat@alice.test"
    )
    GuardianFactory(student=student, parent=parent, relation="mother", is_primary=True)
    GuardianFactory(student=sibling, parent=parent, relation="mother", is_primary=True)
    return Cast(
        school=school,
        admin=UserFactory(
            school=school, role=Role.ADMIN, full_name="Alice Admin", email="alice@alice.test"
        ),
        teacher=TeacherFactory(
            school=school, user__full_name="Tara Teacher", user__email="tara@alice.test"
        ),
        student=student,
        sibling=sibling,
        other_student=other,
        parent=parent,
        accountant=StaffFactory(
            school=school,
            user__full_name="Ajay Accountant",
            user__email="ajay@alice.test",
            user__duties=[ACCOUNTANT],
        ),
        school2=school2,
        admin2=UserFactory(
            school=school2, role=Role.ADMIN, full_name="Bob Admin", email="bob@bob.test"
        ),
        student2=StudentFactory(
            school=school2, user__full_name="Zed Student", user__email="zed@bob.test"
        ),
    )


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token = RefreshToken.for_user(user)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.access_token}")
    return client


@pytest.fixture
def api():
    """`api(user)` is an APIClient signed in as `user` (or anonymous for None)."""
    return client_for
