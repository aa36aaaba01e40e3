from __future__ import annotations

import pytest

from apps.attendance.services import attendance_mark

from .conftest import TODAY

URL = "/api/v1/dashboard/"
pytestmark = pytest.mark.django_db


def mark(section, actor, statuses: dict):
    attendance_mark(
        actor=actor, section=section, date=TODAY, period=None,
        entries=[{"student": s.pk, "status": st} for s, st in statuses.items()],
    )  # fmt: skip


def test_smoke_every_role(cast, school_year, api):
    for user in (
        cast.admin,
        cast.teacher.user,
        cast.parent,
        cast.student.user,
        cast.accountant.user,
    ):
        r = api(user).get(URL)
        assert r.status_code == 200, r.content
        print(user.role, sorted(r.json()["sections"]))
