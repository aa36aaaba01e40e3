"""`notify`: the one way any app tells people something.

Callers pass recipients, a kind, a title and a body (and ids in `data`). Title and body may be
lazy translations (`gettext_lazy`, `format_lazy`): they are rendered once per recipient, in that
recipient's language, and stored so the in-app text and the e-mail agree.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.functional import Promise
from django.utils.text import Truncator

from ..kinds import kind_validator
from ..models import Notification

if TYPE_CHECKING:
    from apps.accounts.models import User

logger = logging.getLogger("schools24.notifications")

Text = str | Promise


def recipient_language(user) -> str:
    """The language to write to `user` in: their own choice when the account carries one (a
    `language` attribute, e.g. a future profile or preference field), else the site default."""
    supported = {code for code, _name in settings.LANGUAGES}
    chosen = (getattr(user, "language", "") or "").lower()
    if chosen in supported:
        return chosen
    base = chosen.split("-")[0]
    return base if base in supported else settings.LANGUAGE_CODE


def _render(text: Text, language: str) -> str:
    if isinstance(text, str):
        return text
    with translation.override(language):
        return str(text)


def _unique_recipients(recipients: Iterable[User]) -> list[User]:
    seen: dict[Any, Any] = {}
    for user in recipients:
        if user.pk in seen:
            continue
        if not user.is_active or user.school_id is None:
            # Inactive accounts cannot read anything; platform superusers have no school.
            logger.info("Not notifying user %s (inactive or without a school)", user.pk)
            continue
        seen[user.pk] = user
    return list(seen.values())


@transaction.atomic
def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    title: Text,
    body: Text,
    data: dict | None = None,
    email: bool = True,
    dedupe_key: str | None = None,
) -> list[Notification]:
    """Create one in-app notification per recipient and e-mail them after the commit.

    `data` holds ids and values the app needs to open the subject (dates and UUIDs are stored
    as ISO strings). Rules: a recipient listed twice, inactive, or without a school gets
    nothing; with a `dedupe_key`, a recipient who already has a notification with that key gets
    nothing more (also under concurrency: the unique constraint decides). Returns the notifications created
    by this call. E-mails are queued only once the surrounding transaction commits, so a
    rolled-back change never mails anyone.
    """
    kind_validator(kind)
    users = _unique_recipients(recipients)
    if not users:
        return []
    key = (dedupe_key or "").strip()
    if key:
        already = set(
            Notification.objects.filter(
                recipient_id__in=[u.pk for u in users], dedupe_key=key
            ).values_list("recipient_id", flat=True)
        )
        users = [u for u in users if u.pk not in already]
        if not users:
            return []

    rows = []
    for user in users:
        language = recipient_language(user)
        row = Notification(
            school_id=user.school_id,
            recipient=user,
            kind=kind,
            title=Truncator(_render(title, language)).chars(200),
            body=_render(body, language),
            data=data or {},
            language=language,
            dedupe_key=key,
        )
        row.full_clean(
            exclude=["recipient", "school"], validate_unique=False, validate_constraints=False
        )
        rows.append(row)

    if key:
        # A concurrent call may have inserted the same (recipient, key) since the check above:
        # ON CONFLICT DO NOTHING skips it, and re-reading our own ids tells which rows are ours.
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        ours = set(
            Notification.objects.filter(pk__in=[r.pk for r in rows]).values_list("pk", flat=True)
        )
        rows = [r for r in rows if r.pk in ours]
    else:
        Notification.objects.bulk_create(rows)

    if email and rows:
        ids = [str(r.pk) for r in rows]
        transaction.on_commit(lambda: _enqueue_emails(ids))
    return rows


def _enqueue_emails(ids: list[str]) -> None:
    """One task per notification: each retries and is idempotent on its own. A broker outage
    must not turn a committed request into an error: the in-app notification stands."""
    from ..tasks import send_notification_email

    for notification_id in ids:
        try:
            send_notification_email.delay(notification_id)
        except Exception:
            logger.exception("Could not queue the e-mail for notification %s", notification_id)
