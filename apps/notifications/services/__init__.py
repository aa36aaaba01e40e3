"""Writes with business rules for notifications: raising them, delivering them, reading them."""

from .circulars import (  # noqa: F401
    circular_cancel,
    circular_create,
    circular_preview,
    circular_schedule,
    circular_update,
)
from .creation import Message, notify, notify_many, recipient_language  # noqa: F401
from .delivery import delivery_send, notification_email_send  # noqa: F401
from .devices import device_prune, device_register, device_unregister  # noqa: F401
from .inbox import notification_mark_all_read, notification_mark_read  # noqa: F401
from .preferences import (  # noqa: F401
    preferences_read,
    preferences_replace,
    preferences_unsubscribe,
)
from .school_settings import school_settings_read, school_settings_update  # noqa: F401
from .sweeper import delivery_release_due  # noqa: F401
