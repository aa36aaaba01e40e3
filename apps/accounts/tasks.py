"""E-mails about accounts, sent by Celery after the transaction that asked for them commits."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from .models import User


@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    time_limit=60,
    soft_time_limit=45,
)
def send_password_reset_email(user_id: str, language: str = "en") -> bool:
    """Send a reset link. Safe to run twice: each run mails a fresh, equally valid link."""
    from .services.auth import password_reset_token

    user = User.objects.filter(pk=user_id, is_active=True).select_related("school").first()
    if user is None:
        return False
    uid, token = password_reset_token(user)
    context = {
        "user": user,
        "school": user.school,
        "uid": uid,
        "token": token,
        "reset_url": f"{settings.FRONTEND_URL}/reset-password?uid={uid}&token={token}",
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    with translation.override(language):
        subject = render_to_string("emails/password_reset_subject.txt", context).strip()
        body = render_to_string("emails/password_reset.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    return True
