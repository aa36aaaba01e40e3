"""Helpers the benchmarks share: scratch databases, free ports, machine facts, output.

Plain Python (no Django): the scripts create their scratch database before Django starts.
"""

from __future__ import annotations

import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path


def say(text: str = "") -> None:
    print(text, flush=True)


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs ({model or platform.machine()}), load average {load}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scratch_url(server_url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(server_url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def ensure_database(server_url: str, name: str, fresh: bool) -> str:
    import psycopg2

    parts = urllib.parse.urlsplit(server_url)
    conn = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=urllib.parse.unquote(parts.username or "postgres"),
        password=urllib.parse.unquote(parts.password or "") or None,
        dbname="postgres",
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        if fresh:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        made = cursor.fetchone() is None
        if made:
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return "created" if made else "reused"


DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/"


def django_on_scratch(name: str, fresh: bool, **overrides) -> None:
    """Set Django up on the scratch database `name` on DATABASE_URL's server (created when
    missing, dropped first with `fresh`; the name must contain 'bench'), migrated. `overrides`
    are settings changed after set-up (ALLOWED_HOSTS for the test client, say)."""
    import os

    if "bench" not in name:
        raise SystemExit("--db must contain 'bench'")
    server = os.environ.get("DATABASE_URL", DEFAULT_SERVER)
    state = ensure_database(server, name, fresh)
    os.environ["DATABASE_URL"] = scratch_url(server, name)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    for key, value in overrides.items():
        setattr(settings, key, value)
    say(f"database {name}: {state}; migrating")
    call_command("migrate", verbosity=0)


def terminated(signum, frame):
    raise KeyboardInterrupt


# --- MongoDB: MONGODB_URI if it answers, else an in-memory SecantusDB --------------------------
def mongo_answers(uri: str, timeout_ms: int = 1000) -> bool:
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    client = MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms)
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def start_mongo() -> tuple[subprocess.Popen | None, str, str]:
    """(process we started or None, uri, description)."""
    uri = os.environ.get("MONGODB_URI", "")
    if uri and mongo_answers(uri):
        return None, uri, "MONGODB_URI"
    beside = Path(sys.executable).with_name("secantusd-py")
    binary = str(beside) if beside.exists() else shutil.which("secantusd-py")
    if not binary:
        raise SystemExit("MONGODB_URI does not answer and secantusd-py is not installed")
    port = free_port()
    uri = f"mongodb://127.0.0.1:{port}"
    process = subprocess.Popen(  # noqa: S603 - our own binary, fixed arguments
        [binary, "--host", "127.0.0.1", "--port", str(port), "--storage-path", ":memory:"]
        + ["--log-level", "WARNING"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        if mongo_answers(uri, 250):
            return process, uri, "SecantusDB in memory (started by the bench)"
        time.sleep(0.1)
    stop_process(process)
    raise SystemExit("SecantusDB did not start")


def stop_process(process: subprocess.Popen | None, timeout: float = 10) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


# --- gunicorn serving the product, as production does -------------------------------------------
class GunicornServer:
    """`gunicorn <wsgi> -c deploy/gunicorn.conf.py` in its own session on `port`, its output in
    a temporary log (kept with `keep_log`). `wait_ready()` returns gunicorn's "ready" line."""

    def __init__(
        self, env: dict, port: int, *, keep_log: bool = False, wsgi: str = "schools24.wsgi"
    ):
        root = Path(__file__).resolve().parent.parent
        self.port = port
        self.keep_log = keep_log
        self.log_path = Path(tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")[1])
        self.log = self.log_path.open("w")
        self.proc = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
            [
                str(Path(sys.executable).with_name("gunicorn")),
                wsgi,
                "-c",
                "deploy/gunicorn.conf.py",
            ],
            cwd=root,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the bench, which stops gunicorn itself
        )

    def wait_ready(self, timeout: float = 90.0) -> str:
        import http.client

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    ready = [ln for ln in self.tail(200) if "gunicorn ready" in ln]
                    return ready[-1] if ready else ""
            except OSError:
                pass
            time.sleep(0.3)
        say("\n".join(self.tail(40)))
        raise SystemExit("gunicorn did not become ready")

    def tail(self, lines: int) -> list[str]:
        self.log.flush()
        try:
            return self.log_path.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return []

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()
        if self.keep_log:
            say(f"gunicorn log kept: {self.log_path}")
        else:
            self.log_path.unlink(missing_ok=True)


def random_answer(question: dict, rng) -> object:
    """A valid answer of the question's type (a paper's `content`), as a student's client sends."""
    kind = question.get("type")
    options = [o["id"] for o in question.get("options") or []]
    if kind == "single" and options:
        return rng.choice(options)
    if kind == "multiple" and options:
        return sorted(rng.sample(options, rng.randint(1, len(options))))
    if kind == "true_false":
        return rng.random() < 0.5
    if kind == "numeric":
        return rng.randint(0, 500)
    if kind == "short":
        return rng.choice(["forty-two", "one hundred", "seven"])
    if kind == "matching":
        rights = [r["id"] for r in question.get("right") or []]
        return {left["id"]: rng.choice(rights) for left in question.get("left") or []}
    return None
