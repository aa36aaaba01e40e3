"""Client identity: which address throttles, the sign-in lockout and the audit log see."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import RequestFactory
from rest_framework.test import APIClient

from apps.core.clients import client_ip
from apps.core.models import AuditLog
from apps.core.throttling import ScopedRateThrottle

TOKEN = "/api/v1/auth/token/"


def _request(remote="10.0.0.5", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_socket_address_wins(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request("10.0.0.5", "203.0.113.9")) == "10.0.0.5"


def test_with_trusted_proxies_the_nth_address_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request("10.0.0.5", "1.1.1.1, 203.0.113.9")) == "203.0.113.9"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request("10.0.0.5", "1.1.1.1, 203.0.113.9, 10.0.0.4")) == "203.0.113.9"
    assert client_ip(_request("10.0.0.5", "[2001:db8::1]:443, 10.0.0.4")) == "2001:db8::1"


def test_short_or_garbled_forwarded_header_falls_back_to_the_socket(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request("10.0.0.5", "203.0.113.9")) == "10.0.0.5"
    assert client_ip(_request("10.0.0.5", "not-an-ip, 10.0.0.4")) == "10.0.0.5"
    assert client_ip(_request("10.0.0.5")) == "10.0.0.5"


def _login(index, forwarded, password="bad-guess-password"):
    return APIClient().post(
        TOKEN,
        {"email": f"guess{index}@alice.test", "password": password},
        format="json",
        REMOTE_ADDR="10.7.7.7",
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_rotating_forwarded_for_does_not_escape_the_login_throttle(cast, settings, monkeypatch):
    settings.TRUSTED_PROXY_COUNT = 0
    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {**ScopedRateThrottle.THROTTLE_RATES, "login": "3/min"},
    )
    statuses = [_login(i, f"198.51.100.{i}").status_code for i in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert _login(9, "198.51.100.99").json()["error"]["code"] == "throttled"


def test_rotating_forwarded_for_does_not_escape_the_client_lockout(cast, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.LOGIN_CLIENT_FAILURE_LIMIT = 3
    statuses = [_login(i, f"198.51.100.{i}").status_code for i in range(3)]
    assert statuses == [401, 401, 401]
    locked = APIClient().post(
        TOKEN,
        {"email": "alice@alice.test", "password": "correct-horse-battery"},
        format="json",
        REMOTE_ADDR="10.7.7.7",
        HTTP_X_FORWARDED_FOR="192.0.2.200",
    )
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "locked_out"


def test_behind_one_proxy_spoofed_left_entries_share_the_real_clients_counter(cast, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_CLIENT_FAILURE_LIMIT = 3
    statuses = [_login(i, f"198.51.100.{i}, 203.0.113.9").status_code for i in range(4)]
    assert statuses == [401, 401, 401, 429]
    # another client behind the same proxy is not affected
    assert _login(8, "203.0.113.10").status_code == 401


def test_audit_log_records_the_client_address(cast, api, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    response = api(cast.admin).patch(
        f"/api/v1/users/{cast.teacher.user.pk}/",
        {"full_name": "Tara T."},
        format="json",
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.44",
    )
    assert response.status_code == 200
    entry = AuditLog.objects.get(action="user.update", object_id=str(cast.teacher.user.pk))
    assert entry.ip_address == "203.0.113.44"


def test_audit_log_records_the_socket_address_without_proxies(cast, api, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    api(cast.admin).post(
        f"/api/v1/users/{cast.teacher.user.pk}/deactivate/",
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR="203.0.113.44",
    )
    entry = AuditLog.objects.get(action="user.deactivate")
    assert entry.ip_address == "10.0.0.5"


def _gunicorn_conf():
    path = Path(django_settings.BASE_DIR) / "deploy" / "gunicorn.conf.py"
    spec = importlib.util.spec_from_file_location("gunicorn_conf_clients", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "127.0.0.1"), ("", "127.0.0.1"), ("10.0.0.0/8,192.168.1.1", "10.0.0.0/8,192.168.1.1")],
)
def test_gunicorn_trusts_forwarded_headers_only_from_configured_proxies(
    monkeypatch, value, expected
):
    if value is None:
        monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    else:
        monkeypatch.setenv("FORWARDED_ALLOW_IPS", value)
    conf = _gunicorn_conf()
    assert conf.forwarded_allow_ips == expected
    assert conf.proxy_allow_ips == expected
