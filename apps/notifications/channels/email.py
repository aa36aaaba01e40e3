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
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.email],
        headers={"X-Schools24-Notification": str(notification.pk)},
    )
    message.send(fail_silently=False)
