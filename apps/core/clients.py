"""Who is calling: the client's address, as far as the operator's proxies can be trusted.

`TRUSTED_PROXY_COUNT` says how many reverse proxies (load balancer, ingress) stand in front of
the application and append to `X-Forwarded-For`:
- 0 (the default): the socket's peer, `REMOTE_ADDR`; `X-Forwarded-For` is ignored, since anyone
  can send it;
- N > 0: the Nth address from the right of `X-Forwarded-For` (the address the outermost trusted
  proxy saw). Addresses left of it were written by the client and are never used.
A header with fewer than N addresses, or an entry that is not an IP address, falls back to
`REMOTE_ADDR`. One helper serves the DRF throttles, the sign-in lockout and the audit log.
"""

from __future__ import annotations

import contextvars
import ipaddress

from django.conf import settings

# The client address of the request being served, for code that has no request (the audit log).
client_ip_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "client_ip", default=None
)


def _ip(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:51000"
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The calling client's IP address (see the module docstring), or None when unknown."""
    meta = request.META
    remote = _ip(meta.get("REMOTE_ADDR", "") or "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote
    return _ip(forwarded[-count]) or remote


def client_ident(request) -> str:
    """`client_ip` as a key for counters: never empty."""
    return client_ip(request) or "unknown"


class ClientIpMiddleware:
    """Remember the client's address for the request's duration (the audit log reads it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = client_ip_var.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            client_ip_var.reset(token)
