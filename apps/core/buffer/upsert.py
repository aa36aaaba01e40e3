"""Batch upserts where the newer timestamp wins: the `apply` most buffer kinds need.

`Upsert(table, columns, key_fields, ts_field)` is a callable ``apply(records) -> int`` that writes
a batch with one statement per page::

    INSERT INTO <table> AS t (<columns>) VALUES ...
    ON CONFLICT (<key>) DO UPDATE SET <col> = EXCLUDED.<col>, ...
    WHERE EXCLUDED.<ts> > t.<ts>

so a record older than (or as old as) the row already stored changes nothing: replaying a batch
after a crash is a no-op, and an out-of-order late write never overwrites a newer one. The count
returned is the number of rows inserted or changed.

Two ways to send the rows, chosen by batch size:
- `execute_values` (psycopg2) with `page_size` rows per statement, for small batches;
- for batches of `copy_min_rows` (1000) or more: COPY into a temporary staging table (created per
  transaction, ``ON COMMIT DROP``, so it also works behind a transaction-pooling PgBouncer), then
  one ``INSERT ... SELECT ... ORDER BY key ON CONFLICT``. `bench/buffer_flush.py --compare`
  measures both: from about 1000 rows on COPY is 1.5-2x faster (at 10k-50k rows ~50k vs
  ~25k rows/s inserting, ~45k vs ~22k updating, on the 2-CPU test machine).

Records in a batch that share a key are reduced to the newest first (Postgres refuses to touch a
row twice in one statement), and rows are written in key order (B-tree locality, and two writers
touching the same keys lock them in the same order instead of deadlocking). Records are whole rows, not patches: a data column missing from a
record is written as its default (or NULL).

`Upsert.for_model(Model, key_fields, ts_field)` derives table, columns, JSON columns and Python
defaults (UUID primary keys, auto_now/auto_now_add) from a Django model; records may name a
foreign key by its attname (``school_id``) or its name (``school``). The timestamp column should be
a BigIntegerField holding UTC epoch microseconds (what the buffer's `ts` is).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import orjson
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models, transaction
from django.utils import timezone

DEFAULT_PAGE_SIZE = 1000
# Batches at least this big go through COPY + INSERT ... SELECT (see bench/buffer_flush.py).
DEFAULT_COPY_MIN_ROWS = 1000

_MISSING = object()
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _qn(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _qtable(table: str) -> str:
    return ".".join(_qn(part) for part in table.split("."))


def _json_text(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict | list):
        return _json_text(value).translate(_COPY_ESCAPES)
    return str(value).translate(_COPY_ESCAPES)


def _copy_column(values: Sequence[Any]) -> Sequence[str]:
    """One column of a batch as COPY text fields. Columns of only ints or only strings without
    characters to escape (with or without NULLs) take C-speed paths; anything else goes value
    by value."""
    types = set(map(type, values))
    has_null = type(None) in types
    types.discard(type(None))
    convert: Callable[[Any], str] | None
    if types <= {int}:
        convert = str
    elif types == {str}:
        text = "".join(v for v in values if v is not None) if has_null else "".join(values)
        special = "\\" in text or "\t" in text or "\n" in text or "\r" in text
        convert = (lambda v: v.translate(_COPY_ESCAPES)) if special else None
    else:
        return [_copy_value(v) for v in values]
    if not has_null:
        return values if convert is None else list(map(convert, values))
    if convert is None:
        return ["\\N" if v is None else v for v in values]
    return ["\\N" if v is None else convert(v) for v in values]


def copy_text(rows: Sequence[tuple], json_columns: Iterable[int] = ()) -> str:
    """Rows as PostgreSQL COPY text format (tab-separated, \\N for NULL, backslash escapes);
    values in the `json_columns` positions are written as JSON documents."""
    if not rows:
        return ""
    columns = list(zip(*rows, strict=True))
    for i in json_columns:
        columns[i] = [None if v is None else _json_text(v) for v in columns[i]]
    return "\n".join(map("\t".join, zip(*map(_copy_column, columns), strict=True))) + "\n"


def _auto_now(f: models.Field) -> bool:
    return getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)


def _data_fields(
    concrete: list[models.Field], named: list[models.Field] | None
) -> list[models.Field]:
    """The fields written from records: `named`, or every concrete field but the primary key
    and the auto_now(_add) ones."""
    if named is not None:
        return named
    return [f for f in concrete if not f.primary_key and not _auto_now(f)]


@dataclass
class _ColumnPlan:
    """Where each column of an upsert gets its value (see `Upsert.for_model`)."""

    key_columns: set[str]
    columns: list[str] = field(default_factory=list)
    sources: dict[str, tuple[str, ...]] = field(default_factory=dict)
    defaults: dict[str, Callable[[], Any]] = field(default_factory=dict)
    generated: dict[str, Callable[[], Any]] = field(default_factory=dict)
    now_columns: list[str] = field(default_factory=list)
    update: list[str] = field(default_factory=list)

    def add(self, f: models.Field, *, from_record: bool, label: str) -> None:
        column = f.column
        if from_record:
            self.columns.append(column)
            self.sources[column] = (f.attname, f.name) if f.attname != f.name else (f.name,)
            if f.has_default():
                self.defaults[column] = f.get_default
            if column not in self.key_columns:
                self.update.append(column)
        elif _auto_now(f):
            self.columns.append(column)
            self.now_columns.append(column)
            if getattr(f, "auto_now", False):
                self.update.append(column)
        elif f.has_default():
            self.columns.append(column)
            self.generated[column] = f.get_default
        elif isinstance(f, models.AutoField | models.BigAutoField | models.SmallAutoField):
            return
        elif not (f.has_db_default() or f.null):
            raise ImproperlyConfigured(
                f"{label}.{f.name} is not written from records and has no default"
            )


class Upsert:
    """``apply(records) -> int`` for one table; see the module docstring.

    table          table name (``schema.table`` allowed).
    columns        the columns written, in order. Each is read from the record field of the same
                   name unless `sources` maps it to other field names (first present wins).
    key_fields     the conflict target: columns of a unique constraint or primary key.
    ts_field       the timestamp column compared in the WHERE clause.
    update_columns columns set on conflict (default: every column except the key).
    extra_updates  more ``column: SQL expression`` pairs for the SET list; the stored row is
                   aliased ``t`` (e.g. ``{"writes": "t.writes + 1"}``).
    json_columns   columns whose values are JSON documents (dicts/lists).
    defaults       ``column: callable()`` used when a record lacks the column's field.
    generated      ``column: callable()`` columns never read from records, computed per row on
                   insert (e.g. a UUID primary key); list them in `update_columns` to overwrite.
    now_columns    columns never read from records, set to one ``timezone.now()`` per batch
                   (``auto_now_add``/``auto_now``; list the latter in `update_columns`).
    """

    def __init__(
        self,
        table: str,
        columns: Sequence[str],
        key_fields: Sequence[str],
        ts_field: str = "ts",
        *,
        update_columns: Sequence[str] | None = None,
        extra_updates: Mapping[str, str] | None = None,
        json_columns: Iterable[str] = (),
        defaults: Mapping[str, Callable[[], Any]] | None = None,
        generated: Mapping[str, Callable[[], Any]] | None = None,
        now_columns: Sequence[str] = (),
        sources: Mapping[str, Sequence[str]] | None = None,
        using: str = "default",
        page_size: int = DEFAULT_PAGE_SIZE,
        copy_min_rows: int | None = DEFAULT_COPY_MIN_ROWS,
    ):
        self.table = table
        self.generated = dict(generated or {})
        self.now_columns = tuple(now_columns)
        self.source_columns = tuple(
            c for c in columns if c not in self.generated and c not in self.now_columns
        )
        # Row layout: record columns, then generated ones, then the batch's "now" columns.
        self.columns = (*self.source_columns, *self.generated, *self.now_columns)
        self.key_fields = tuple(key_fields)
        self.ts_field = ts_field
        missing = [c for c in (*self.key_fields, ts_field) if c not in self.source_columns]
        if missing:
            raise ImproperlyConfigured(
                f"Upsert on {table}: {missing} must be among the columns read from records"
            )
        if update_columns is None:
            update_columns = [c for c in self.source_columns if c not in self.key_fields]
        self.update_columns = tuple(update_columns)
        self.extra_updates = dict(extra_updates or {})
        self.json_columns = frozenset(json_columns)
        self.defaults = dict(defaults or {})
        self.sources = {c: tuple((sources or {}).get(c, (c,))) for c in self.source_columns}
        self.using = using
        self.page_size = page_size
        self.copy_min_rows = copy_min_rows
        self._key_index = tuple(self.columns.index(c) for c in self.key_fields)
        self._ts_index = self.columns.index(ts_field)
        first = [self.sources[c][0] for c in self.source_columns]
        self._fast = itemgetter(*first) if len(first) > 1 else (lambda r, _f=first[0]: (r[_f],))
        self._json_index = tuple(i for i, c in enumerate(self.columns) if c in self.json_columns)

        table_sql = _qtable(table)
        cols = ", ".join(_qn(c) for c in self.columns)
        keys = ", ".join(_qn(c) for c in self.key_fields)
        sets = [f"{_qn(c)} = EXCLUDED.{_qn(c)}" for c in self.update_columns]
        sets += [f"{_qn(c)} = {expr}" for c, expr in self.extra_updates.items()]
        if not sets:
            sets = [f"{_qn(ts_field)} = EXCLUDED.{_qn(ts_field)}"]
        conflict = (
            f"ON CONFLICT ({keys}) DO UPDATE SET "
            f"{', '.join(sets)} WHERE EXCLUDED.{_qn(ts_field)} > t.{_qn(ts_field)}"
        )
        digest = hashlib.sha1(f"{table}|{cols}".encode(), usedforsecurity=False).hexdigest()[:12]
        self._stage = f"_s24_stage_{digest}"
        # Identifiers are quoted by _qn; extra_updates are SQL written in code, never user input.
        self.values_sql = f"INSERT INTO {table_sql} AS t ({cols}) VALUES %s {conflict}"  # noqa: S608
        self.stage_sql = (
            f"CREATE TEMP TABLE IF NOT EXISTS {self._stage} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {cols} FROM {table_sql} WITH NO DATA"
        )
        self.copy_sql = f"COPY {self._stage} ({cols}) FROM STDIN"
        self.merge_sql = (
            f"INSERT INTO {table_sql} AS t ({cols}) "  # noqa: S608
            f"SELECT {cols} FROM {self._stage} ORDER BY {keys} {conflict}"
        )

    def __repr__(self) -> str:
        return f"<Upsert {self.table} key={self.key_fields} ts={self.ts_field}>"

    # --- building rows ------------------------------------------------------------------------
    def _slow_row(self, record: Mapping[str, Any]) -> tuple:
        row = []
        for column in self.source_columns:
            value = _MISSING
            for source in self.sources[column]:
                value = record.get(source, _MISSING)
                if value is not _MISSING:
                    break
            if value is _MISSING:
                default = self.defaults.get(column)
                value = default() if default is not None else None
            row.append(value)
        return tuple(row)

    def rows(self, records: Iterable[Mapping[str, Any]]) -> list[tuple]:
        """Records as column tuples, one per key (the newest `ts`; a later equal `ts` wins)."""
        fast, slow = self._fast, self._slow_row
        key_index, ts_index = self._key_index, self._ts_index
        newest: dict[tuple, tuple] = {}
        for record in records:
            try:
                row = fast(record)
            except KeyError:
                row = slow(record)
            key = tuple(row[i] for i in key_index)
            held = newest.get(key)
            if held is None or row[ts_index] >= held[ts_index]:
                newest[key] = row
        rows = list(newest.values())
        if self.generated or self.now_columns:
            makers = tuple(self.generated.values())
            now = (timezone.now(),) * len(self.now_columns)
            rows = [(*row, *(make() for make in makers), *now) for row in rows]
        return rows

    # --- writing ------------------------------------------------------------------------------
    def __call__(self, records: Iterable[Mapping[str, Any]]) -> int:
        rows = self.rows(records)
        if not rows:
            return 0
        use_copy = self.copy_min_rows is not None and len(rows) >= self.copy_min_rows
        db = connections[self.using]
        with transaction.atomic(using=self.using), db.cursor() as cursor:
            # The driver's cursor (psycopg2) for execute_values/copy_expert; its errors are
            # turned into Django's (IntegrityError, DataError, ...) as the ORM's would be.
            with db.wrap_database_errors:
                if use_copy:
                    return self._copy(cursor.cursor, rows)
                return self._values(cursor.cursor, rows)

    def _values(self, raw, rows: list[tuple]) -> int:
        from psycopg2.extras import Json, execute_values

        if self._json_index:
            dumps = _json_text
            rows = [
                tuple(
                    Json(v, dumps=dumps) if i in self._json_index and v is not None else v
                    for i, v in enumerate(row)
                )
                for row in rows
            ]
        try:  # key order: index locality, and concurrent writers lock rows in the same order
            rows.sort(key=itemgetter(*self._key_index))
        except TypeError:  # keys of mixed types in one batch; order does not matter for truth
            pass
        written = 0
        size = self.page_size
        for start in range(0, len(rows), size):
            page = rows[start : start + size]
            execute_values(raw, self.values_sql, page, page_size=len(page))
            written += max(raw.rowcount, 0)
        return written

    def _copy(self, raw, rows: list[tuple]) -> int:
        raw.execute(self.stage_sql)
        raw.execute(f"TRUNCATE {self._stage}")  # left over if called twice in one transaction
        raw.copy_expert(self.copy_sql, io.StringIO(copy_text(rows, self._json_index)))
        raw.execute(self.merge_sql)
        return max(raw.rowcount, 0)

    # --- models -------------------------------------------------------------------------------
    @classmethod
    def for_model(
        cls,
        model: type[models.Model],
        key_fields: Sequence[str],
        ts_field: str = "ts",
        *,
        fields: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> Upsert:
        """An Upsert for `model`; `fields` limits the data fields taken from records.

        Key, timestamp and data fields are written from the record. Other concrete fields get
        their Python default per row (UUID primary keys, `default=`), `auto_now(_add)` fields
        the current time; `auto_now` fields are also set on update. An auto-increment primary
        key and fields with a `db_default` or `null=True` are left to the database.
        """
        meta = model._meta
        concrete = list(meta.concrete_fields)
        by_name: dict[str, models.Field] = {}
        for f in concrete:
            by_name[f.name] = by_name[f.attname] = f

        def concrete_field(name: str) -> models.Field:
            try:
                return by_name[name]
            except KeyError:
                raise ImproperlyConfigured(f"{meta.label} has no concrete field {name!r}")

        key = [concrete_field(n) for n in key_fields]
        ts = concrete_field(ts_field)
        data = _data_fields(
            concrete, None if fields is None else [concrete_field(n) for n in fields]
        )
        data += [f for f in (*key, ts) if f not in data]
        plan = _ColumnPlan(key_columns={f.column for f in key})
        for f in concrete:
            plan.add(f, from_record=f in data, label=meta.label)
        kwargs.setdefault(
            "json_columns", [f.column for f in concrete if isinstance(f, models.JSONField)]
        )
        return cls(
            meta.db_table,
            plan.columns,
            [f.column for f in key],
            ts.column,
            update_columns=kwargs.pop("update_columns", plan.update),
            defaults={**plan.defaults, **kwargs.pop("defaults", {})},
            generated=plan.generated,
            now_columns=plan.now_columns,
            sources=plan.sources,
            **kwargs,
        )
