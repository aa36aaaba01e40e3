"""A MongoDB wire server for the tests that need one.

`make test` starts an embedded SecantusDB and exports MONGODB_URI. When MONGODB_URI is unset or
does not answer (a bare `pytest`), the session starts its own in-memory SecantusDB on a free port
and stops it at the end. Each xdist worker uses its own database, `schools24_test_<worker>`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.errors import PyMongoError

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
START_TIMEOUT = 30.0


def _answers(uri: str, timeout_ms: int = 1000) -> bool:
    client = MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms)
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _secantusd() -> str:
    beside_python = Path(sys.executable).with_name("secantusd-py")
    found = str(beside_python) if beside_python.exists() else shutil.which("secantusd-py")
    if not found:
        pytest.fail("MONGODB_URI does not answer and secantusd-py (SecantusDB) is not installed")
    return found


def _start_secantus() -> tuple[subprocess.Popen, str, Path]:
    log = Path(tempfile.mkstemp(prefix=f"secantus-{WORKER}-", suffix=".log")[1])
    for _attempt in range(3):
        port = _free_port()
        uri = f"mongodb://127.0.0.1:{port}"
        with log.open("ab") as out:
            process = subprocess.Popen(
                [_secantusd(), "--host", "127.0.0.1", "--port", str(port)]
                + ["--storage-path", ":memory:", "--log-level", "WARNING"],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            if _answers(uri, timeout_ms=250):
                return process, uri, log
            time.sleep(0.1)
        _stop(process)  # died (port taken meanwhile?) or too slow: try another port
    pytest.fail(f"SecantusDB did not start; its log:\n{log.read_text()[-4000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="session")
def mongo_server():
    """The URI of a MongoDB wire server for this session; points the settings at it."""
    from django.conf import settings

    from apps.core.mongo import get_client, reset_client

    uri = os.environ.get("MONGODB_URI", "")
    process = log = None
    if not uri or not _answers(uri):
        process, uri, log = _start_secantus()
    settings.MONGODB_URI = uri
    settings.MONGODB_DATABASE = f"schools24_test_{WORKER}"
    reset_client()
    try:
        yield uri
    finally:
        if process is None:  # a server we did not start keeps running: leave it clean
            try:
                get_client().drop_database(settings.MONGODB_DATABASE)
            except PyMongoError:
                pass
        reset_client()
        if process is not None:
            _stop(process)
            log.unlink(missing_ok=True)


@pytest.fixture
def mongo_db(mongo_server):
    """This worker's test database, emptied before the test; the factory's client is fresh."""
    from django.conf import settings

    from apps.core.mongo import get_client, get_database, reset_client

    assert settings.MONGODB_URI == mongo_server, "a previous test left MONGODB_URI overridden"
    reset_client()
    get_client().drop_database(settings.MONGODB_DATABASE)
    yield get_database()
    reset_client()
