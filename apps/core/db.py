"""Commit costs of PostgreSQL transactions.

A COMMIT normally waits until the transaction's WAL is flushed to disk (an fsync: 5-9 ms on
this project's shared test machine, more than a whole autosave request). A transaction that
only takes row locks, to order itself against other writers, writes nothing that must survive
a database crash, so it need not wait: `commit_without_disk_wait()` turns PostgreSQL's
`synchronous_commit` off for the current transaction only (SET LOCAL). Asynchronous commit
never corrupts data; after a crash, at most the last fraction of a second of such
transactions is rolled back, and they held locks only. Code that then writes data in the same
transaction calls `commit_durably()` first, which restores the server's setting.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import BooleanField, CharField, Func, Value


def _set_local(value: str, using: str) -> None:
    connection = connections[using]
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return  # autocommit: every statement commits with the server's setting
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL synchronous_commit TO {value}")


def commit_without_disk_wait(using: str = DEFAULT_DB_ALIAS) -> None:
    """The current transaction's COMMIT does not wait for the disk (see the module)."""
    _set_local("off", using)


def commit_durably(using: str = DEFAULT_DB_ALIAS) -> None:
    """The current transaction's COMMIT waits for the disk as the server is configured to."""
    _set_local("DEFAULT", using)


def no_disk_wait_column() -> Func:
    """`commit_without_disk_wait()` as a column of the transaction's first query (PostgreSQL's
    `set_config(..., is_local => true)`): selected by a query that runs anyway, it spares the
    SET LOCAL a round trip of its own. It takes effect only if the query returns a row. Code
    that then writes data calls `commit_durably()` first, as after `commit_without_disk_wait()`."""
    return Func(
        Value("synchronous_commit", output_field=CharField()),
        Value("off", output_field=CharField()),
        Value(True, output_field=BooleanField()),
        function="set_config",
        output_field=CharField(),
    )
