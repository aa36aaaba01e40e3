"""DRF throttles keyed on the client address from `apps.core.clients` (trusted proxies only).

DRF's own `get_ident` trusts the whole `X-Forwarded-For` header unless `NUM_PROXIES` is set, so a
client could pick a new identity for every request. Every throttle in the project derives from
these classes.
"""

from __future__ import annotations

from rest_framework import throttling

from .clients import client_ident


class ClientIdentMixin:
    def get_ident(self, request) -> str:
        return client_ident(request)


class AnonRateThrottle(ClientIdentMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(ClientIdentMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(ClientIdentMixin, throttling.ScopedRateThrottle):
    pass
