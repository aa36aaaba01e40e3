"""`notify`: the one way any app tells people something.

Callers pass recipients, a kind, a title and a body (and ids in `data`). Title and body may be
lazy translations (`gettext_lazy`, `format_lazy`): they are rendered once per recipient, in that
recipient's language, and stored so the in-app text and the e-mail agree.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.functional import Promise
from django.utils.text import Truncator

from apps.core.queue import enqueue

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


@dataclass(frozen=True)
class Message:
    """One thing to tell a set of recipients (see `notify` for the fields)."""

    recipients: Iterable[User]
    kind: str
    title: Text
    body: Text
    data: dict | None = None
    email: bool = True
    dedupe_key: str | None = None


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
    return notify_many(
        [Message(recipients, kind, title, body, data=data, email=email, dedupe_key=dedupe_key)]
    )


@transaction.atomic
def notify_many(messages: Iterable[Message]) -> list[Notification]:
    """`notify` for many messages at once, in a constant number of queries (one dedupe read,
    one insert, one re-read when keys are used) and one queued task for all the e-mails: a
    register with thirty absentees costs what a register with one does. Same rules as `notify`,
    per message."""
    rows: list[Notification] = []
    mailed: set = set()
    for message in messages:
        kind_validator(message.kind)
        key = (message.dedupe_key or "").strip()
        for user in _unique_recipients(message.recipients):
            language = recipient_language(user)
            row = Notification(
                school_id=user.school_id,
                recipient=user,
                kind=message.kind,
                title=Truncator(_render(message.title, language)).chars(200),
                body=_render(message.body, language),
                data=message.data or {},
                language=language,
                dedupe_key=key,
            )
            row.full_clean(
                exclude=["recipient", "school"], validate_unique=False, validate_constraints=False
            )
            rows.append(row)
            if message.email:
                mailed.add(row.pk)
    if not rows:
        return []

    keyed = [r for r in rows if r.dedupe_key]
    if keyed:
        pairs = Q()
        for row in keyed:
            pairs |= Q(recipient_id=row.recipient_id, dedupe_key=row.dedupe_key)
        already = set(Notification.objects.filter(pairs).values_list("recipient_id", "dedupe_key"))
        rows = [r for r in rows if (r.recipient_id, r.dedupe_key) not in already]
        if not rows:
            return []
        # A concurrent call may have inserted the same (recipient, key) since the check above:
        # ON CONFLICT DO NOTHING skips it, and re-reading our own ids tells which rows are ours.
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        ours = set(
            Notification.objects.filter(pk__in=[r.pk for r in rows]).values_list("pk", flat=True)
        )
        rows = [r for r in rows if r.pk in ours]
    else:
        Notification.objects.bulk_create(rows)

    ids = [str(r.pk) for r in rows if r.pk in mailed]
    if ids:
        transaction.on_commit(lambda: _enqueue_emails(ids))
    return rows


def _enqueue_emails(ids: list[str]) -> None:
    """One message for the whole batch; the worker fans it out to one task per notification,
    each retried and idempotent on its own. A broker outage must not turn a committed request
    into an error: the in-app notifications stand."""
    try:
        enqueue("apps.notifications.tasks.send_notification_emails", ids)
    except Exception:
        logger.exception("Could not queue the e-mails for %d notifications", len(ids))
