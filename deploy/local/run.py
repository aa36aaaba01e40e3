#!/usr/bin/env python3
"""`make run`: the whole product on this machine, with embedded services where URLs are unset.

Steps: embedded servers for unset DATABASE_URL / REDIS_URL / MONGODB_URI (see services.py), then
`migrate`, `ensure_mongo` and `seed_demo`, then together: the web server, a Celery worker and
Celery beat, their output prefixed by name. Ctrl-C (SIGINT) or SIGTERM stops every process this
started (each runs in its own process group, and the whole group is stopped), then the embedded
servers that nothing else uses; their data stays in .data/ for the next run.

Environment knobs:
    RUN_ADDR=127.0.0.1:8000   where the web server listens
    RUN_WEB=runserver         or `gunicorn` (deploy/gunicorn.conf.py, no autoreload)
    KEEP_SERVICES=1           leave the embedded servers running on exit
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import NoReturn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import services  # noqa: E402

ROOT = services.ROOT
PY = sys.executable
DEMO_PASSWORD = "schools24-demo"  # noqa: S105 - the documented demo password
DEMO_LOGINS = [
    "admin@demo.schools24.test",
    "teacher@demo.schools24.test",
    "student@demo.schools24.test",
    "parent@demo.schools24.test",
    "accountant@demo.schools24.test",
    "admin@second.schools24.test",
]
# Optional steps other parts of the product provide; a missing one is a warning, not an error.
SETUP_STEPS = [
    ["migrate", "--noinput"],
    ["ensure_mongo"],
    ["seed_demo"],
]
REQUIRED_STEPS = {"migrate"}
STOP_TIMEOUT = 20.0


def say(message: str) -> None:
    print(f"[run] {message}", flush=True)


# --- children -------------------------------------------------------------------------------
_libc = None
with contextlib.suppress(OSError, TypeError, AttributeError):
    _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _child_setup() -> None:
    """In the child: die with us even if we are SIGKILLed (Linux PR_SET_PDEATHSIG)."""
    if _libc is not None:
        _libc.prctl(1, signal.SIGTERM)


class Child:
    def __init__(self, name: str, argv: list[str]):
        self.name = name
        self.argv = argv
        self.proc: subprocess.Popen | None = None
        self.thread: threading.Thread | None = None

    def start(self, width: int) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv
            self.argv,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: we stop the whole group
            preexec_fn=_child_setup,
        )
        prefix = f"{self.name:<{width}} | ".encode()
        self.thread = threading.Thread(target=self._pump, args=(prefix,), daemon=True)
        self.thread.start()

    def _pump(self, prefix: bytes) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        out = sys.stdout.buffer
        for line in iter(self.proc.stdout.readline, b""):
            with _print_lock:
                out.write(prefix + line)
                out.flush()

    @property
    def pgid(self) -> int:
        assert self.proc is not None
        return self.proc.pid  # session leader: pgid == pid

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pgid, sig)


_print_lock = threading.Lock()


def group_members(pgid: int) -> list[int]:
    """Live pids whose process group is `pgid` (read from /proc)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def stop_children(children: list[Child], hurry, timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM every child's process group; SIGKILL what is left after `timeout` or `hurry()`."""
    for child in children:
        if child.proc is not None:
            child.signal_group(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not hurry():
        for child in children:
            if child.proc is not None:
                child.proc.poll()
        if not any(group_members(c.pgid) for c in children if c.proc is not None):
            break
        time.sleep(0.2)
    for child in children:
        if child.proc is None:
            continue
        left = group_members(child.pgid)
        if left:
            say(f"{child.name}: {len(left)} process(es) still running; sending SIGKILL")
            child.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.proc.wait(timeout=5)
        if child.thread is not None:
            child.thread.join(timeout=2)


# --- setup ----------------------------------------------------------------------------------
def manage(*args: str) -> int:
    return subprocess.call([PY, "manage.py", *args], cwd=ROOT)  # noqa: S603


def available_commands() -> set[str]:
    code = (
        "import django; django.setup(); "
        "from django.core.management import get_commands; print('\\n'.join(get_commands()))"
    )
    out = subprocess.run(  # noqa: S603
        [PY, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit("[run] Django does not start; see the error above.")
    return set(out.stdout.split())


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_http(url: str, timeout: float, children: list[Child]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(not c.running() for c in children):
            return False
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local URL
                if response.status == 200:
                    return True
        time.sleep(0.3)
    return False


def banner(base: str) -> None:
    lines = [
        "",
        "=" * 72,
        " Schools24 is running",
        f"   API docs   {base}/api/docs/",
        f"   Admin      {base}/admin/",
        f"   API root   {base}/api/v1/",
        f"   Health     {base}/healthz   Readiness {base}/readyz",
        f" Demo logins (password {DEMO_PASSWORD}):",
        *[f"   {email}" for email in DEMO_LOGINS],
        " Ctrl-C stops everything (data stays in .data/).",
        "=" * 72,
        "",
    ]
    with _print_lock:
        print("\n".join(lines), flush=True)


# --- main -----------------------------------------------------------------------------------
class Stop(Exception):
    pass


def _set_up() -> int:
    """The services (embedded ones leased) and the manage.py setup steps; a non-zero exit code
    when a required one fails, else 0."""
    started = time.monotonic()
    try:
        urls = services.ensure(lease=True)
    except services.ServiceError as exc:
        say(f"ERROR: {exc}")
        return 1
    os.environ.update(urls)
    for var in services.SERVICES:
        where = "embedded" if var in urls else "from the environment"
        say(f"{var} ({where}): {os.environ[var]}")

    commands = available_commands()
    for step in SETUP_STEPS:
        if step[0] not in commands:
            if step[0] in REQUIRED_STEPS:
                say(f"ERROR: manage.py {step[0]} does not exist")
                return 1
            say(f"WARNING: manage.py {step[0]} is not available yet; skipped")
            continue
        say(f"manage.py {' '.join(step)}")
        result = manage(*step)
        if result != 0:
            if step[0] in REQUIRED_STEPS:
                say(f"ERROR: manage.py {step[0]} failed ({result})")
                return result
            say(f"WARNING: manage.py {step[0]} failed ({result}); continuing")
    say(f"setup done in {time.monotonic() - started:.1f}s")
    return 0


def _children(addr: str, web_mode: str) -> list[Child]:
    """The web server, a Celery worker and beat (not started yet)."""
    if web_mode == "gunicorn":
        os.environ.setdefault("WEB_CONCURRENCY", "2")
        web = [
            PY, "-m", "gunicorn", "schools24.wsgi:application",
            "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "--bind", addr,
        ]  # fmt: skip
    else:
        web = [PY, "manage.py", "runserver", addr]
    celery = [PY, "-m", "celery", "-A", "schools24"]
    worker = "worker -Q default,notifications,buffer,notifications.console --concurrency 2 -l INFO".split()
    beat = "beat -l INFO --scheduler django_celery_beat.schedulers:DatabaseScheduler".split()
    return [
        Child("web", web),
        Child("worker", [*celery, *worker, "-n", f"local-{os.getpid()}@%h"]),
        Child("beat", [*celery, *beat, "--pidfile", str(services.RUN / "celerybeat.pid")]),
    ]


def _watch(children: list[Child]) -> NoReturn:
    """Wait until one child stops on its own or a signal comes; either raises Stop (a child's
    carries the exit code for `main`)."""
    while True:
        for child in children:
            rc = child.proc.poll() if child.proc else None
            if rc is not None:
                say(f"{child.name} exited with {rc}; stopping the others")
                raise Stop(rc or 1)
        time.sleep(0.5)


def main() -> int:
    os.chdir(ROOT)
    os.environ["DJANGO_SETTINGS_MODULE"] = "schools24.settings.local"
    os.environ.setdefault("LOG_FORMAT", "plain")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    addr = os.environ.get("RUN_ADDR", "127.0.0.1:8000")
    host, _, port = addr.rpartition(":")
    host = host or "127.0.0.1"
    web_mode = os.environ.get("RUN_WEB", "runserver")

    stopping = {"count": 0}

    def on_signal(signum, _frame):
        stopping["count"] += 1
        if stopping["count"] == 1:
            say(f"{signal.Signals(signum).name} received; stopping…")
            raise Stop

    # Installed explicitly: a background job started by a non-interactive shell inherits an
    # ignored SIGINT, and Ctrl-C must work the same in every case.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    children: list[Child] = []
    code = 0
    try:
        if port_in_use(host, int(port)):
            say(f"ERROR: {addr} is already in use (another `make run`?). Set RUN_ADDR=host:port.")
            return 1
        failed = _set_up()
        if failed:
            return failed
        # Assigned before they start: a signal while starting still stops the ones started.
        children = _children(addr, web_mode)
        width = max(len(c.name) for c in children)
        for child in children:
            child.start(width)
            say(f"started {child.name} (pid {child.pgid}): {' '.join(child.argv[1:])}")
        base = f"http://{addr}"
        if wait_http(f"{base}/healthz", 60, children):
            banner(base)
        _watch(children)
    except Stop as stop:
        code = stop.args[0] if stop.args else code
    finally:
        # A second Ctrl-C must not interrupt the clean-up itself; it only hurries it (SIGKILL).
        def hurry_up(*_):
            stopping["count"] += 1
            say("second signal: killing what is left")

        signal.signal(signal.SIGINT, hurry_up)
        signal.signal(signal.SIGTERM, hurry_up)
        if children:
            stop_children(children, hurry=lambda: stopping["count"] > 1)
            left = {c.name: group_members(c.pgid) for c in children if c.proc is not None}
            left = {name: pids for name, pids in left.items() if pids}
            say(f"still running: {left}" if left else "all processes stopped")
        services.release()
    return code


if __name__ == "__main__":
    sys.exit(main())
