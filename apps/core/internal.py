"""Internal-only endpoints: /metrics, the detailed /readyz body, the API docs and schema.

A request is internal when its client address (`client_ip`) is in INTERNAL_IPS_CIDRS (default:
loopback and the private ranges a cluster's pods, nodes and monitoring live in). Others get a
404 for the internal pages, as if they did not exist, and only the status of /readyz.
Behind a reverse proxy the socket address is the proxy's, which is in a private range: the
ingress must route only the public paths (and the client address must come from a trusted
proxy header, not REMOTE_ADDR) for the check to keep outsiders out.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import Http404

from .clients import client_ip

_cache: tuple[tuple[str, ...], tuple] | None = None


def _networks() -> tuple:
    global _cache
    cidrs = tuple(settings.INTERNAL_IPS_CIDRS)
    if _cache is None or _cache[0] != cidrs:
        _cache = (cidrs, tuple(ipaddress.ip_network(c.strip(), strict=False) for c in cidrs))
    return _cache[1]


def is_internal(request) -> bool:
    try:
        address = ipaddress.ip_address((client_ip(request) or "").strip())
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:10.0.0.5 from a dual-stack socket
    return any(address in network for network in _networks())


def internal_only(view: Callable) -> Callable:
    """Serve `view` to internal addresses only; anyone else gets a 404."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_internal(request):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
