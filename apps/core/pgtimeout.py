"""A client-side time limit on PostgreSQL round trips made while serving a web request.

Why: a PostgreSQL that hangs (its process stopped, its host frozen, a proxy that stalls) keeps
the TCP connection open and its kernel keeps acknowledging what the client sends. libpq has no
read timeout, its keepalives and `tcp_user_timeout` only notice unacknowledged data or a silent
peer *kernel*, and a server-side `statement_timeout` never fires on a server that does not run:
a query then waits forever and so does the request (measured: > 45 s with the connection
stalled, keepalives and tcp_user_timeout=1000 set; see apps/core/tests/test_stores_hang.py).

How: connections are made with `TimedConnection`/`TimedCursor` (settings OPTIONS). In a process
that called `install_for_web()` (schools24/wsgi.py, asgi.py), and inside any `limit()` block
(/readyz), every round trip (a statement, a commit or rollback, a named cursor's fetch) is armed
on one watchdog thread. If PostgreSQL has not answered within DATABASE_SOCKET_TIMEOUT seconds,
the watchdog shuts the socket down; libpq sees the connection drop, psycopg2 closes it, and the
statement raises OperationalError, which the API answers as 503. The rest of that request then
fails at once instead of waiting again (no reconnect is tried until the next request), so a
request is bounded by about one timeout. Celery workers and management commands are not limited
(flushes and migrations may legitimately run long; they have no user waiting).
"""

from __future__ import annotations

import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import psycopg2.extensions

_state = threading.local()
_default_limit: float | None = None


def install_for_web(seconds: float | None) -> None:
    """Limit every round trip of this process (a web server) to `seconds` (0/None: off)."""
    global _default_limit
    _default_limit = float(seconds) if seconds else None


def current_limit() -> float | None:
    scoped = getattr(_state, "limit", False)
    return _default_limit if scoped is False else scoped


def request_started(**kwargs) -> None:
    """A new request may try PostgreSQL again (connected to Django's request_started)."""
    _state.failed = None


@contextmanager
def limit(seconds: float | None) -> Iterator[None]:
    """Round trips inside the block wait at most `seconds` (None: no limit), e.g. a probe."""
    previous = getattr(_state, "limit", False), getattr(_state, "failed", None)
    _state.limit, _state.failed = (float(seconds) if seconds else None), None
    try:
        yield
    finally:
        _state.limit, _state.failed = previous


def _failed() -> str | None:
    return getattr(_state, "failed", None)


# --- the watchdog ---------------------------------------------------------------------------------
def _cut(fd: int) -> None:
    """Shut the socket down under libpq's feet: its poll() wakes up and the read fails."""
    try:
        sock = socket.socket(fileno=os.dup(fd))
    except OSError:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.close()  # closes only our duplicate; libpq's descriptor stays until it closes it


class _Watchdog:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._armed: dict[int, list] = {}  # token -> [deadline, fd, fired]
        self._tokens = itertools.count()
        self._thread: threading.Thread | None = None
        self._wake_at: float | None = None  # when the sleeping thread wakes; None: only notified

    def arm(self, fd: int, seconds: float) -> int:
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="pg-watchdog", daemon=True)
                self._thread.start()
            token = next(self._tokens)
            deadline = time.monotonic() + seconds
            self._armed[token] = [deadline, fd, False]
            # The thread need only wake if it would otherwise sleep past this deadline: most
            # round trips arm and disarm while it sleeps towards an earlier one, at no
            # thread switch (a wake per statement cost a third of a statement's client CPU).
            if self._wake_at is None or deadline < self._wake_at:
                self._cond.notify()
            return token

    def disarm(self, token: int) -> bool:
        """Forget `token`; True if the watchdog fired on it (its socket is shut down)."""
        with self._cond:
            entry = self._armed.pop(token, None)
        return bool(entry and entry[2])

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                wait = None
                for entry in self._armed.values():
                    if entry[2]:
                        continue
                    if entry[0] <= now:
                        # Under the lock: disarm() cannot return (and the caller cannot close and
                        # reuse the descriptor) while we cut it.
                        entry[2] = True
                        _cut(entry[1])
                    else:
                        wait = entry[0] - now if wait is None else min(wait, entry[0] - now)
                self._wake_at = None if wait is None else now + wait
                self._cond.wait(timeout=wait)


_watchdog = _Watchdog()


def _after_fork_in_child() -> None:
    global _watchdog
    _watchdog = _Watchdog()  # the parent's thread does not exist here


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _message(seconds: float) -> str:
    return (
        f"PostgreSQL did not answer within {seconds:g} s (DATABASE_SOCKET_TIMEOUT); "
        "the connection was closed"
    )


@contextmanager
def _guard(conn: psycopg2.extensions.connection) -> Iterator[None]:
    seconds = current_limit()
    if not seconds or conn.closed:
        yield
        return
    if _failed():
        raise psycopg2.OperationalError(_failed())
    token = _watchdog.arm(conn.fileno(), seconds)
    fired = False
    try:
        yield
    except psycopg2.Error as exc:
        fired = _watchdog.disarm(token)
        if fired:
            _state.failed = _message(seconds)
            raise psycopg2.OperationalError(_state.failed) from exc
        raise
    finally:
        if not fired:
            _watchdog.disarm(token)


class TimedCursor(psycopg2.extensions.cursor):
    def execute(self, query, vars=None):
        with _guard(self.connection):
            done = super().execute(query, vars)
        self.connection.answered_at = time.monotonic()  # see apps.core.postgresql
        return done

    def executemany(self, query, vars_list):
        with _guard(self.connection):
            return super().executemany(query, vars_list)

    def callproc(self, procname, parameters=None):
        with _guard(self.connection):
            return super().callproc(procname, parameters)

    def copy_expert(self, sql, file, size=8192):
        with _guard(self.connection):
            return super().copy_expert(sql, file, size)

    # A named (server-side) cursor fetches over the network; a client-side one does not.
    def fetchone(self):
        if not self.name:
            return super().fetchone()
        with _guard(self.connection):
            return super().fetchone()

    def fetchmany(self, size=None):
        if not self.name:
            return super().fetchmany(size) if size is not None else super().fetchmany()
        with _guard(self.connection):
            return super().fetchmany(size) if size is not None else super().fetchmany()

    def fetchall(self):
        if not self.name:
            return super().fetchall()
        with _guard(self.connection):
            return super().fetchall()


class TimedConnection(psycopg2.extensions.connection):
    def __init__(self, dsn, *args, **kwargs):
        failed = _failed() if current_limit() else None
        if failed:
            # This request already waited once; answer now rather than wait for a connect.
            raise psycopg2.OperationalError(failed)
        super().__init__(dsn, *args, **kwargs)
        self.answered_at = time.monotonic()  # when PostgreSQL last answered a statement

    def commit(self):
        with _guard(self):
            return super().commit()

    def rollback(self):
        with _guard(self):
            return super().rollback()
