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


def test_enqueueing_to_a_broker_that_never_answers_fails_instead_of_hanging():
    """A broker that accepts the connection and then says nothing (a wedged Redis, a dropped
    route): the product's socket timeout and publish retry policy end the enqueue with an error.
    The timeout is shortened here; the test proves the options are ones the transport honours
    (a misspelt option would leave the publish waiting until pytest-timeout kills the test)."""
    script = """
import socket, threading
from kombu.exceptions import OperationalError
from schools24.celery import app
from django.conf import settings

silent = socket.socket(); silent.bind(("127.0.0.1", 0)); silent.listen(8)
held = []
threading.Thread(target=lambda: [held.append(silent.accept()) for _ in range(8)], daemon=True).start()
options = dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS)
assert set(options) == {"socket_timeout", "socket_connect_timeout"}, options
app.conf.broker_transport_options = {name: 0.3 for name in options}
app.conf.broker_url = "redis://127.0.0.1:%d/0" % silent.getsockname()[1]
app.conf.task_always_eager = False
from apps.core.queue import task
try:
    task("apps.core.tasks.flush_write_buffer").apply_async(
        retry_policy=settings.CELERY_TASK_PUBLISH_RETRY_POLICY
    )
except (OperationalError, OSError) as exc:
    print("refused:", type(exc).__name__)
else:
    print("published")
"""
    done = run_django_python(script)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("refused:"), done.stdout
