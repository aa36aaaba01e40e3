"""Pagination counts only when a page is full: a short page is the last one, so its count is
known without a COUNT query. Counts, links and errors are Django's and DRF's."""

from __future__ import annotations

import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import User
from apps.accounts.tests.factories import UserFactory
from apps.core.pagination import CountingPaginator


@pytest.fixture
def seven_users(db):
    school = UserFactory(role="admin").school
    for index in range(6):
        UserFactory(school=school, role="teacher", email=f"t{index}@page.test")
    return User.objects.filter(school=school).order_by("email")


def _counted(paginator, number):
    with CaptureQueriesContext(connection) as queries:
        page = paginator.page(number)
        total = paginator.count
    counts = [q for q in queries.captured_queries if "COUNT(" in q["sql"]]
    return page, total, len(counts), len(queries)


@pytest.mark.parametrize(
    ("per_page", "number", "rows", "counts"),
    [(3, 1, 3, 1), (3, 2, 3, 1), (3, 3, 1, 0), (10, 1, 7, 0), (7, 1, 7, 1)],
)
def test_a_count_query_only_for_a_full_page(seven_users, per_page, number, rows, counts):
    page, total, count_queries, queries = _counted(CountingPaginator(seven_users, per_page), number)
    assert (len(page.object_list), total, count_queries) == (rows, 7, counts)
    assert queries == 1 + counts
    expected = Paginator(seven_users, per_page).page(number)
    assert list(page.object_list) == list(expected.object_list)
    assert (page.has_next(), page.has_previous()) == (expected.has_next(), expected.has_previous())
    assert page.paginator.num_pages == expected.paginator.num_pages


def test_an_empty_list_has_one_empty_page(db):
    page = CountingPaginator(User.objects.none().order_by("pk"), 5).page(1)
    assert (list(page), page.paginator.count, page.has_next()) == ([], 0, False)


@pytest.mark.parametrize(
    ("number", "error", "message"),
    [
        (4, EmptyPage, "That page contains no results"),
        (9, EmptyPage, "That page contains no results"),
        (2**62, EmptyPage, "That page contains no results"),  # past PostgreSQL's bigint OFFSET
        (0, EmptyPage, "That page number is less than 1"),
        ("x", PageNotAnInteger, "That page number is not an integer"),
        (1.5, PageNotAnInteger, "That page number is not an integer"),
    ],
)
def test_pages_out_of_range_are_refused_as_django_refuses_them(seven_users, number, error, message):
    with pytest.raises(error, match=message):
        CountingPaginator(seven_users, 3).page(number)
    with pytest.raises(error, match=message):
        Paginator(seven_users, 3).page(number)


def test_the_api_answers_the_same_count_and_links(cast, api):
    client = api(cast.admin)
    whole = client.get("/api/v1/users/?page_size=200").json()
    assert whole["count"] == len(whole["results"]) and whole["next"] is None
    size = max(1, whole["count"] - 1)
    first = client.get(f"/api/v1/users/?page_size={size}").json()
    assert first["count"] == whole["count"] and first["next"].endswith(f"page=2&page_size={size}")
    last = client.get(f"/api/v1/users/?page_size={size}&page=2").json()
    assert (last["count"], len(last["results"]), last["next"]) == (whole["count"], 1, None)
    assert client.get(f"/api/v1/users/?page_size={size}&page=3").status_code == 404
    assert client.get("/api/v1/users/?page=last").json()["count"] == whole["count"]


def test_a_page_number_past_the_database_offset_is_a_404(cast, api):
    response = api(cast.admin).get("/api/v1/users/", {"page": 10**20})
    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "not_found"
