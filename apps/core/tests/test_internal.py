"""/metrics, the API docs and schema, and the detailed /readyz body are for internal addresses
(INTERNAL_IPS_CIDRS); everyone else gets a 404, and only the status from /readyz."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.core import mongo
from apps.core.clients import client_ip
from apps.core.internal import is_internal

OUTSIDER = "203.0.113.7"
INTERNAL_PAGES = ["/metrics", "/api/docs/", "/api/schema/"]


@pytest.fixture
def ready(db, mongo_server, settings):
    settings.READYZ_TIMEOUT_SECONDS = 4.0  # a loaded CI machine; the bound is tested elsewhere
    mongo.reset_client()
    yield settings
    mongo.reset_client()


@pytest.mark.parametrize("address", ["127.0.0.1", "10.2.3.4", "172.20.0.9", "192.168.1.20", "::1"])
@pytest.mark.parametrize("path", INTERNAL_PAGES)
def test_internal_addresses_get_the_internal_pages(db, path, address):
    response = Client(REMOTE_ADDR=address).get(path)
    assert response.status_code == 200, (path, address)
    if path == "/metrics":
        assert b"django_http_requests_total_by_method_total" in response.content


@pytest.mark.parametrize("address", [OUTSIDER, "8.8.8.8", "2001:db8::1", "", "not-an-ip"])
@pytest.mark.parametrize("path", INTERNAL_PAGES)
def test_outsiders_get_404_for_the_internal_pages(db, path, address):
    response = Client(REMOTE_ADDR=address).get(path)
    assert response.status_code == 404, (path, address)
    assert b"django_http" not in response.content
    assert b"openapi" not in response.content.lower()


def test_the_allow_list_is_configurable(db, settings):
    settings.INTERNAL_IPS_CIDRS = ["203.0.113.0/24"]
    assert Client(REMOTE_ADDR=OUTSIDER).get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="10.0.0.5").get("/metrics").status_code == 404
    assert Client(REMOTE_ADDR="127.0.0.1").get("/api/docs/").status_code == 404


def test_readyz_body_is_detailed_inside_and_minimal_outside(ready):
    inside = Client(REMOTE_ADDR="10.0.0.5").get("/readyz")
    assert inside.status_code == 200
    assert set(inside.json()) >= {"status", "down", "checks", "write_buffer"}
    outside = Client(REMOTE_ADDR=OUTSIDER).get("/readyz")
    assert outside.status_code == 200
    assert outside.json() == {"status": "ok"}


def test_readyz_outside_keeps_the_status_code_when_down(ready, settings):
    from apps.core.testing import free_port

    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    outside = Client(REMOTE_ADDR=OUTSIDER).get("/readyz")
    assert outside.status_code == 503
    assert outside.json() == {"status": "unavailable"}  # which service is down is not said


def test_healthz_stays_public():
    response = Client(REMOTE_ADDR=OUTSIDER).get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_client_ip_is_the_socket_address(rf):
    request = rf.get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR=OUTSIDER)
    assert client_ip(request) == "10.1.2.3"
    assert is_internal(request)
    ipv4_mapped = rf.get("/", REMOTE_ADDR="::ffff:10.1.2.3")
    assert is_internal(ipv4_mapped)


def test_behind_a_trusted_proxy_the_forwarded_client_decides(rf, settings):
    """Behind the ingress every request comes from a private address: with one trusted proxy
    the client it forwarded for is what counts, so an outsider is not served /metrics."""
    settings.TRUSTED_PROXY_COUNT = 1
    via_ingress = rf.get("/metrics", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=OUTSIDER)
    assert client_ip(via_ingress) == OUTSIDER
    assert not is_internal(via_ingress)
    from_the_cluster = rf.get("/metrics", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="10.0.3.4")
    assert is_internal(from_the_cluster)
