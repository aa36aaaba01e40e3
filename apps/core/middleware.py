"""Request id: taken from `X-Request-ID` (set by the ingress) or made here, echoed back, logged,
and one access line per request (method, route, status, duration, user and school ids).
A backing store that does not answer: a 503 in the API's error shape from any view."""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from django.http import JsonResponse

from .exceptions import RETRY_AFTER_SECONDS, store_unavailable_body, unavailable_store
from .logging import current_request_var, request_id_var, resolved_user

logger = logging.getLogger("schools24.api")
access_logger = logging.getLogger("schools24.access")
# Probes and scrapes arrive every few seconds: their access lines are DEBUG.
QUIET_PATHS = frozenset({"/healthz", "/health", "/readyz", "/metrics"})

_VALID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        request_token = current_request_var.set(request)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            log_access(request, response.status_code, started)
        finally:
            current_request_var.reset(request_token)
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


def log_access(request, status: int, started: float) -> None:
    """One line per request: the route pattern (never the path, which may hold a token or an
    id), so lines group per endpoint; ids only, never an e-mail or phone."""
    match = getattr(request, "resolver_match", None)
    route = "/" + match.route if match is not None and match.route else "(unmatched)"
    user = resolved_user(request)
    level = logging.DEBUG if request.path in QUIET_PATHS else logging.INFO
    access_logger.log(
        level,
        "%s %s %s",
        request.method,
        route,
        status,
        extra={
            "method": request.method,
            "route": route,
            "status": status,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
            "user_id": user.pk if user is not None else None,
            "school_id": getattr(user, "school_id", None) if user is not None else None,
        },
    )


class StoreUnavailableMiddleware:
    """Views outside DRF (the admin, calendar feeds, probes): a store that refused, dropped or
    timed out answers 503 with the one error body instead of a generic 500. (DRF views get the
    same from `api_exception_handler`.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        store = unavailable_store(exception)
        if store is None:
            return None
        logger.warning(
            "%s unavailable serving %s: %s: %s",
            store,
            request.path,
            exception.__class__.__name__,
            exception,
        )
        response = JsonResponse(store_unavailable_body(), status=503)
        response["Retry-After"] = RETRY_AFTER_SECONDS
        return response


def server_error(request, *args, **kwargs):
    """handler500: an outage met outside a view (another middleware, e.g. saving the session)
    still answers 503 in the error shape; anything else gets Django's own 500 page."""
    from django.views.defaults import server_error as default_server_error

    exception = sys.exc_info()[1]
    if exception is not None and unavailable_store(exception) is not None:
        response = JsonResponse(store_unavailable_body(), status=503)
        response["Retry-After"] = RETRY_AFTER_SECONDS
        return response
    return default_server_error(request, *args, **kwargs)
