"""The homework cast: the shared `school_year` (root conftest) in a current year around today.
Tara (cast.teacher) teaches Mathematics in 5-A and sets homework there; Cole (cast.colleague)
teaches Science in 5-A; Vera teaches Mathematics in 5-B. Sam (cast.student) and Oscar are in
5-A, Sia (cast.sibling, Pat's other child) in 5-B; Oscar's family is not Pat's.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.core.testing import year_around

from .factories import AssignmentFactory


@pytest.fixture
def school_year_span():
    return year_around(timezone.localdate())


@pytest.fixture
def homework(cast, school_year):
    """Tara's published Mathematics homework for 5-A, due in two days, 10 marks."""
    return AssignmentFactory(
        school=cast.school, subject=school_year.maths, created_by=cast.teacher.user,
        sections=[school_year.sec_a],
    )  # fmt: skip


@pytest.fixture
def past_due(cast, school_year):
    """Tara's homework for 5-A, due 3 days ago (a penalty of 10% a day, capped at 25%), with a
    cut-off in two days."""
    now = timezone.now()
    return AssignmentFactory(
        school=cast.school, subject=school_year.maths, created_by=cast.teacher.user,
        sections=[school_year.sec_a], due_at=now - dt.timedelta(days=2, hours=12),
        cutoff_at=now + dt.timedelta(days=2), late_policy="penalty",
        penalty_percent_per_day="10", penalty_cap_percent="25", assigned_on=now.date() - dt.timedelta(days=5),
    )  # fmt: skip
