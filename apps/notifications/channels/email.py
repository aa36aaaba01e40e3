"""E-mail through Django's e-mail backend: the console by default, SendGrid SMTP when
`SENDGRID_API_KEY` is set (schools24/settings/base.py), the in-memory outbox in tests."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from ..models import Notification


def render(notification: Notification) -> tuple[str, str]:
    """Subject and body, in the language the notification was written in."""
    context = {
        "notification": notification,
        "user": notification.recipient,
        "school": notification.school,
        "app_url": f"{settings.FRONTEND_URL}/notifications",
    }
    with translation.override(notification.language or settings.LANGUAGE_CODE):
        subject = render_to_string("emails/notification_subject.txt", context)
        body = render_to_string("emails/notification.txt", context)
    # A header must be one line, whatever the title holds.
    return " ".join(subject.split()), body


def send(notification: Notification) -> None:
    """Send now; provider errors (OSError, smtplib.SMTPException) propagate for the task to retry."""
    subject, body = render(notification)
    headers = {"X-Schools24-Notification": str(notification.pk)}
    if _is_circular(notification):
        # One-click unsubscribe (RFC 8058) on circulars only, never on transactional mail.
        from ..services.preferences import unsubscribe_url

        headers["List-Unsubscribe"] = f"<{unsubscribe_url(notification.recipient)}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.email],
        headers=headers,
    )
    message.send(fail_silently=False)


# Refusals a retry cannot cure: the address or the sender was refused, or a 5xx reply.
def _is_permanent(exc: Exception) -> bool:
    import smtplib

    if isinstance(exc, (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused)):
        return True
    return isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600


def provider_name() -> str:
    """What the deliveries record as the provider: SendGrid, or the Django backend's name."""
    if settings.SENDGRID_API_KEY:
        return "sendgrid"
    backend = settings.EMAIL_BACKEND.rsplit(".", 2)[-2]  # "...backends.console.EmailBackend"
    return backend


class EmailAdapter:
    """The e-mail channel over `send` above; OSError (socket, SMTP) is classified."""

    channel = "email"

    @property
    def name(self) -> str:
        return provider_name()

    def send(self, delivery):
        from .base import PermanentFailure, SendResult, TemporaryFailure

        try:
            send(delivery.notification)
        except OSError as exc:
            if _is_permanent(exc):
                raise PermanentFailure(f"{type(exc).__name__}: {exc}") from exc
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc
        return SendResult(delivered=self.name in ("locmem", "console"))


def _is_circular(notification: Notification) -> bool:
    from .. import registry
    from ..models import Category

    return registry.get(notification.kind).category == Category.PROMOTIONAL
