"""Reads whose SQL is built once per process and shape, then sent with each call's values.

Building a scoped queryset and compiling it costs Django 1-4 ms of CPU per request (the
filters, the scope's subqueries, joins, ordering), far more than PostgreSQL then spends on
the query. A hot read whose SQL differs between calls only in its values (the caller's id and
school, a section, a day) is wrapped in a `CompiledQuery`: its builder runs the first time a
shape is asked for, with stand-in values, and from then on the cached SQL is sent with the
call's values. The builder is the ordinary queryset code (the scope rules of `scopes.py`
included), so the rule stays in one place and the SQL is exactly what Django would send.

A shape is the caller's role and platform-superuser flag, the `fixed` values (passed to the
builder as they are: they may change the SQL) and the length of every list value. The first
compile of a shape builds the query twice with two sets of stand-ins and refuses (raises
`NotCompilable`) unless the SQL is identical and the stand-ins, and only they, differ between
the two parameter lists, each where its name put it. A value Django would rewrite (a `contains`
pattern, a string cast to a UUID) is therefore caught at the first call, in the tests, not
served wrong.

Rows come back as the queryset's `.values()` dicts, converted by the same converters Django
applies (with `uuids_as_text`, uuid columns stay the strings PostgreSQL sends). Values must be
given as the column's own Python type: `uuid.UUID`, `datetime.date`, `int` or `str` (a bool is
refused: `True` is also a constant in many queries).

With DATABASE_PREPARED_STATEMENTS (the default) each statement is PREPAREd once per database
connection and then EXECUTEd, so PostgreSQL plans it once instead of on every call (`_prepared`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg2
import psycopg2.extensions
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

from apps.core.roles import Role

_counter = itertools.count(1)
# uuid columns as the text PostgreSQL sends, for rows whose ids only go out as strings: parsing
# a register's 300-odd ids into UUID objects and printing them again cost a fifth of its read.
_UUID_AS_TEXT = psycopg2.extensions.new_type((2950,), "UUID_AS_TEXT", lambda value, _cur: value)
COMPILED_ROLES = frozenset({Role.ADMIN, Role.TEACHER, Role.STUDENT, Role.PARENT})


def compiles_for(user) -> bool:
    """Whether a scoped read of `user` can be compiled: a school's admin, teacher, student or
    parent. Staff read through Django permissions, which a stand-in cannot be asked, and a
    platform superuser reads unscoped: theirs go through the queryset."""
    return bool(user.school_id) and user.role in COMPILED_ROLES


class NotCompilable(Exception):
    """The builder's SQL depends on a value, not only on the shape: it cannot be cached."""


@dataclass(frozen=True)
class StandIn:
    """What a builder sees of the caller: enough for the access rules, which read only these."""

    pk: Any
    school_id: Any
    role: str
    is_superuser: bool
    is_active: bool = True

    @property
    def id(self):
        return self.pk

    @property
    def is_authenticated(self) -> bool:
        return True


def _stand_in(value):
    """A fresh value of `value`'s type that appears nowhere else in any query."""
    n = next(_counter)
    if isinstance(value, bool):
        raise NotCompilable("a bool cannot be a parameter of a compiled query")
    if isinstance(value, uuid.UUID):
        return uuid.uuid4()
    if isinstance(value, dt.datetime):
        raise NotCompilable("a datetime cannot be a parameter of a compiled query")
    if isinstance(value, dt.date):
        return dt.date(1000, 1, 1) + dt.timedelta(days=n % 300_000)
    if isinstance(value, int):
        return -(10**15) - n
    if isinstance(value, str):
        return f"\x1fstand-in-{n}-{uuid.uuid4().hex}"
    raise NotCompilable(f"a {type(value).__name__} cannot be a parameter of a compiled query")


@dataclass
class _Plan:
    sql: str | None  # None: the shape matches no row
    params: list
    slots: list[tuple[int, str, int | None]]  # (position, name, index in a list value)
    names: list[str]
    compiler: Any
    converters: dict
    sliceable: bool


class CompiledQuery:
    """`build([user,] **values)` returns a `.values()` queryset; `rows([user,] **values)` runs it.

    `user`, when given, is the signed-in principal: only its pk, school, role and superuser flag
    reach the builder, as a `StandIn` (its first argument). `fixed` names values that shape the
    SQL rather than fill it."""

    def __init__(
        self,
        build: Callable[..., QuerySet],
        *,
        fixed: tuple[str, ...] = (),
        uuids_as_text: bool = False,
        using: str = "default",
    ):
        self.build = build
        self.fixed = fixed
        self.uuids_as_text = uuids_as_text
        self.using = using
        self._plans: dict[tuple, _Plan] = {}

    # --- running ----------------------------------------------------------------------------
    def rows(self, user=None, *, limit: int | None = None, offset: int = 0, **values) -> list[dict]:
        """The rows for these values; `limit`/`offset` page them (the builder must not slice)."""
        plan, params = self._bound(user, values)
        sql = plan.sql
        if sql is None:
            return []
        if limit is not None:
            if not plan.sliceable:
                raise NotCompilable("a sliced or locking query cannot be paged again")
            sql, params = f"{sql} LIMIT %s OFFSET %s", [*params, int(limit), int(offset)]
        rows = self._fetch(sql, params)
        if plan.converters:
            rows = plan.compiler.apply_converters(rows, plan.converters)
        names = plan.names
        return [dict(zip(names, row, strict=True)) for row in rows]

    def count(self, user=None, **values) -> int:
        """How many rows `rows()` would give without a limit (counted without the ordering)."""
        plan, params = self._bound(user, values, unordered=True)
        if plan.sql is None:
            return 0
        # plan.sql is Django's own compiled SQL; every value travels as a parameter.
        counted = f"SELECT COUNT(*) FROM ({plan.sql}) AS counted"  # noqa: S608  # nosec B608
        return self._fetch(counted, params)[0][0]

    def _bound(self, user, values: dict, *, unordered: bool = False) -> tuple[_Plan, list]:
        if user is not None:
            values = {"user_pk": user.pk, "user_school_id": user.school_id, **values}
        key = (unordered, self._shape(user, values))
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._compile(user, values, unordered=unordered)
        params = list(plan.params)
        for position, name, index in plan.slots:
            params[position] = values[name] if index is None else values[name][index]
        return plan, params

    def _fetch(self, sql: str, params: list) -> list[tuple]:
        connection = connections[self.using]
        with connection.cursor() as cursor:
            if self.uuids_as_text:
                psycopg2.extensions.register_type(_UUID_AS_TEXT, cursor.cursor)
            name = _prepared(connection, sql) if settings.DATABASE_PREPARED_STATEMENTS else None
            if name is None:
                cursor.execute(sql, params)
            elif params:
                cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(params))})", params)
            else:
                cursor.execute(f"EXECUTE {name}")
            return cursor.fetchall()

    def _shape(self, user, values: dict) -> tuple:
        principal = (
            () if user is None else (user.role, bool(user.is_superuser), user.school_id is None)
        )
        return (
            principal,
            tuple(
                (name, values[name])
                if name in self.fixed
                else (name, len(values[name]) if isinstance(values[name], list | tuple) else None)
                for name in sorted(values)
            ),
        )

    # --- compiling --------------------------------------------------------------------------
    def _stand_ins(self, values: dict) -> dict:
        out = {}
        for name, value in values.items():
            if name in self.fixed or value is None:
                out[name] = value
            elif isinstance(value, list | tuple):
                out[name] = [_stand_in(item) for item in value]
            else:
                out[name] = _stand_in(value)
        return out

    def _query(self, user, stand_ins: dict) -> QuerySet:
        if user is None:
            return self.build(**stand_ins)
        principal = StandIn(
            pk=stand_ins["user_pk"],
            school_id=stand_ins["user_school_id"],
            role=user.role,
            is_superuser=bool(user.is_superuser),
        )
        given = {k: v for k, v in stand_ins.items() if k not in ("user_pk", "user_school_id")}
        return self.build(principal, **given)

    def _compile(self, user, values: dict, *, unordered: bool = False) -> _Plan:
        first, second = self._stand_ins(values), self._stand_ins(values)
        qs_a, qs_b = self._query(user, first), self._query(user, second)
        if unordered:
            qs_a, qs_b = qs_a.order_by(), qs_b.order_by()
        compiler = qs_a.query.get_compiler(using=self.using)
        try:
            sql_a, params_a = compiler.as_sql()
            sql_b, params_b = qs_b.query.get_compiler(using=self.using).as_sql()
        except EmptyResultSet:
            # The shape matches nothing (an empty IN list, a scope's none()): as Django does,
            # answer without a query.
            return _Plan(None, [], [], [], None, {}, sliceable=True)
        if sql_a != sql_b or len(params_a) != len(params_b):
            raise NotCompilable("the SQL changes with the values, not only with the shape")
        slots = self._slots(first, second, params_a, params_b)
        query = qs_a.query
        if not (query.values_select or query.annotation_select or query.selected):
            raise NotCompilable("the builder must return a .values() queryset")
        # As QuerySet.values() names and converts a row (ValuesIterable, results_iter).
        if query.selected:
            names = list(query.selected)
        else:
            names = [*query.extra_select, *query.values_select, *query.annotation_select]
        converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])
        return _Plan(
            sql=sql_a,
            params=list(params_a),
            slots=slots,
            names=names,
            compiler=compiler,
            converters=converters,
            sliceable=not (query.is_sliced or query.select_for_update),
        )

    def _slots(self, first: dict, second: dict, params_a, params_b) -> list:
        """Where each given value sits among the compiled parameters; NotCompilable unless the
        stand-ins, and only they, differ between the two compiles."""
        where = {}
        for name, value in first.items():
            if name in self.fixed or value is None:
                continue
            items = value if isinstance(value, list) else [value]
            for index, item in enumerate(items):
                where[(type(item), item)] = (name, index if isinstance(value, list) else None)
        slots = []
        for position, (a, b) in enumerate(zip(params_a, params_b, strict=True)):
            slot = where.get((type(a), a)) if _hashable(a) else None
            if slot is None:
                if a != b:
                    raise NotCompilable(f"parameter {position} changes but is no value given")
                continue
            name, index = slot
            other = second[name] if index is None else second[name][index]
            if type(b) is not type(other) or b != other:
                raise NotCompilable(f"parameter {position} is not the value {name!r} as given")
            slots.append((position, name, index))
        used = {name for _, name, _ in slots}
        missing = [n for n, v in first.items() if n not in self.fixed and v and n not in used]
        missing = [n for n in missing if n not in ("user_pk", "user_school_id")]
        if missing:
            raise NotCompilable(f"values not found among the parameters: {missing}")
        return slots


# --- prepared statements ---------------------------------------------------------------------
_PLACEHOLDER = re.compile(r"%([%s])")


def _numbered(sql: str) -> str:
    """Django's SQL (`%s` parameters, `%%` a percent sign) as PREPARE takes it ($1, $2 ...)."""
    numbers = itertools.count(1)
    return _PLACEHOLDER.sub(lambda m: "%" if m.group(1) == "%" else f"${next(numbers)}", sql)


def _prepared(connection, sql: str) -> str | None:
    """The name of `sql` prepared on this PostgreSQL connection (prepared now if new), or None
    where it cannot be (PREPARE refused it: it is then sent as it is, on this connection).

    PostgreSQL plans a prepared statement once, not on every call: the planning is most of the
    server's work for these small reads (0.4 of 0.5 ms for the autosave's lookup). The PREPARE
    goes on the driver's cursor, inside a savepoint when a transaction is open, so a refusal
    leaves the caller's transaction and the counted queries untouched. Behind a pooler in
    transaction mode (PgBouncer), set DATABASE_PREPARED_STATEMENTS off."""
    raw = connection.connection
    names = getattr(raw, "prepared_statements", None)
    if names is None:
        try:
            raw.prepared_statements = names = {}
        except AttributeError:  # not our TimedConnection: no place to remember them
            return None
    if sql in names:
        return names[sql]
    name = f"s24_{len(names) + 1}"
    guarded = not connection.get_autocommit()
    with raw.cursor() as cursor:
        if guarded:
            cursor.execute("SAVEPOINT s24_prepare")
        try:
            cursor.execute(f"PREPARE {name} AS {_numbered(sql)}")
        except psycopg2.Error:
            name = None
            if guarded:
                cursor.execute("ROLLBACK TO SAVEPOINT s24_prepare")
        if guarded:
            cursor.execute("RELEASE SAVEPOINT s24_prepare")
    names[sql] = name
    return name


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


class Page:
    """A compiled query's rows as Django's paginator reads a list: a slice is one LIMIT/OFFSET
    read, `count()` one COUNT(*) (which `CountingPaginator` skips on a last page)."""

    def __init__(self, query: CompiledQuery, user=None, **values):
        self.query, self.user, self.values = query, user, values

    def count(self) -> int:
        return self.query.count(self.user, **self.values)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item: slice) -> list[dict]:
        if not isinstance(item, slice) or item.step is not None or item.stop is None:
            raise TypeError("a compiled page is read by a slice with a stop and no step")
        start = item.start or 0
        return self.query.rows(
            self.user, limit=max(item.stop - start, 0), offset=start, **self.values
        )
