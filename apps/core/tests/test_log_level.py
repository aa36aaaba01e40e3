"""LOG_LEVEL is accepted in either case (gunicorn's docs write `warning`)."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings


def test_a_lower_case_log_level_starts_the_app():
    env = {
        **os.environ,
        "LOG_LEVEL": "warning",
        "DJANGO_SETTINGS_MODULE": "schools24.settings.test",
    }
    script = (
        "import django, logging; django.setup(); "
        "print(logging.getLevelName(logging.getLogger().level))"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", script],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "WARNING"
