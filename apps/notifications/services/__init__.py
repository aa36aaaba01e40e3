"""Writes with business rules for notifications: raising them, delivering them, reading them."""

from .creation import Message, notify, notify_many, recipient_language  # noqa: F401
from .delivery import notification_email_send  # noqa: F401
from .inbox import notification_mark_all_read, notification_mark_read  # noqa: F401
