"""The one place a MongoClient is made: lazily, once per process, re-made after a fork.

gunicorn and Celery fork workers; a MongoClient must not cross a fork, so the client remembers
the pid that made it and a child process makes its own.
"""

from __future__ import annotations

import os
import threading

from django.conf import settings
from pymongo import MongoClient
from pymongo.database import Database

_lock = threading.Lock()
_client: MongoClient | None = None
_client_pid: int | None = None


def get_client() -> MongoClient:
    global _client, _client_pid
    if _client is not None and _client_pid == os.getpid():
        return _client
    with _lock:
        if _client is None or _client_pid != os.getpid():
            _client = MongoClient(
                settings.MONGODB_URI,
                serverSelectionTimeoutMS=settings.MONGODB_TIMEOUT_MS,
                connectTimeoutMS=settings.MONGODB_TIMEOUT_MS,
                socketTimeoutMS=max(settings.MONGODB_TIMEOUT_MS * 3, 10000),
                retryWrites=True,
                tz_aware=True,
                appname="schools24",
            )
            _client_pid = os.getpid()
    return _client


def get_database() -> Database:
    return get_client()[settings.MONGODB_DATABASE]


def reset_client() -> None:
    """Drop the cached client (tests that point MONGODB_URI elsewhere)."""
    global _client, _client_pid
    with _lock:
        if _client is not None and _client_pid == os.getpid():
            _client.close()
        _client, _client_pid = None, None
