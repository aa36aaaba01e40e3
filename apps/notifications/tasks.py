"""Notification deliveries, run by Celery on the `notifications` queue (CELERY_TASK_ROUTES routes
`apps.notifications.*` there). Tasks take ids and are safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),  # includes smtplib.SMTPException and socket errors
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
    time_limit=60,
    soft_time_limit=45,
)
def send_notification_email(notification_id: str) -> bool:
    """E-mail one notification to its recipient; a second run does not send again."""
    from .services import notification_email_send

    return notification_email_send(notification_id=notification_id)


@shared_task(acks_late=True, time_limit=60, soft_time_limit=45)
def send_notification_emails(notification_ids: list[str]) -> int:
    """Fan a batch out to one `send_notification_email` per notification, so each retries on
    its own; the request that raised them queued one message instead of one per absentee."""
    for notification_id in notification_ids:
        send_notification_email.delay(notification_id)
    return len(notification_ids)
