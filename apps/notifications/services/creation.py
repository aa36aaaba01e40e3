"""`notify`: the one way any app tells people something.

Callers pass recipients, a kind, a title and a body (and ids in `data`). Title and body may be
lazy translations (`gettext_lazy`, `format_lazy`): they are rendered once per recipient, in that
recipient's language, and stored so the in-app text and the e-mail agree.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.text import Truncator

from apps.core.queue import enqueue

from .. import registry
from ..kinds import kind_validator
from ..models import Category, Channel, Delivery, DeliveryStatus, Device, Notification

if TYPE_CHECKING:
    from apps.accounts.models import User

logger = logging.getLogger("schools24.notifications")

Text = str | Promise


def _supported(code: str | None) -> str:
    """`code` ("hi", "hi-IN", "HI") as one of settings.LANGUAGES, or ''."""
    supported = {code for code, _name in settings.LANGUAGES}
    chosen = (code or "").strip().lower()
    if chosen in supported:
        return chosen
    base = chosen.split("-")[0].split("_")[0]
    return base if base in supported else ""


def _loaded_school(user):
    """The user's school if already loaded (never a query: fan-outs pass schools in)."""
    return getattr(user, "_state", None) and user._state.fields_cache.get("school")


def recipient_language(user, *, accept_language: str | None = None, school=None) -> str:
    """The language to write to `user` in, the first of: their own choice (`User.language`),
    the `Accept-Language` of a request of theirs (`accept_language`, e.g.
    `request.LANGUAGE_CODE` when the message answers their own request), their school's
    default (`School.language`), settings.LANGUAGE_CODE."""
    if chosen := _supported(getattr(user, "language", "")):
        return chosen
    if accept_language:
        from django.utils.translation.trans_real import parse_accept_lang_header

        for code, _q in parse_accept_lang_header(accept_language) or ((accept_language, 1),):
            if chosen := _supported(code):
                return chosen
    school = school or _loaded_school(user)
    if chosen := _supported(getattr(school, "language", "")):
        return chosen
    return settings.LANGUAGE_CODE


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
    """One thing to tell a set of recipients (see `notify` for the fields).

    The first seven fields are positional for existing callers; the rest are keyword-only
    extensions: `context` (values SMS templates fill their `{#var#}` slots with, each rendered
    in the recipient's language), `channels` (instead of the kind's default channels) and
    `scheduled_at` (send no earlier than this; the in-app row appears at once)."""

    recipients: Iterable[User]
    kind: str
    title: Text
    body: Text
    data: dict | None = None
    email: bool = True
    dedupe_key: str | None = None
    context: dict | None = field(default=None, kw_only=True)
    channels: tuple[str, ...] | None = field(default=None, kw_only=True)
    scheduled_at: dt.datetime | None = field(default=None, kw_only=True)


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
    context: dict | None = None,
    channels: tuple[str, ...] | None = None,
    scheduled_at: dt.datetime | None = None,
) -> list[Notification]:
    """Create one in-app notification per recipient, and one delivery per recipient and
    channel; send them after the commit.

    `data` holds ids and values the app needs to open the subject (dates and UUIDs are stored
    as ISO strings). Rules: a recipient listed twice, inactive, or without a school gets
    nothing; with a `dedupe_key`, a recipient who already has a notification with that key gets
    nothing more (also under concurrency: the unique constraint decides). The channels are
    the kind's (`registry`; unknown kinds: in-app and e-mail), minus e-mail when
    `email=False`; preferences, school switches, quiet hours and the promotional window decide
    per recipient and channel (`services.preferences`). Returns the notifications created by
    this call. Sends are queued only once the surrounding transaction commits, so a
    rolled-back change tells nobody.
    """
    return notify_many(
        [
            Message(
                recipients,
                kind,
                title,
                body,
                data=data,
                email=email,
                dedupe_key=dedupe_key,
                context=context,
                channels=channels,
                scheduled_at=scheduled_at,
            )
        ]
    )


@transaction.atomic
def notify_many(messages: Iterable[Message]) -> list[Notification]:
    """`notify` for many messages at once, in a constant number of queries (schools,
    preferences, one dedupe read, one insert, one re-read when keys are used, one insert of
    deliveries) and one queued task per channel: a register with thirty absentees costs what
    a register with one does. Same rules as `notify`, per message."""
    pending: list[tuple[Message, User]] = []
    for message in messages:
        kind_validator(message.kind)
        for user in _unique_recipients(message.recipients):
            pending.append((message, user))
    if not pending:
        return []
    from apps.accounts.models import School

    schools = School.objects.in_bulk({user.school_id for _m, user in pending})
    rows: list[Notification] = []
    origin: dict = {}
    for message, user in pending:
        language = recipient_language(user, school=schools.get(user.school_id))
        row = Notification(
            school_id=user.school_id,
            recipient=user,
            kind=message.kind,
            title=Truncator(_render(message.title, language)).chars(200),
            body=_render(message.body, language),
            data=message.data or {},
            language=language,
            dedupe_key=(message.dedupe_key or "").strip(),
        )
        row.full_clean(
            exclude=["recipient", "school"], validate_unique=False, validate_constraints=False
        )
        rows.append(row)
        origin[row.pk] = message

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
    if rows:
        _create_deliveries(rows, origin, schools)
    return rows


def _channels(message: Message) -> list[str]:
    chosen = list(message.channels or registry.get(message.kind).channels)
    if Channel.IN_APP not in chosen:
        chosen.insert(0, Channel.IN_APP)  # the inbox is the record of every message
    if not message.email and Channel.EMAIL in chosen:
        chosen.remove(Channel.EMAIL)
    return chosen


def _create_deliveries(rows: list[Notification], origin: dict, schools: dict) -> None:
    """One delivery per notification and channel, decided here (see `notify`); the in-app one
    is delivered by being written. Sends are queued after the commit."""
    from .preferences import Book

    now = timezone.now()
    wanted = {row.pk: _channels(origin[row.pk]) for row in rows}
    book = Book.load(row.recipient for row in rows)
    with_devices: set = set()
    if any(Channel.PUSH in chosen for chosen in wanted.values()):
        with_devices = set(
            Device.objects.filter(user_id__in={r.recipient_id for r in rows}).values_list(
                "user_id", flat=True
            )
        )
    deliveries: list[Delivery] = []
    for row in rows:
        message = origin[row.pk]
        user = row.recipient
        event = registry.get(row.kind)
        school = schools.get(user.school_id)
        tz = getattr(school, "timezone", "") or settings.TIME_ZONE
        event_key = row.dedupe_key or f"n:{row.pk}"
        for channel in wanted[row.pk]:
            if channel == Channel.PUSH and user.pk not in with_devices:
                continue  # push is opportunistic: no device, no row
            delivery = Delivery(
                school_id=row.school_id,
                notification=row,
                recipient=user,
                kind=row.kind,
                category=event.category,
                channel=channel,
                idempotency_key=f"{row.kind}:{event_key}:{user.pk}:{channel}"[:300],
            )
            if channel == Channel.IN_APP:
                delivery.provider = "inbox"
                delivery.sent_at = delivery.delivered_at = now
                delivery.record(DeliveryStatus.DELIVERED, at=now)
                deliveries.append(delivery)
                continue
            _decide(delivery, message, row, book, tz, now)
            deliveries.append(delivery)
    from .budget import apply_sms_budget, template_segments
    from .caps import apply_hourly_cap

    apply_hourly_cap(deliveries, now)
    template_segments(deliveries, {r.pk: r for r in rows})
    apply_sms_budget(deliveries, book, schools, now)
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    queued = [d for d in deliveries if d.status == DeliveryStatus.QUEUED]
    emails = [str(d.notification_id) for d in queued if d.channel == Channel.EMAIL]
    others = [str(d.pk) for d in queued if d.channel != Channel.EMAIL]
    if emails:
        transaction.on_commit(lambda: _enqueue_emails(emails))
    if others:
        transaction.on_commit(lambda: _enqueue_deliveries(others))


def _why_not(delivery: Delivery, message: Message, row: Notification, book) -> str:
    """Why an e-mail, SMS or push delivery must not go out ('' when it may); fills its
    address and payload."""
    user, channel = row.recipient, delivery.channel
    if channel == Channel.EMAIL:
        delivery.address = user.email
        if not user.email:
            return "no e-mail address"
    elif channel == Channel.SMS:
        from ..channels.sms import normalise_phone

        delivery.address = normalise_phone(user.phone)
        if not delivery.address:
            return "no valid phone number"
        context = message.context or {}
        delivery.payload = {"context": {k: _render(v, row.language) for k, v in context.items()}}
    if not book.school_allows(row.school_id, channel):
        return "channel switched off by the school"
    if not book.wants(user, row.kind, delivery.category, channel):
        return "opted out"
    return ""


def _decide(delivery: Delivery, message: Message, row: Notification, book, tz, now) -> None:
    """Suppressed, deferred (quiet hours, the promotional window, `scheduled_at`) or queued."""
    from .digest import DIGEST, wants_digest
    from .preferences import promotional_opens

    why = _why_not(delivery, message, row, book)
    if why:
        delivery.record(DeliveryStatus.SUPPRESSED, why, at=now)
        return
    if (
        delivery.channel == Channel.EMAIL
        and delivery.category != Category.CRITICAL
        and registry.get(row.kind).digest
        and wants_digest(book, row.recipient)
    ):
        delivery.provider = DIGEST  # waits for the daily digest (services.digest)
        delivery.record(DeliveryStatus.CREATED, "for the daily digest", at=now)
        return
    later = [message.scheduled_at] if message.scheduled_at else []
    if delivery.category != Category.CRITICAL:
        # Quiet hours in the recipient's own time zone (User.time_zone), else the school's.
        quiet_tz = getattr(row.recipient, "time_zone", "") or tz
        later.append(book.quiet_until(row.recipient, quiet_tz, now))
        if delivery.category == Category.PROMOTIONAL and delivery.channel == Channel.SMS:
            later.append(promotional_opens(now, tz, book.switches.get(row.school_id)))
    later = [t for t in later if t and t > now]
    if later:
        delivery.scheduled_at = max(later)
        delivery.record(DeliveryStatus.CREATED, "deferred", at=now)
    else:
        delivery.queued_at = now
        delivery.record(DeliveryStatus.QUEUED, at=now)


def _enqueue_emails(ids: list[str]) -> None:
    """One message for the whole batch; the worker fans it out to one task per notification,
    each retried and idempotent on its own. A broker outage must not turn a committed request
    into an error: the in-app notifications stand, and the sweeper queues the rest later."""
    try:
        enqueue("apps.notifications.tasks.send_notification_emails", ids)
    except Exception:
        logger.exception("Could not queue the e-mails for %d notifications", len(ids))


def _enqueue_deliveries(ids: list[str]) -> None:
    try:
        enqueue("apps.notifications.tasks.dispatch_deliveries", ids)
    except Exception:
        logger.exception("Could not queue %d deliveries", len(ids))
