"""Compiled reads: built once per shape, then sent with each call's values; the same rows as
the queryset, and a refusal (at the first call) of a builder whose SQL depends on a value."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.db.models import F, Value
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import Role, User
from apps.accounts.tests.factories import SchoolFactory, UserFactory
from apps.core.access import scope_queryset
from apps.core.compiled import CompiledQuery, NotCompilable, Page, StandIn
from apps.core.pagination import CountingPaginator


@pytest.fixture
def people(db):
    school, other = SchoolFactory(), SchoolFactory()
    admin = UserFactory(school=school, role=Role.ADMIN, email="a@one.test", full_name="Ann")
    for n in range(4):
        UserFactory(school=school, role=Role.TEACHER, email=f"t{n}@one.test", full_name=f"T{n}")
    UserFactory(school=other, role=Role.TEACHER, email="x@two.test", full_name="Xavier")
    return admin, school, other


def _emails(user):
    return scope_queryset(User.objects.all(), user).order_by("email").values("email")


def test_rows_are_the_querysets_and_the_builder_runs_once_per_shape(people):
    admin, school, _ = people
    built = []

    def build(user, role):
        built.append(user)
        return (
            scope_queryset(User.objects.all(), user)
            .filter(role=role)
            .order_by("email")
            .values("id", "email", name=F("full_name"))
        )

    query = CompiledQuery(build)
    teachers = query.rows(admin, role="teacher")
    expected = list(
        User.objects.filter(school=school, role="teacher")
        .order_by("email")
        .values("id", "email", name=F("full_name"))
    )
    assert teachers == expected and len(teachers) == 4
    assert isinstance(teachers[0]["id"], uuid.UUID)  # converted as Django converts
    assert query.rows(admin, role="admin")[0]["email"] == "a@one.test"
    # Two stand-in builds at the first call, none after: the shape (role admin) is compiled.
    assert len(built) == 2 and all(isinstance(u, StandIn) for u in built)
    assert built[0].pk != admin.pk and built[0].school_id != school.pk


def test_each_caller_gets_their_own_schools_rows(people):
    admin, _, other = people
    admin2 = UserFactory(school=other, role=Role.ADMIN, email="b@two.test")
    query = CompiledQuery(_emails)
    assert [r["email"] for r in query.rows(admin)][0] == "a@one.test"
    assert [r["email"] for r in query.rows(admin2)] == ["b@two.test", "x@two.test"]


def test_a_role_is_a_shape_of_its_own(people):
    admin, school, _ = people
    teacher = User.objects.get(email="t0@one.test")
    query = CompiledQuery(_emails)
    assert len(query.rows(admin)) == 5
    # scope_queryset has no rule for a teacher reading users: nothing, not the admin's rows.
    assert query.rows(teacher) == list(_emails(teacher))


def test_one_query_per_call_and_list_values_by_length(people):
    admin, school, _ = people
    ids = list(User.objects.filter(school=school).order_by("email").values_list("pk", flat=True))
    query = CompiledQuery(
        lambda ids: User.objects.filter(pk__in=ids).order_by("email").values("email")
    )
    with CaptureQueriesContext(connection) as queries:
        two = query.rows(ids=ids[:2])
        three = query.rows(ids=ids[:3])
    assert [r["email"] for r in two] == ["a@one.test", "t0@one.test"]
    assert len(three) == 3
    assert len(queries) == 2


def test_a_builder_whose_sql_depends_on_a_value_is_refused(people):
    # `contains` rewrites the value into a pattern: the stand-in is no longer found as given.
    query = CompiledQuery(lambda text: User.objects.filter(email__contains=text).values("email"))
    with pytest.raises(NotCompilable):
        query.rows(text="one")
    # A datetime or bool cannot be a parameter at all.
    with pytest.raises(NotCompilable):
        CompiledQuery(lambda when: User.objects.filter(date_joined__gte=when).values("pk")).rows(
            when=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        )
    with pytest.raises(NotCompilable):
        CompiledQuery(lambda yes: User.objects.filter(is_active=yes).values("pk")).rows(yes=True)
    # A value the builder ignores would silently not filter: refused too.
    with pytest.raises(NotCompilable):
        CompiledQuery(lambda school_id: User.objects.values("pk")).rows(school_id=uuid.uuid4())
    # Not a .values() queryset.
    with pytest.raises(NotCompilable):
        CompiledQuery(lambda school_id: User.objects.filter(school_id=school_id)).rows(
            school_id=uuid.uuid4()
        )


def test_fixed_values_shape_the_sql(people):
    admin, school, _ = people

    def build(school_id, by_name):
        qs = User.objects.filter(school_id=school_id)
        return qs.order_by("full_name" if by_name else "-email").values("email")

    query = CompiledQuery(build, fixed=("by_name",))
    by_name = [r["email"] for r in query.rows(school_id=school.pk, by_name=True)]
    by_email = [r["email"] for r in query.rows(school_id=school.pk, by_name=False)]
    assert by_name[0] == "a@one.test" and by_email[0] == "t3@one.test"


def test_a_page_is_one_limited_read_and_counts_only_when_full(people):
    admin, school, _ = people
    query = CompiledQuery(_emails)
    with CaptureQueriesContext(connection) as queries:
        page = CountingPaginator(Page(query, admin), 2).page(2)
        total = page.paginator.count
    assert [r["email"] for r in page.object_list] == ["t1@one.test", "t2@one.test"]
    assert total == 5
    assert len(queries) == 2  # the page, then COUNT(*) because it was full
    with CaptureQueriesContext(connection) as queries:
        last = CountingPaginator(Page(query, admin), 2).page(3)
        assert last.paginator.count == 5
    assert [r["email"] for r in last.object_list] == ["t3@one.test"] and len(queries) == 1


def test_a_shape_that_matches_nothing_answers_without_a_query(people):
    query = CompiledQuery(lambda ids: User.objects.filter(pk__in=ids).values("email"))
    with CaptureQueriesContext(connection) as queries:
        assert query.rows(ids=[]) == []
        assert query.count(ids=[]) == 0
    assert len(queries) == 0
    assert len(query.rows(ids=[User.objects.first().pk])) == 1


def test_uuids_can_stay_the_text_postgres_sends(people):
    admin, school, _ = people
    as_text = CompiledQuery(
        lambda school_id: (
            User.objects.filter(school_id=school_id).order_by("email").values("id", "school_id")
        ),
        uuids_as_text=True,
    )
    rows = as_text.rows(school_id=school.pk)
    assert rows[0] == {"id": str(admin.pk), "school_id": str(school.pk)}
    # the setting is the query's own: another compiled read still gets UUIDs
    assert isinstance(CompiledQuery(_emails).rows(admin)[0]["email"], str)
    plain = CompiledQuery(lambda pk: User.objects.filter(pk=pk).values("id")).rows(pk=admin.pk)
    assert plain == [{"id": admin.pk}] and isinstance(plain[0]["id"], uuid.UUID)


@pytest.fixture
def prepared(settings):
    settings.DATABASE_PREPARED_STATEMENTS = True


def test_prepared_statements_answer_the_same_rows_and_are_prepared_once(people, prepared):
    admin, school, _ = people
    query = CompiledQuery(
        lambda school_id, pattern: (
            User.objects.filter(school_id=school_id, email__gt=pattern)
            .order_by("email")
            .values("id", "email")
        )
    )
    expected = list(
        User.objects.filter(school=school, email__gt="b").order_by("email").values("id", "email")
    )
    with CaptureQueriesContext(connection) as queries:
        first = query.rows(school_id=school.pk, pattern="b")
        again = query.rows(school_id=school.pk, pattern="b")
        page = query.rows(school_id=school.pk, pattern="b", limit=2, offset=1)
        total = query.count(school_id=school.pk, pattern="b")
    assert first == again == expected and page == expected[1:3] and total == len(expected) == 4
    sent = [q["sql"] for q in queries.captured_queries]
    assert len(sent) == 4 and all(q.startswith("EXECUTE s24_") for q in sent)
    names = {q.split("(")[0] for q in sent}
    assert len(names) == 3  # the rows (twice), the page, the count: each prepared once
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 's24_%%'")
        assert cursor.fetchone()[0] >= 3


def test_a_statement_postgres_will_not_prepare_is_sent_as_it_is_and_the_transaction_lives_on(
    people, prepared
):
    admin, school, _ = people
    # A parameter with no type to infer: PREPARE refuses it ("could not determine data type").
    query = CompiledQuery(
        lambda school_id, label: (
            User.objects.filter(school_id=school_id)
            .extra(where=["%s IS NOT NULL"], params=[label])  # noqa: S610 - a test of PREPARE
            .order_by("email")
            .values("email")
            .annotate(label=Value("fixed"))
        )
    )
    rows = query.rows(school_id=school.pk, label="x")
    assert rows[0] == {"email": "a@one.test", "label": "fixed"}
    # the caller's transaction (the test's) still works, and the refusal is remembered
    assert User.objects.filter(school=school).count() == 5
    with CaptureQueriesContext(connection) as queries:
        assert len(query.rows(school_id=school.pk, label="y")) == 5
    assert not queries.captured_queries[0]["sql"].startswith("EXECUTE")
