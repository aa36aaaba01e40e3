"""One application error type and one API exception handler.

Every API error body has the same shape:
    {"error": {"code": "validation_error", "message": "...", "fields": {"email": ["..."]}}}
Services raise `ApplicationError` (or Django's `ValidationError` from `full_clean()`); views never
build error responses by hand.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

logger = logging.getLogger("schools24.api")


class ApplicationError(Exception):
    """A business rule said no. Carries a stable code, a message and optional field errors."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        fields: dict[str, Any] | None = None,
        status_code: int | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.fields = fields or {}
        if status_code is not None:
            self.status_code = status_code


class ServiceUnavailable(ApplicationError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE

    def __init__(self, message: str, *, code: str = "service_unavailable"):
        super().__init__(message, code=code)


def in_use_message(exc: ProtectedError | RestrictedError) -> str:
    """Why a delete was refused by a PROTECT/RESTRICT foreign key, naming what still refers."""
    objects = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", ())
    names = sorted({str(obj._meta.verbose_name_plural) for obj in objects})
    return _("This cannot be deleted while %(things)s still refer to it.") % {
        "things": ", ".join(names) or _("other records")
    }


def _fields_from(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {key: value for key, value in detail.items()}
    return {}


def _body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": str(message), "fields": fields or {}}}


def _store_errors() -> dict[type[BaseException], str]:
    """Errors meaning "a backing store did not answer": connection refused, dropped or timed
    out (the time limits are settings: DATABASE_*, REDIS_*, MONGODB_*_TIMEOUT*)."""
    import kombu.exceptions
    import pymongo.errors
    import redis.exceptions
    from django.db import InterfaceError, OperationalError
    from django_redis.exceptions import ConnectionInterrupted

    return {
        OperationalError: "postgres",
        InterfaceError: "postgres",
        ConnectionInterrupted: "redis",
        redis.exceptions.ConnectionError: "redis",
        redis.exceptions.TimeoutError: "redis",
        pymongo.errors.ConnectionFailure: "mongodb",  # also NetworkTimeout, ServerSelection...
        pymongo.errors.ExecutionTimeout: "mongodb",
        kombu.exceptions.OperationalError: "broker",
    }


def unavailable_store(exc: BaseException) -> str | None:
    """The store ("postgres", "redis", "mongodb", "broker") whose failure `exc` is, or None."""
    for error, store in _store_errors().items():
        if isinstance(exc, error):
            return store
    return None


def store_unavailable_body() -> dict[str, Any]:
    return _body(
        "service_unavailable",
        _("The service is temporarily unavailable. Please try again in a moment."),
    )


RETRY_AFTER_SECONDS = "5"


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    store = unavailable_store(exc)
    if store is not None:
        view = context.get("view").__class__.__name__
        logger.warning("%s unavailable in %s: %s: %s", store, view, exc.__class__.__name__, exc)
        return Response(
            store_unavailable_body(),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )
    if isinstance(exc, ApplicationError):
        return Response(_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, ProtectedError | RestrictedError):
        return Response(_body("in_use", in_use_message(exc)), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled error in %s", context.get("view").__class__.__name__)
        return Response(
            _body("server_error", _("Something went wrong on our side. Please try again.")),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, list):
            detail = {"non_field_errors": detail}
        non_field = detail.get("non_field_errors") if isinstance(detail, dict) else None
        message = (
            str(non_field[0]) if non_field else _("Some of the information you sent is not valid.")
        )
        response.data = _body("validation_error", message, _fields_from(detail))
    else:
        detail = getattr(exc, "detail", str(exc))
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        if isinstance(detail, dict):
            message = str(detail.get("detail", exc))
            code = getattr(detail.get("detail"), "code", code)
        else:
            message = str(detail)
        response.data = _body(str(code), message)
    return response
