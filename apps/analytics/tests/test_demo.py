"""The demo seed's rollups: the demo school's past days, idempotent."""

from __future__ import annotations

import pytest

from apps.accounts.demo import SeedReport
from apps.analytics import demo
from apps.analytics.models import AttendanceDaily, StudentAttendanceMonth

pytestmark = pytest.mark.django_db


def test_demo_rolls_up_the_past_days(cast, week):
    report = SeedReport()
    demo.seed_analytics(report=report, school=cast.school)
    assert report.created["rollup rows: attendance"] == 10
    rows = sorted(AttendanceDaily.objects.values_list("section_id", "date", "present"))
    demo.seed_analytics(report=SeedReport(), school=cast.school)
    assert sorted(AttendanceDaily.objects.values_list("section_id", "date", "present")) == rows
    assert StudentAttendanceMonth.objects.filter(school=cast.school).count() == 3
