"""Services enqueue tasks by name; a process that never imported a tasks module still finds it."""

from __future__ import annotations

from apps.core.testing import run_django_python

NAMES = [
    "apps.accounts.tasks.send_password_reset_email",
    "apps.notifications.tasks.send_notification_emails",
    "apps.core.tasks.flush_write_buffer",
]


def test_a_fresh_process_finds_every_task_a_service_names():
    done = run_django_python(
        f"from apps.core.queue import task; print(' '.join(task(n).name for n in {NAMES!r}))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == NAMES
