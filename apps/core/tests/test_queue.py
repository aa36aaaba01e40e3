"""Services enqueue tasks by name; a process that never imported a tasks module still finds it."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings


def test_a_fresh_process_finds_every_task_a_service_names():
    script = (
        "import django; django.setup(); "
        "from apps.core.queue import task; "
        "names = ['apps.accounts.tasks.send_password_reset_email', "
        "'apps.notifications.tasks.send_notification_emails', "
        "'apps.core.tasks.flush_write_buffer']; "
        "print(' '.join(task(n).name for n in names))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "schools24.settings.test"}
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", script],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        "apps.accounts.tasks.send_password_reset_email",
        "apps.notifications.tasks.send_notification_emails",
        "apps.core.tasks.flush_write_buffer",
    ]
