"""Raising a registered event kind: the builder decides who hears what, `notify` sends it."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.module_loading import import_string

from .. import registry
from .creation import notify_many

logger = logging.getLogger("schools24.notifications")


@transaction.atomic
def event_raise(*, kind: str, object_id: str, params: dict) -> int:
    """Build the messages of `kind` about `object_id` and notify; returns how many
    notifications were created (0 when the object is gone or nobody is to be told). A kind
    without a builder is logged and ignored."""
    build = registry.get(kind).build
    if not build:
        logger.warning("No builder registered for the event kind %s", kind)
        return 0
    messages = import_string(build)(object_id, **params)
    return len(notify_many(messages)) if messages else 0
