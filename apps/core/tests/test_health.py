"""/health, /healthz, /readyz and /metrics against the real services."""

from __future__ import annotations

import socket
import time

import pytest
from django.test import Client

from apps.core import health, mongo
from apps.core.metrics import COLLECTOR, register_gauge_callback, unregister_gauge_callback


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def ready(db, mongo_server, settings):
    """Every backing service up; tests then break one. Clients are reset around the test."""
    # Generous: on a loaded 2-core CI machine a healthy broker connect can take over a second.
    # Tests of the time limit itself set a short one.
    settings.READYZ_TIMEOUT_SECONDS = 4.0
    mongo.reset_client()
    yield settings
    mongo.reset_client()


def readyz(client):
    started = time.monotonic()
    response = client.get("/readyz")
    return response, response.json(), time.monotonic() - started


# --- /health and /healthz ------------------------------------------------------------------------


def test_legacy_health_body_is_unchanged(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.content == b'{"status": "healthy", "service": "schools24-backend"}'
    assert "no-cache" in response["Cache-Control"]


def test_healthz_touches_no_backing_service(client, settings):
    # No database marker (pytest-django would refuse a query) and every service unreachable.
    settings.MONGODB_URI = f"mongodb://127.0.0.1:{closed_port()}"
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }
    mongo.reset_client()
    response = client.get("/healthz")
    mongo.reset_client()
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "X-Request-ID" in response


# --- /readyz --------------------------------------------------------------------------------------


def test_readyz_ok_when_everything_is_up(client, ready):
    response, body, _ = readyz(client)
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["down"] == []
    assert list(body["checks"]) == ["postgres", "redis", "mongodb", "broker"]
    assert all(check["ok"] for check in body["checks"].values())
    assert all(isinstance(check["ms"], float) for check in body["checks"].values())


def test_readyz_names_mongodb_when_it_is_down(client, ready):
    ready.MONGODB_URI = f"mongodb://127.0.0.1:{closed_port()}"
    mongo.reset_client()
    response, body, took = readyz(client)
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["down"] == ["mongodb"]
    assert body["checks"]["mongodb"]["ok"] is False
    assert body["checks"]["mongodb"]["error"]
    assert body["checks"]["postgres"]["ok"] and body["checks"]["redis"]["ok"]
    assert took < 8


def test_readyz_names_redis_when_the_cache_is_down(client, ready):
    ready.CACHES = {
        "default": {
            **ready.CACHES["default"],
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/7",
        }
    }
    response, body, _ = readyz(client)
    assert response.status_code == 503
    assert body["down"] == ["redis"]
    assert body["checks"]["redis"]["error"] == "ConnectionError"
    assert body["checks"]["broker"]["ok"]  # the broker is configured on its own


def test_readyz_names_the_broker_when_it_is_down(client, ready, monkeypatch):
    from schools24.celery import app

    monkeypatch.setattr(app.conf, "broker_url", f"redis://127.0.0.1:{closed_port()}/7")
    response, body, took = readyz(client)
    assert response.status_code == 503
    assert body["down"] == ["broker"]
    assert took < 8


def test_non_critical_check_degrades_instead_of_failing(client, ready):
    ready.READINESS_NON_CRITICAL = ["mongodb"]
    ready.MONGODB_URI = f"mongodb://127.0.0.1:{closed_port()}"
    mongo.reset_client()
    response, body, _ = readyz(client)
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["degraded"] == ["mongodb"]
    assert body["down"] == []


def test_a_hanging_check_is_cut_off(client, ready, monkeypatch):
    ready.READYZ_TIMEOUT_SECONDS = 0.3
    monkeypatch.setitem(health.CHECKS, "mongodb", lambda: time.sleep(3))
    response, body, took = readyz(client)
    assert response.status_code == 503
    assert body["checks"]["mongodb"] == {"ok": False, "error": "Timeout", "ms": 300.0}
    assert took < 2


def test_extra_readiness_figures_are_added(client, ready, monkeypatch):
    def broken():
        raise RuntimeError("buffer stats unavailable")

    monkeypatch.setattr(
        health, "EXTRA_READINESS", [lambda: {"buffer": {"oldest_seconds": 12}}, broken]
    )
    response, body, _ = readyz(client)
    assert response.status_code == 200
    assert body["buffer"] == {"oldest_seconds": 12}


# --- /metrics -------------------------------------------------------------------------------------


def scrape(client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return response.content.decode()


def test_metrics_exports_request_metrics(client):
    client.get("/healthz")
    text = scrape(client)
    assert "# TYPE django_http_requests_total_by_method_total counter" in text
    assert (
        'django_http_requests_total_by_view_transport_method_total{method="GET",transport="http",'
        'view="healthz"}' in text
    )


@pytest.fixture
def gauges():
    names = []

    def register(name, *args, **kwargs):
        names.append(name)
        register_gauge_callback(name, *args, **kwargs)

    yield register
    for name in names:
        unregister_gauge_callback(name)


def test_registered_gauge_callback_shows_up(client, gauges):
    pending = {"value": 3}
    gauges("schools24_test_pending", "Records waiting.", lambda: pending["value"])
    gauges(
        "schools24_test_pending_by_kind",
        "Records waiting, by kind.",
        lambda: {("attendance",): 12, ("quiz_answer",): 0.5},
        labels=("kind",),
    )
    text = scrape(client)
    assert "# HELP schools24_test_pending Records waiting." in text
    assert "# TYPE schools24_test_pending gauge" in text
    assert "schools24_test_pending 3.0" in text
    assert 'schools24_test_pending_by_kind{kind="attendance"} 12.0' in text
    assert 'schools24_test_pending_by_kind{kind="quiz_answer"} 0.5' in text
    pending["value"] = 7  # evaluated at every scrape
    assert "schools24_test_pending 7.0" in scrape(client)


def test_a_failing_callback_does_not_break_the_scrape(client, gauges):
    gauges("schools24_test_broken", "Fails.", lambda: 1 / 0)
    gauges("schools24_test_absent", "No sample this time.", lambda: None)
    gauges("schools24_test_fine", "Works.", lambda: 1)
    text = scrape(client)
    assert "schools24_test_broken" not in text
    assert "schools24_test_absent " not in text
    assert "schools24_test_fine 1.0" in text
    assert "django_http_requests" in text


def test_gauge_names_are_checked_and_replaced(gauges):
    with pytest.raises(ValueError, match="metric name"):
        register_gauge_callback("bad-name", "x", lambda: 1)
    with pytest.raises(ValueError, match="label name"):
        register_gauge_callback("schools24_ok", "x", lambda: {}, labels=("bad-label",))
    gauges("schools24_test_twice", "first", lambda: 1)
    gauges("schools24_test_twice", "second", lambda: 2)
    assert COLLECTOR.names().count("schools24_test_twice") == 1
    unregister_gauge_callback("schools24_test_twice")
    assert "schools24_test_twice" not in COLLECTOR.names()


def test_metrics_view_keeps_the_gauges_in_multiprocess_mode(gauges, monkeypatch, tmp_path, rf):
    from apps.core.metrics import metrics_view

    gauges("schools24_test_multiprocess", "Seen by every worker.", lambda: 5)
    assert b"schools24_test_multiprocess 5.0" in metrics_view(rf.get("/metrics")).content
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    response = metrics_view(rf.get("/metrics"))
    assert response.status_code == 200
    assert b"schools24_test_multiprocess 5.0" in response.content
    assert b"python_gc_objects" not in response.content  # the per-process registry is not used
