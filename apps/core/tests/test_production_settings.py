"""Production settings refuse to start with a development secret."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

PROBE = "from django.conf import settings; settings.SECRET_KEY; print('started')"
GOOD_KEY = "k3Y-" + "x7Qp9vR2mZ8wL4tN6yB1cF5hJ0sD3gA" * 2


def _start(**env_vars) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "SECRET_KEY_FILE", "JWT_SECRET", "JWT_SECRET_FILE", "DEBUG"}
    }
    env["DJANGO_SETTINGS_MODULE"] = "schools24.settings.production"
    env.update(env_vars)
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", f"import django; django.setup(); {PROBE}"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "env_vars",
    [
        {"SECRET_KEY": "insecure-development-key-change-me"},
        {"DEBUG": "true"},  # DEBUG would pick the development key by itself
        {"SECRET_KEY": "test-secret-key-not-for-production-0123456789abcdef"},
        {"SECRET_KEY": "django-insecure-abcdefghijklmnopqrstuvwxyz0123456789"},
        {"SECRET_KEY": GOOD_KEY, "JWT_SECRET": "insecure-development-key-change-me"},
        # a rotation list still holding the public local webhook secret
        {"SECRET_KEY": GOOD_KEY, "STRIPE_WEBHOOK_SECRET": "whsec_real,whsec_schools24local"},
    ],
    ids=[
        "dev-key",
        "debug-default",
        "test-key",
        "django-insecure",
        "jwt-dev-key",
        "payment-dev-key",
    ],
)
def test_production_settings_refuse_development_keys(env_vars):
    result = _start(**env_vars)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "development key" in result.stderr
    assert "started" not in result.stdout


def test_production_settings_start_with_a_real_key():
    result = _start(SECRET_KEY=GOOD_KEY)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout
