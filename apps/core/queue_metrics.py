"""Celery queue depth on /metrics: ``schools24_celery_queue_length{queue}``.

Messages waiting in each queue the product routes tasks to (CELERY_TASK_DEFAULT_QUEUE, the
queues in CELERY_TASK_ROUTES, and the notification providers' own queues
`notifications.<provider>` that SMS and push sends are published to, one per configured
backend: NOTIFICATIONS_SMS_BACKEND, NOTIFICATIONS_PUSH_BACKEND), read from the Redis broker at scrape time: one pipelined LLEN per
queue and priority list, with a short socket timeout so a slow broker never holds up a scrape
(the gauge is then left out of that scrape). Any pod can answer: the figure lives in the broker.
A broker that is not Redis publishes nothing.
"""

from __future__ import annotations

import threading

from django.conf import settings

# kombu's Redis transport keeps one list per priority step: the queue's own name for the
# default step, `<queue>\x06\x16<step>` for the others (priority_steps 0, 3, 6, 9).
PRIORITY_SEPARATOR = "\x06\x16"
PRIORITY_STEPS = (3, 6, 9)
TIMEOUT_SECONDS = 1.0

_lock = threading.Lock()
_client = None
_client_url: str | None = None


def queues() -> list[str]:
    names = {settings.CELERY_TASK_DEFAULT_QUEUE}
    for route in (settings.CELERY_TASK_ROUTES or {}).values():
        if isinstance(route, dict) and route.get("queue"):
            names.add(route["queue"])
    # Named by setting, not by importing the notifications app (apps/core imports no domain).
    for backend in (settings.NOTIFICATIONS_SMS_BACKEND, settings.NOTIFICATIONS_PUSH_BACKEND):
        names.add(f"notifications.{backend}")
    return sorted(names)


def _broker():
    global _client, _client_url
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    with _lock:
        if _client is None or _client_url != url:
            import redis

            _client = redis.Redis.from_url(
                url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
            )
            _client_url = url
        return _client


def queue_lengths() -> dict[tuple[str], float] | None:
    client = _broker()
    if client is None:
        return None
    names = queues()
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.llen(name)
        for step in PRIORITY_STEPS:
            pipe.llen(f"{name}{PRIORITY_SEPARATOR}{step}")
    counts = pipe.execute()
    per_queue = 1 + len(PRIORITY_STEPS)
    return {
        (name,): float(sum(counts[i * per_queue : (i + 1) * per_queue]))
        for i, name in enumerate(names)
    }


def install() -> None:
    """Register the gauge (idempotent)."""
    from apps.core.metrics import register_gauge_callback

    register_gauge_callback(
        "schools24_celery_queue_length",
        "Messages waiting in a Celery queue on the broker.",
        queue_lengths,
        labels=("queue",),
    )
