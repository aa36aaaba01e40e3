"""E-mails about accounts, sent by Celery after the transaction that asked for them commits."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from apps.core.periodic import PeriodicSchedule

from .models import User

PURGE_SESSIONS_TASK = "apps.accounts.tasks.purge_expired_sessions"


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


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def purge_expired_sessions() -> dict[str, int]:
    """Beat: delete expired sign-in sessions and refresh tokens (idempotent)."""
    from .services.tokens import sessions_purge_expired

    return sessions_purge_expired()


PURGE_SESSIONS_SCHEDULE = PeriodicSchedule(
    name="purge expired sign-in sessions",
    task=PURGE_SESSIONS_TASK,
    interval_setting="SESSION_PURGE_INTERVAL",
    description="Deletes sign-in sessions past JWT_EXPIRY_HOURS and expired refresh tokens. "
    "Interval: SESSION_PURGE_INTERVAL.",
)
