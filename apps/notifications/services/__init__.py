"""Writes with business rules for notifications: raising them, delivering them, reading them."""

from .creation import Message, notify, notify_many, recipient_language  # noqa: F401
from .delivery import delivery_send, notification_email_send  # noqa: F401
from .devices import device_prune, device_register, device_unregister  # noqa: F401
from .inbox import notification_mark_all_read, notification_mark_read  # noqa: F401
from .preferences import (  # noqa: F401
    preferences_read,
    preferences_replace,
    preferences_unsubscribe,
)
from .sweeper import delivery_release_due  # noqa: F401
