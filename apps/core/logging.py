"""JSON log lines: the request id of the request (or task) being served, who made it, and
what became of it; secrets and personal data are redacted before any handler sees them.

Fields of every line (README "Logs"): time, level, logger, message, request_id, and when known
user_id, school_id (never an e-mail or phone), task_id / task_name (Celery), and on the access
line of a request: method, route, status, duration_ms.
"""

from __future__ import annotations

import contextvars
import logging
import re
from datetime import UTC, datetime
from typing import Any

import orjson

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
# The HttpRequest being served (its user is read only once authentication has resolved it).
current_request_var: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "current_request", default=None
)
# The Celery task being run: {"task_id": ..., "task_name": ...}.
task_context_var: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "task_context", default=None
)

# Extra attributes a log call may pass (`extra=`) that the JSON line carries.
EXTRA_FIELDS = ("method", "route", "status", "duration_ms", "user_id", "school_id")


def resolved_user(request) -> Any | None:
    """The request's user if authentication already ran (session middleware's lazy user that
    was evaluated, or DRF's authenticated user); never triggers a lookup itself."""
    if request is None:
        return None
    user = request.__dict__.get("user")
    wrapped = getattr(user, "_wrapped", user)  # SimpleLazyObject: unevaluated is a sentinel
    if wrapped is None or not hasattr(wrapped, "is_authenticated"):
        return None
    return wrapped if wrapped.is_authenticated else None


class RequestIdFilter(logging.Filter):
    """Puts the request id, user, school and task of the current context on the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        user = resolved_user(current_request_var.get())
        if user is not None:
            if not hasattr(record, "user_id"):
                record.user_id = user.pk
            if not hasattr(record, "school_id"):
                record.school_id = getattr(user, "school_id", None)
        task = task_context_var.get()
        if task:
            record.task_id = task["task_id"]
            record.task_name = task["task_name"]
        return True


# --- redaction ----------------------------------------------------------------------------------

_SECRET_KEYS = (
    r"password|passwd|pwd|old_password|new_password|secret|token|access|refresh|otp|pin|cvv|cvc"
    r"|authorization|api[_-]?key|auth[_-]?token|card[_-]?number|card|signature|key_secret"
)
# key=value, key: value, "key": "value", 'key': 'value' (JSON bodies, dict reprs, query strings)
_KEY_VALUE = re.compile(
    rf"""(?P<key>["']?\b(?:{_SECRET_KEYS})\b["']?\s*[:=]\s*)(?P<value>"[^"]*"|'[^']*'|[^\s,&}}]+)""",
    re.IGNORECASE,
)
_BEARER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
# 13 to 19 digits, optionally grouped by spaces or dashes: a card number.
_CARD = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
# Phone numbers: +<country><number> or an Indian mobile (optionally +91 / 0 prefixed, 5+5 split).
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ -]?)?(?:0)?[6-9]\d{4}[ -]?\d{5}(?!\w)|(?<![\w+])\+\d{10,14}(?!\w)"
)
# Tokens that travel in a URL path (django.request logs the path of a 4xx/5xx).
_PATH_TOKEN = re.compile(r"(/calendar/feed/|/unsubscribe/|/password/reset/confirm/)[^/\s?]+")
MASK = "[redacted]"


def _mask_phone(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return f"[phone …{digits[-2:]}]"


def redact(text: str) -> str:
    """`text` with secrets (passwords, tokens, OTPs, signatures), card numbers and phone
    numbers replaced; a phone keeps its last two digits so support can tell lines apart."""
    text = _PATH_TOKEN.sub(lambda m: m.group(1) + MASK, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _JWT.sub(MASK, text)
    text = _KEY_VALUE.sub(lambda m: m.group("key") + MASK, text)
    text = _CARD.sub("[card]", text)
    return _PHONE.sub(_mask_phone, text)


class RedactingFilter(logging.Filter):
    """Formats the message once and stores the redacted text (args dropped), so no handler or
    formatter can print a secret or a phone number that a caller passed in."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what there is, redacted
            message = f"{record.msg} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for field in (*EXTRA_FIELDS, "task_id", "task_name"):
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return orjson.dumps(entry, default=str).decode()


# --- Celery: the task id, and the request id that queued the task ------------------------------

REQUEST_ID_HEADER = "request_id"
_task_tokens: dict[str, tuple] = {}


def _before_publish(headers=None, **_kwargs) -> None:
    """The id of the request (or task) queuing a task travels in the message headers."""
    if headers is not None and REQUEST_ID_HEADER not in headers:
        headers[REQUEST_ID_HEADER] = request_id_var.get()


def _task_prerun(task_id=None, task=None, **_kwargs) -> None:
    request = getattr(task, "request", None)
    queued_by = getattr(request, REQUEST_ID_HEADER, None) or (
        (getattr(request, "headers", None) or {}).get(REQUEST_ID_HEADER)
    )
    # Eager tasks run inside the queuing request: its id is already current.
    tokens = (
        request_id_var.set(queued_by) if queued_by and queued_by != "-" else None,
        task_context_var.set({"task_id": task_id, "task_name": getattr(task, "name", "")}),
    )
    _task_tokens[task_id] = tokens


def _task_postrun(task_id=None, **_kwargs) -> None:
    tokens = _task_tokens.pop(task_id, None)
    if tokens is None:
        return
    request_token, task_token = tokens
    task_context_var.reset(task_token)
    if request_token is not None:
        request_id_var.reset(request_token)


def install_celery_signals() -> None:
    from celery import signals

    signals.before_task_publish.connect(_before_publish, dispatch_uid="core.log_request_id")
    signals.task_prerun.connect(_task_prerun, dispatch_uid="core.log_task_prerun")
    signals.task_postrun.connect(_task_postrun, dispatch_uid="core.log_task_postrun")
