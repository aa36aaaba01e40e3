"""Sections of the domains on the dashboards: duties (store and transport managers), homework,
exam results, each computed from the caller's own rows and refreshed by the writes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache as django_cache

from apps.accounts.duties import STORE_MANAGER, TRANSPORT_MANAGER
from apps.accounts.tests.factories import StaffFactory
from apps.core.signals import announce_change
from apps.dashboard import cache
from apps.exams import services as exams
from apps.exams.models import ResultRun, StudentResult
from apps.exams.tests.factories import compute
from apps.homework.models import Submission, SubmissionStatus
from apps.homework.tests.factories import AssignmentFactory
from apps.inventory.tests.factories import (
    ItemFactory,
    ReorderRuleFactory,
    StoreFactory,
    receive,
)
from apps.transport.tests.factories import TripFactory

from .conftest import NOW

URL = "/api/v1/dashboard/"
pytestmark = pytest.mark.django_db


def sections(api, user):
    response = api(user).get(URL)
    assert response.status_code == 200, response.content
    return response.json()["sections"]


def test_store_manager_sees_low_stock_and_a_movement_refreshes_it(
    cast, school_year, api, django_capture_on_commit_callbacks
):
    keeper = StaffFactory(school=cast.school, user__duties=[STORE_MANAGER]).user
    store = StoreFactory(school=cast.school)
    item = ItemFactory(school=cast.school, name="Chalk")
    ReorderRuleFactory(item=item, store=store, reorder_level=Decimal("10"))
    other = ItemFactory(school=cast.school2)
    ReorderRuleFactory(item=other, store=StoreFactory(school=cast.school2))
    with django_capture_on_commit_callbacks(execute=True):
        receive(cast.school, keeper, item, store, "5", "2")
    stock = sections(api, keeper)["stock"]
    assert stock["low_stock_count"] == 1 and stock["low_stock"][0]["name"] == "Chalk"
    assert set(sections(api, keeper)) == {"alerts", "stock", "upcoming"}
    assert {"kind": "low_stock", "count": 1} in sections(api, cast.admin)["alerts"]
    with django_capture_on_commit_callbacks(execute=True):
        receive(cast.school, keeper, item, store, "20", "2")
    assert sections(api, keeper)["stock"]["low_stock_count"] == 0
    assert "stock" not in sections(api, cast.accountant.user)


def test_transport_manager_sees_the_fleet(cast, school_year, api):
    manager = StaffFactory(school=cast.school, user__duties=[TRANSPORT_MANAGER]).user
    TripFactory(route__school=cast.school)
    TripFactory(route__school=cast.school2)
    fleet = sections(api, manager)["transport"]
    assert fleet["trips"] == 1 and fleet["not_started"] == 1 and fleet["running"] == []
    assert "fees" not in sections(api, manager)
    assert "transport" not in sections(api, cast.accountant.user)


def test_homework_to_grade_and_due_per_child(cast, school_year, api):
    sy = school_year
    set_for_a = AssignmentFactory(school=cast.school, subject=sy.maths, sections=[sy.sec_a],
                                  created_by=cast.teacher.user,
                                  due_at=NOW + dt.timedelta(days=2))  # fmt: skip
    set_for_b = AssignmentFactory(school=cast.school, subject=sy.maths, sections=[sy.sec_b],
                                  created_by=sy.vera.user, due_at=NOW + dt.timedelta(days=1))  # fmt: skip
    Submission.objects.create(school=cast.school, assignment=set_for_a, student=cast.student,
                              section=sy.sec_a, status=SubmissionStatus.ON_TIME,
                              turned_in_at=NOW)  # fmt: skip
    mine = sections(api, cast.teacher.user)["homework"]
    assert mine["to_grade"] == 1 and mine["assignments"][0]["assignment"] == str(set_for_a.pk)
    assert sections(api, sy.vera.user)["homework"]["to_grade"] == 0  # not her section's work
    children = {c["student"]: c for c in sections(api, cast.parent)["homework"]["children"]}
    assert children[str(cast.student.pk)]["due"] == []  # turned in
    assert [d["assignment"] for d in children[str(cast.sibling.pk)]["due"]] == [str(set_for_b.pk)]
    load = sections(api, cast.admin)["homework"]["per_class"]
    assert load == [{"school_class": str(sy.klass.pk), "name": "Class 5", "assignments": 2}]
    assert sections(api, cast.admin2)["homework"]["per_class"] == []


def test_the_signal_replaces_the_generation_after_commit(
    cast, school_year, django_capture_on_commit_callbacks
):
    before = cache.generation(cast.school.pk)
    other = cache.generation(cast.school2.pk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        announce_change(cast.school.pk, "fees")
    assert cache.generation(cast.school.pk) == before  # not before the commit
    for callback in callbacks:
        callback()
    assert cache.generation(cast.school.pk) != before
    assert cache.generation(cast.school2.pk) == other
    django_cache.delete(f"dashboard:gen:{cast.school.pk}")  # evicted: a new token
    assert cache.generation(cast.school.pk) not in (before, None)


def admin_percent(student) -> str:
    return str(StudentResult.objects.get(student=student).percent)


def test_publishing_results_refreshes_the_figures(
    cast,
    school_year,
    final,
    marked,
    api,
    django_capture_on_commit_callbacks,  # noqa: F811
):
    compute(api, cast, school_year, final, django_capture_on_commit_callbacks)
    admin = sections(api, cast.admin)["results"]
    assert admin["runs_to_publish"] == 1 and admin["results_published"] == 0
    assert sections(api, cast.parent)["results"]["children"][0]["recent"] == []
    with django_capture_on_commit_callbacks(execute=True):
        exams.results_publish(run=ResultRun.objects.get(), actor=cast.admin)
    admin = sections(api, cast.admin)["results"]
    assert admin["runs_published"] == 1 and admin["results_published"] == 6  # all Class 5
    children = {c["student"]: c for c in sections(api, cast.parent)["results"]["children"]}
    assert set(children) == {str(cast.student.pk), str(cast.sibling.pk)}
    assert len(children[str(cast.student.pk)]["recent"]) == 1
    assert [r["percent"] for r in children[str(cast.student.pk)]["recent"]] == [
        admin_percent(cast.student)
    ]  # decimals as strings, as the API's decimal fields
    bands = sections(api, cast.admin)["charts"]["performance"]
    assert (
        sum(b["students"] for b in bands)
        == StudentResult.objects.filter(percent__isnull=False).count()
    )
