"""A role's dashboard: every registered section built for the caller, then cached (see
`apps.dashboard.cache`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone, translation

from . import cache
from .context import DashboardContext
from .registry import Registry, registry


def _plain(value):
    """Decimals (money, marks, quantities) as strings, as the API's decimal fields give them."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def build(user, *, now: dt.datetime | None = None, sections: Registry | None = None) -> dict:
    """The dashboard of `user` (signed in, with a school) computed now: `role`, `school`,
    `date` and a `sections` object with one entry per registered section that applies.
    Alerts raised by the sections (a builder's `alerts` list) are gathered in `alerts`."""
    ctx = DashboardContext(user, now=now)
    built: dict[str, object] = {}
    alerts: list[dict] = []
    for section in (sections or registry).sections(ctx.role):
        value = section.builder(ctx)
        if value is None:
            continue
        if isinstance(value, dict) and "alerts" in value:
            alerts += value.pop("alerts")
        built[section.key] = value
    if alerts:
        built["alerts"] = alerts
    return {
        "role": ctx.role,
        "school": {"id": str(user.school_id), "name": user.school.name},
        "date": ctx.today,
        "sections": _plain(dict(sorted(built.items()))),
    }


def dashboard(user, *, fresh: bool = False) -> dict:
    """`build(user)` through the cache: `cached_at` says when it was built; `fresh` rebuilds."""
    language = translation.get_language() or ""
    key = cache.payload_key(
        user.school_id, cache.generation(user.school_id), user.role, user.pk, language
    )
    if not fresh:
        held = cache.read(key)
        if held is not None:
            return held
    payload = build(user)
    payload["cached_at"] = timezone.now()
    cache.write(key, payload)
    return payload
