"""Request id: taken from `X-Request-ID` (set by the ingress) or made here, echoed back, logged.
A backing store that does not answer: a 503 in the API's error shape from any view."""

from __future__ import annotations

import logging
import re
import sys
import uuid

from django.http import JsonResponse

from .exceptions import RETRY_AFTER_SECONDS, store_unavailable_body, unavailable_store
from .logging import request_id_var

logger = logging.getLogger("schools24.api")

_VALID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


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
