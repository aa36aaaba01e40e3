"""gunicorn settings for the Schools24 web process (the Docker image and the Helm chart use it).

Everything is tunable from the environment:
    PORT               listen port (8080); BIND overrides the whole address
    WEB_CONCURRENCY    worker processes (default: 2 x CPUs + 1, capped at 8)
    GUNICORN_THREADS   threads per worker (4; gthread worker class when > 1)
    GUNICORN_TIMEOUT   seconds a request may take before the worker is restarted (60)
    GUNICORN_GRACEFUL_TIMEOUT / GUNICORN_KEEPALIVE / GUNICORN_MAX_REQUESTS(_JITTER)
    GUNICORN_ACCESS_LOG  "-" (stdout, default) or "" to turn the access log off
    FORWARDED_ALLOW_IPS  proxies trusted for X-Forwarded-Proto (127.0.0.1)
    PROMETHEUS_MULTIPROC_DIR  where workers keep their metric files (default: a fresh directory
                       under /dev/shm); emptied at start, so one scrape sums every worker
"""

import json
import multiprocessing
import os
import re
import tempfile
from datetime import UTC, datetime

from gunicorn import glogging


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def prepare_prometheus_dir(environ=os.environ) -> str:
    """Put prometheus_client in multiprocess mode for this server: every worker writes its
    counters and histograms to files in PROMETHEUS_MULTIPROC_DIR and /metrics (whichever worker
    answers) sums them. Must run before the application (and prometheus_client) is imported,
    i.e. when this file is read. An operator's directory is emptied the first time (files of an
    earlier run would be added to this one's counts); without one a fresh directory is made."""
    path = environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip()
    if not path:
        base = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
        path = tempfile.mkdtemp(prefix="schools24-prometheus-", dir=base)
        environ["PROMETHEUS_MULTIPROC_DIR"] = path
        environ["SCHOOLS24_PROMETHEUS_DIR_MADE"] = path  # removed again by on_exit
    elif environ.get("SCHOOLS24_PROMETHEUS_DIR_READY") != path:  # not again on a reload (HUP)
        os.makedirs(path, exist_ok=True)
        for name in os.listdir(path):
            if name.endswith(".db"):
                os.unlink(os.path.join(path, name))
    environ["SCHOOLS24_PROMETHEUS_DIR_READY"] = path
    return path


if __name__ == "__config__":  # read by gunicorn (tests import this file for its functions)
    prepare_prometheus_dir()


bind = os.environ.get("BIND") or f"0.0.0.0:{_int('PORT', 8080)}"
workers = _int("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2 + 1, 8))
threads = _int("GUNICORN_THREADS", 4)
worker_class = "gthread" if threads > 1 else "sync"
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so a slow leak never takes a pod down.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# Import the app before forking: faster worker start, shared memory. The Mongo client and the
# DB connections are made lazily per process, so nothing crosses the fork.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() in ("1", "true", "yes")
# /dev/shm for the heartbeat file: container disks can stall and get workers killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# gunicorn's control socket (gunicornc) would live in $HOME, which the image's user cannot write;
# containers are managed by the orchestrator instead. GUNICORN_CONTROL_SOCKET=path turns it on.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or None
control_socket_disable = control_socket is None
if control_socket is None:
    del control_socket

# Addresses (or CIDR networks, comma-separated) of the proxies whose X-Forwarded-Proto/-Ssl
# gunicorn believes. Only the local host by default: "*" would let any client claim HTTPS. Set it
# to the ingress/load balancer's network; the client address itself is chosen by the
# application from TRUSTED_PROXY_COUNT, never by gunicorn.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "").strip() or "127.0.0.1"
proxy_allow_ips = forwarded_allow_ips

# Logs go to stdout/stderr for the platform to collect. The access log is one JSON object per
# line (JsonAccessLogger below); request_id is the X-Request-ID the RequestIdMiddleware also
# puts in the application's own log lines. Probe paths are not logged unless they fail.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
QUIET_PATHS = {"/healthz", "/readyz", "/health", "/metrics"}
# Secrets that travel in the path (calendar feed and unsubscribe tokens) never reach the logs.
SECRET_PATHS = re.compile(r"(/calendar/feed/)[^/]+(\.ics)$|(/unsubscribe/)[^/]+(/?)$")
# Query-string values of these keys are masked (a token or code sent as a parameter).
SECRET_QUERY = re.compile(
    r"((?:^|&)[^=&]*(?:token|password|secret|otp|code|signature|key|phone)[^=&]*=)[^&]*",
    re.IGNORECASE,
)


def mask_path(path: str) -> str:
    return SECRET_PATHS.sub(lambda m: f"{m[1] or m[3]}***{m[2] or m[4] or ''}", path)


def mask_query(query: str) -> str | None:
    return SECRET_QUERY.sub(r"\1***", query) if query else None


def _size(resp, response_headers: dict) -> int | None:
    # resp.sent stays 0 for files sent with sendfile(); Content-Length has the size then.
    sent = getattr(resp, "sent", None)
    length = response_headers.get("content-length", "")
    return int(length) if not sent and length.isdigit() else sent


class JsonAccessLogger(glogging.Logger):
    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        status = str(resp.status).split(None, 1)[0]
        path = environ.get("PATH_INFO", "")
        if path in QUIET_PATHS and status.startswith("2"):
            return
        headers = {k.lower(): v for k, v in getattr(req, "headers", [])}
        response_headers = {k.lower(): v for k, v in getattr(resp, "headers", [])}
        record = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "remote": environ.get("REMOTE_ADDR", "-"),
            "forwarded_for": headers.get("x-forwarded-for"),
            "method": environ.get("REQUEST_METHOD"),
            "path": mask_path(path),
            "query": mask_query(environ.get("QUERY_STRING", "")),
            "status": int(status) if status.isdigit() else status,
            "bytes": _size(resp, response_headers),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "user_agent": headers.get("user-agent"),
            "request_id": response_headers.get("x-request-id") or headers.get("x-request-id"),
        }
        try:
            self.access_log.info(json.dumps(record, separators=(",", ":"), default=str))
        except Exception:  # noqa: BLE001 - a log line must never break a response
            self.exception("access log failed")


logger_class = JsonAccessLogger


def when_ready(server):
    server.log.info(
        "gunicorn ready on %s: %s workers x %s threads (%s), timeout %ss",
        bind,
        workers,
        threads,
        worker_class,
        timeout,
    )


def child_exit(server, worker):
    # A dead worker's live gauges must not linger in the sums; its counters stay (they count).
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    made = os.environ.get("SCHOOLS24_PROMETHEUS_DIR_MADE")
    if made and made == os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        import shutil

        shutil.rmtree(made, ignore_errors=True)
