"""What every provider adapter is: `name`, `channel` and `send(delivery) -> SendResult`.

An adapter raises `TemporaryFailure` for what may work later (timeouts, 5xx, 429: retried with
backoff) and `PermanentFailure` for what never will (a refused number, an unregistered token,
a template the DLT rules refuse: failed at once). Adapters are chosen by settings
(`NOTIFICATIONS_SMS_BACKEND`, `NOTIFICATIONS_PUSH_BACKEND`; e-mail follows EMAIL_BACKEND), so
development and tests run on the offline ones (console, locmem) with no provider account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..models import Delivery


class DeliveryError(Exception):
    pass


class TemporaryFailure(DeliveryError):
    """May work later: retried with exponential backoff up to the maximum."""


class PermanentFailure(DeliveryError):
    """Will never work: the delivery fails at once."""


class Suppressed(DeliveryError):
    """Nothing to send to (no device, no approved template): not a failure, not a send."""


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str = ""
    # Offline providers know at once that the message "arrived".
    delivered: bool = False


class Adapter(Protocol):
    name: str
    channel: str

    def send(self, delivery: Delivery) -> SendResult: ...


def adapter_for(channel: str) -> Adapter:
    """The configured adapter of `channel` (looked up at call time: tests switch settings)."""
    from . import email, push, sms

    if channel == "email":
        return email.EmailAdapter()
    if channel == "sms":
        return sms.backend()
    if channel == "push":
        return push.backend()
    raise ValueError(f"No adapter for channel {channel!r}")
