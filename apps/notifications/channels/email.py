"""E-mail through Django's e-mail backend: the console by default, django-anymail's SendGrid
backend (the v3 HTTP API) when `SENDGRID_API_KEY` is set (schools24/settings/base.py), the
in-memory outbox in tests. anymail gives each message an id (`anymail_status.message_id`,
sent along as the `anymail_id` custom argument), which the delivery row keeps and SendGrid's
event webhook names again (`webhooks.sendgrid_events`).

A kind may render its own e-mail (registry `EventKind.email`: a dotted path to a function
taking the notification and returning subject and body), for mail whose body must not be
stored, such as a password-reset link made at send time."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from ..models import Notification


def render(notification: Notification) -> tuple[str, str]:
    """Subject and body, in the language the notification was written in."""
    from django.utils.module_loading import import_string

    from .. import registry

    custom = registry.get(notification.kind).email
    if custom:
        subject, body = import_string(custom)(notification)
        return " ".join(subject.split()), body
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


def send(notification: Notification) -> str:
    """Send now and return the provider's message id ('' when the backend gives none);
    provider errors (OSError, smtplib.SMTPException, anymail's errors) propagate for the task
    to classify and retry."""
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
    status = getattr(message, "anymail_status", None)
    return str(getattr(status, "message_id", None) or "")


# Refusals a retry cannot cure: the address or the sender was refused, or a 5xx reply.
def _is_permanent(exc: Exception) -> bool:
    import smtplib

    if isinstance(exc, (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused)):
        return True
    return isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600


def provider_name() -> str:
    """What the deliveries record as the provider: the backend module's name, "sendgrid" for
    "anymail.backends.sendgrid.EmailBackend", "console" for Django's console backend."""
    return settings.EMAIL_BACKEND.rsplit(".", 2)[-2]


class EmailAdapter:
    """The e-mail channel over `send` above; OSError (socket, SMTP) is classified."""

    channel = "email"

    @property
    def name(self) -> str:
        return provider_name()

    def send(self, delivery):
        from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused

        from .base import PermanentFailure, SendResult, TemporaryFailure

        try:
            message_id = send(delivery.notification)
        except OSError as exc:
            if _is_permanent(exc):
                raise PermanentFailure(f"{type(exc).__name__}: {exc}") from exc
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc
        except AnymailRecipientsRefused as exc:
            raise PermanentFailure(f"{type(exc).__name__}: {exc}") from exc
        except AnymailAPIError as exc:
            # 429 and 5xx (and no answer at all) may work later; other refusals will not.
            code = getattr(exc, "status_code", None)
            if code is None or code == 429 or code >= 500:
                raise TemporaryFailure(f"{type(exc).__name__}: {str(exc)[:300]}") from exc
            raise PermanentFailure(f"{type(exc).__name__}: {str(exc)[:300]}") from exc
        return SendResult(
            provider_message_id=message_id or "", delivered=self.name in ("locmem", "console")
        )


def _is_circular(notification: Notification) -> bool:
    from .. import registry
    from ..models import Category

    return registry.get(notification.kind).category == Category.PROMOTIONAL
