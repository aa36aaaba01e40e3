"""LOG_LEVEL is accepted in either case (gunicorn's docs write `warning`)."""

from __future__ import annotations

from apps.core.testing import run_django_python


def test_a_lower_case_log_level_starts_the_app():
    done = run_django_python(
        "import logging; print(logging.getLevelName(logging.getLogger().level))",
        LOG_LEVEL="warning",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "WARNING"
