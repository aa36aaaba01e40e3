"""The access rules of the reports, called directly."""

from __future__ import annotations

import pytest
from django.http import Http404

from apps.accounts.tests.factories import StaffFactory
from apps.analytics import scopes
from apps.analytics.selectors import REPORTS

pytestmark = pytest.mark.django_db


def test_who_may_read_which_report(cast, school_year):
    keeper = StaffFactory(school=cast.school, user__duties=["Store manager"]).user
    transport = StaffFactory(school=cast.school, user__duties=["Transport manager"]).user
    plain = StaffFactory(school=cast.school).user
    everything = sorted(REPORTS)
    assert scopes.readable_reports(cast.admin, everything) == everything
    assert scopes.readable_reports(cast.teacher.user, everything) == [
        "attendance-trend", "chronic-absentees", "performance"]  # fmt: skip
    assert scopes.readable_reports(cast.accountant.user, everything) == [
        "fee-ageing", "fee-collection"]  # fmt: skip
    assert scopes.readable_reports(keeper, everything) == ["stock-movements", "stock-value"]
    assert scopes.readable_reports(transport, everything) == ["transport-occupancy"]
    for user in (plain, cast.student.user, cast.parent):
        assert scopes.readable_reports(user, everything) == []
    cast.admin.is_active = False
    assert not scopes.may_read_report(cast.admin, "attendance-trend")


def test_report_sections(cast, school_year):
    sy = school_year
    assert scopes.report_section_ids(cast.admin) is None
    assert scopes.report_section_ids(cast.teacher.user) == {str(sy.sec_a.pk)}
    assert scopes.report_section(cast.teacher.user, sy.sec_a.pk) == sy.sec_a
    with pytest.raises(Http404):
        scopes.report_section(cast.teacher.user, sy.sec_b.pk)
    with pytest.raises(Http404):
        scopes.report_section(cast.admin, sy.sec2.pk)  # another school's
    assert scopes.report_section(cast.admin, sy.sec_b.pk) == sy.sec_b
