"""Celery queue depth on /metrics, read from the Redis broker at scrape time."""

from __future__ import annotations

import re
import uuid

import pytest
import redis
from django.test import Client

from apps.core import queue_metrics


def scrape() -> dict[str, float]:
    text = Client().get("/metrics").content.decode()
    return {
        queue: float(value)
        for queue, value in re.findall(
            r'^schools24_celery_queue_length\{queue="([^"]+)"\} (\S+)$', text, re.M
        )
    }


@pytest.mark.django_db
def test_waiting_messages_of_every_priority_are_counted_per_queue(settings):
    settings.NOTIFICATIONS_SMS_BACKEND = settings.NOTIFICATIONS_PUSH_BACKEND = "locmem"
    assert queue_metrics.queues() == ["buffer", "default", "notifications", "notifications.locmem"]
    before = scrape()
    assert set(before) == {"buffer", "default", "notifications", "notifications.locmem"}

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    marker = f"test-{uuid.uuid4().hex}"
    lists = [
        "notifications",
        f"notifications{queue_metrics.PRIORITY_SEPARATOR}9",
        "notifications.locmem",
    ]
    try:
        client.rpush(lists[0], marker, marker)
        client.rpush(lists[1], marker)
        client.rpush(lists[2], marker)
        after = scrape()
    finally:
        for key in lists:
            client.lrem(key, 0, marker)
        client.close()
    assert after["notifications"] - before["notifications"] == 3
    assert after["notifications.locmem"] - before["notifications.locmem"] == 1
    assert after["default"] == before["default"]


@pytest.mark.django_db
def test_an_unreachable_broker_leaves_the_gauge_out_and_the_scrape_answers(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = Client().get("/metrics")
    assert response.status_code == 200
    assert "schools24_celery_queue_length{" not in response.content.decode()
    assert "django_http_requests_before_middlewares_total" in response.content.decode()


def test_each_configured_notification_provider_has_its_queue(settings):
    settings.NOTIFICATIONS_SMS_BACKEND = "msg91"
    settings.NOTIFICATIONS_PUSH_BACKEND = "fcm"
    assert queue_metrics.queues() == [
        "buffer", "default", "notifications", "notifications.fcm", "notifications.msg91"
    ]  # fmt: skip
