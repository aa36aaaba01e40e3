"""The dashboards' cache: each payload in Django's default cache (the compressed codec, see
`apps.core.codecs`), keyed by school, role, user and language, under the school's *generation*.

The generation is a random token kept in the cache (`dashboard:gen:<school id>`) and replaced
whenever a write changes the school's figures (`apps.core.signals.school_data_changed`, sent by
the domains after their commit): every payload built under the old token is then never read
again and expires with `DASHBOARD_CACHE_TTL`. A random token, not a counter: one evicted from
Redis comes back as a new token no old payload matches.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.cache import cache


def _generation_key(school_id) -> str:
    return f"dashboard:gen:{school_id}"


def generation(school_id) -> str:
    """The school's current generation (made on first use)."""
    key = _generation_key(school_id)
    token = cache.get(key)
    if token is None:
        token = secrets.token_hex(6)
        if not cache.add(key, token, timeout=None):
            token = cache.get(key) or token
    return token


def bump(school_id) -> None:
    """A new generation: every cached dashboard of the school is stale."""
    cache.set(_generation_key(school_id), secrets.token_hex(6), timeout=None)


def payload_key(school_id, gen: str, role: str, user_id, language: str) -> str:
    return f"dashboard:{school_id}:{gen}:{role}:{user_id}:{language}"


def read(key: str):
    return cache.get(key)


def write(key: str, payload: dict) -> None:
    cache.set(key, payload, timeout=settings.DASHBOARD_CACHE_TTL)


def on_school_data_changed(sender, school_id=None, **kwargs) -> None:
    if school_id is not None:
        bump(school_id)
