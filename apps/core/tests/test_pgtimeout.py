"""The client-side limit on PostgreSQL round trips (apps/core/pgtimeout.py), against the test
database behind a private proxy that can be frozen (what a client sees of a stopped server)."""

from __future__ import annotations

import threading
import time

import psycopg2
import pytest
from django.db import connection

from apps.core import pgtimeout
from apps.core.testing import FreezableProxy, postgres_address

pytestmark = pytest.mark.django_db


@pytest.fixture
def proxy():
    with FreezableProxy(postgres_address(connection.settings_dict)) as proxy:
        yield proxy


@pytest.fixture
def connect(proxy):
    made = []
    params = connection.settings_dict

    def connect(**options):
        conn = psycopg2.connect(
            host="127.0.0.1",
            port=proxy.port,
            user=params["USER"] or None,
            password=params["PASSWORD"] or None,
            dbname=params["NAME"],
            connect_timeout=2,
            connection_factory=pgtimeout.TimedConnection,
            cursor_factory=pgtimeout.TimedCursor,
            **options,
        )
        made.append(conn)
        return conn

    yield connect
    for conn in made:
        conn.close()


def test_keepalives_and_tcp_user_timeout_do_not_notice_a_stopped_server(proxy, connect):
    # Why the limit is client-side: the stalled peer's kernel acknowledges every byte.
    conn = connect(
        keepalives=1,
        keepalives_idle=1,
        keepalives_interval=1,
        keepalives_count=1,
        tcp_user_timeout=1000,
    )
    proxy.freeze()
    done = threading.Event()

    def query():
        try:
            conn.cursor().execute("SELECT 1")
        except psycopg2.Error:
            pass
        done.set()

    threading.Thread(target=query, daemon=True).start()
    assert not done.wait(2.5)  # still waiting, and would wait forever
    proxy.thaw()
    assert done.wait(10)


def test_a_stalled_statement_is_cut_and_the_scope_then_fails_fast(proxy, connect):
    conn = connect()
    conn.cursor().execute("SELECT 1")
    proxy.freeze()
    with pgtimeout.limit(1.0):
        started = time.monotonic()
        with pytest.raises(psycopg2.OperationalError, match="did not answer within 1 s"):
            conn.cursor().execute("SELECT 1")
        assert time.monotonic() - started < 3
        assert conn.closed  # cut, never reused
        started = time.monotonic()
        with pytest.raises(psycopg2.OperationalError, match="did not answer"):
            connect()  # no second wait in the same request
        assert time.monotonic() - started < 0.5
    proxy.thaw()
    with pgtimeout.limit(1.0):
        fresh = connect()
        cursor = fresh.cursor()
        cursor.execute("SELECT pg_sleep(0.2), 7")  # a healthy server's slow answer is fine
        assert cursor.fetchone()[1] == 7
        fresh.commit()


def test_commit_and_named_cursor_fetches_are_limited_too(proxy, connect):
    conn = connect()
    cursor = conn.cursor("named")
    cursor.execute("SELECT generate_series(1, 10)")
    assert cursor.fetchmany(2) == [(1,), (2,)]
    proxy.freeze()
    with pgtimeout.limit(1.0), pytest.raises(psycopg2.OperationalError, match="did not answer"):
        cursor.fetchmany(2)
    proxy.thaw()
    other = connect()
    other.cursor().execute("SELECT 1")
    proxy.freeze()
    with pgtimeout.limit(1.0), pytest.raises(psycopg2.OperationalError, match="did not answer"):
        other.commit()


def test_no_limit_outside_a_scope_and_web_processes(connect):
    assert pgtimeout.current_limit() is None  # Celery, commands, tests
    conn = connect()
    cursor = conn.cursor()
    cursor.execute("SELECT pg_sleep(1.2), 1")  # longer than the limits above: not cut
    assert cursor.fetchone()[1] == 1


def test_a_shorter_deadline_armed_while_the_watchdog_sleeps_towards_a_longer_one_still_fires():
    """The watchdog is only woken for a deadline earlier than the one it sleeps towards; a
    round trip with a shorter limit must still be cut on time, and a later one left alone."""
    import socket

    watchdog = pgtimeout._Watchdog()
    long_a, long_b = socket.socketpair()
    short_a, short_b = socket.socketpair()
    try:
        patient = watchdog.arm(long_a.fileno(), 30.0)
        for _ in range(50):  # later deadlines: no wake needed, none fires
            watchdog.disarm(watchdog.arm(long_a.fileno(), 30.0))
        started = time.monotonic()
        hasty = watchdog.arm(short_a.fileno(), 0.3)
        short_a.settimeout(5)
        assert short_a.recv(1) == b""  # shut down under us by the watchdog
        assert 0.25 <= time.monotonic() - started < 3
        assert watchdog.disarm(hasty) is True
        assert watchdog.disarm(patient) is False
    finally:
        for sock in (long_a, long_b, short_a, short_b):
            sock.close()
