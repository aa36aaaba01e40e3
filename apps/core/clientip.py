"""The client's address, as every part of the product should read it."""

from __future__ import annotations


def client_ip(request) -> str:
    """The address the request came from: the socket's peer (REMOTE_ADDR)."""
    return request.META.get("REMOTE_ADDR", "") or ""
