"""A URLconf for tests: plain Django views (not DRF) that meet a store that does not answer."""

from __future__ import annotations

import redis
from django.db import OperationalError
from django.http import HttpResponse
from django.urls import path
from pymongo.errors import ServerSelectionTimeoutError


def postgres_down(request):
    raise OperationalError("connection to server failed: timeout expired")


def redis_down(request):
    raise redis.exceptions.TimeoutError("Timeout reading from socket")


def mongodb_down(request):
    raise ServerSelectionTimeoutError("127.0.0.1:27017: timed out")


def broken(request):
    raise RuntimeError("a bug, not an outage")


def fine(request):
    return HttpResponse("ok")


urlpatterns = [
    path("postgres", postgres_down),
    path("redis", redis_down),
    path("mongodb", mongodb_down),
    path("broken", broken),
    path("fine", fine),
]
