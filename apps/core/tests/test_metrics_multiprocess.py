"""Under gunicorn with several workers, one /metrics scrape counts what every worker served."""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import pytest
from django.conf import settings

from apps.core.testing import AppServer

pytestmark = pytest.mark.django_db(transaction=True)

HEALTH = re.compile(
    r'^django_http_requests_total_by_view_transport_method_total\{[^}]*view="health"[^}]*\} '
    r"([0-9.]+)$",
    re.M,
)


def _conf():
    import importlib.util

    path = settings.BASE_DIR / "deploy" / "gunicorn.conf.py"
    spec = importlib.util.spec_from_file_location("gunicorn_conf", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def health_count(text: str) -> float:
    return sum(float(value) for value in HEALTH.findall(text))


def test_one_scrape_counts_the_requests_of_both_workers(monkeypatch):
    # No PROMETHEUS_MULTIPROC_DIR given: the gunicorn configuration makes one.
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    # Sync workers, one request at a time each: holding one worker on a half-sent request makes
    # the other serve everything meanwhile, so both workers certainly served some.
    with AppServer({}, workers=2, threads=1) as server:
        held = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        held.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # headers not finished
        time.sleep(0.5)
        sent = 1
        for _ in range(9):
            status, _, body, _ = server.get("/health")
            assert status == 200, body
            sent += 1
        held.sendall(b"Connection: close\r\n\r\n")
        assert held.recv(4096).startswith(b"HTTP/1.1 200 ")
        held.close()
        for _ in range(4):  # whichever worker answers the scrape, the sum is the same
            status, headers, body, _ = server.get("/metrics")
            assert status == 200
            text = body.decode()
            assert health_count(text) == sent, text[:3000]
            assert "schools24_write_buffer_pending" in text  # the buffer gauges too
            assert "python_gc_objects" not in text  # no single worker's own registry


def test_an_operators_metrics_directory_is_emptied_once_at_start(tmp_path):
    prepare = _conf().prepare_prometheus_dir
    (tmp_path / "counter_999999.db").write_bytes(b"left by an earlier run")
    (tmp_path / "keep.txt").write_text("not ours")
    environ = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    assert prepare(environ) == str(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]
    (tmp_path / "counter_123.db").write_bytes(b"a live worker's")
    prepare(environ)  # the configuration read again (HUP): live files stay
    assert (tmp_path / "counter_123.db").exists()


def test_the_metrics_directory_is_made_when_not_given():
    environ: dict[str, str] = {}
    path = Path(_conf().prepare_prometheus_dir(environ))
    assert environ["PROMETHEUS_MULTIPROC_DIR"] == str(path)
    assert path.is_dir()
    path.rmdir()
