"""A school's monthly SMS budget (`SchoolChannelSettings`): counted in segments, in the
school's time zone's month.

Rules:
- Usage is the segments of the month's SMS deliveries that went or may still go out (created,
  queued, sent, delivered, failed temporarily); one query for a whole batch of schools.
- The limit is the smaller of `sms_monthly_limit` (segments) and `sms_monthly_budget_rupees`
  at NOTIFICATIONS_SMS_COST_PAISE a segment; neither set: no budget.
- A non-critical SMS that would go beyond it is `suppressed` with the reason; critical ones
  are sent and counted.
- When usage reaches NOTIFICATIONS_SMS_BUDGET_WARN_PERCENT of the limit, the school's admins
  are told once a month (the month is stored on the settings row by a conditional update, and
  the notification carries a dedupe key).
Two fan-outs of one school at the same instant may each take the last segments: the budget is
a spending guard, not an accounting ledger.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo

from django.conf import settings
from django.db.models import IntegerField, Q, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import kinds
from ..models import Category, Channel, Delivery, DeliveryStatus, SchoolChannelSettings

COUNTED = (
    DeliveryStatus.CREATED,
    DeliveryStatus.QUEUED,
    DeliveryStatus.SENT,
    DeliveryStatus.DELIVERED,
    DeliveryStatus.FAILED_TEMPORARY,
)
# The GSM 03.38 basic set: text only in it travels 160 characters a segment, else 70 (UCS-2).
GSM = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


def sms_segments(text: str) -> int:
    """How many segments an SMS of `text` takes (concatenated ones carry a header)."""
    if all(ch in GSM for ch in text):
        single, multi = 160, 153
    else:
        single, multi = 70, 67
    return 1 if len(text) <= single else math.ceil(len(text) / multi)


def month_start(now: dt.datetime, tz: str) -> dt.datetime:
    local = now.astimezone(zoneinfo.ZoneInfo(tz or "Asia/Kolkata"))
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def limit_of(row: SchoolChannelSettings | None) -> int | None:
    """The month's limit in segments, or None for no budget."""
    if row is None:
        return None
    limits = []
    if row.sms_monthly_limit is not None:
        limits.append(row.sms_monthly_limit)
    if row.sms_monthly_budget_rupees is not None:
        limits.append(row.sms_monthly_budget_rupees * 100 // settings.NOTIFICATIONS_SMS_COST_PAISE)
    return min(limits) if limits else None


def usage(starts: dict) -> dict:
    """Segments used this month per school id; `starts` maps school ids to their month's
    start. One query."""
    if not starts:
        return {}
    within = Q()
    for school_id, start in starts.items():
        within |= Q(school_id=school_id, created_at__gte=start)
    rows = (
        Delivery.objects.filter(within, channel=Channel.SMS, status__in=COUNTED)
        .values("school_id")
        .annotate(
            segments=Sum(Coalesce(Cast(KT("payload__segments"), IntegerField()), 1)),
        )
    )
    return {row["school_id"]: row["segments"] or 0 for row in rows}


def template_segments(deliveries: list[Delivery], rows_by_pk: dict) -> None:
    """Set `payload.segments` of each SMS delivery from its school's template of the kind in
    the recipient's language (one query for the batch); 1 when there is none."""
    from ..channels.sms import VAR
    from ..models import SmsTemplate

    sms = [d for d in deliveries if d.channel == Channel.SMS]
    if not sms:
        return
    found = {
        (t.school_id, t.kind, t.language): t
        for t in SmsTemplate.objects.filter(
            school_id__in={d.school_id for d in sms},
            kind__in={d.kind for d in sms},
            is_active=True,
        )
    }
    for d in sms:
        language = rows_by_pk[d.notification_id].language
        template = found.get((d.school_id, d.kind, language)) or found.get(
            (d.school_id, d.kind, "en")
        )
        if template is None:
            d.payload = {**d.payload, "segments": 1}
            continue
        text = template.text
        context = (d.payload or {}).get("context", {})
        for name in template.variables:
            text = text.replace(VAR, str(context.get(name, ""))[:30], 1)
        d.payload = {**d.payload, "segments": sms_segments(text)}


def apply_sms_budget(deliveries: list[Delivery], book, schools: dict, now: dt.datetime) -> None:
    """Suppress the non-critical SMS beyond each school's budget; warn at the threshold."""
    sms = [
        d
        for d in deliveries
        if d.channel == Channel.SMS
        and d.status in (DeliveryStatus.QUEUED, DeliveryStatus.CREATED)
        and not d.provider
    ]
    limits = {
        d.school_id: limit_of(book.switches.get(d.school_id))
        for d in sms
        if limit_of(book.switches.get(d.school_id)) is not None
    }
    if not limits:
        return
    starts = {sid: month_start(now, getattr(schools.get(sid), "timezone", "")) for sid in limits}
    used = usage(starts)
    for d in sms:
        limit = limits.get(d.school_id)
        if limit is None:
            continue
        segments = int(d.payload.get("segments", 1))
        spent = used.get(d.school_id, 0)
        if d.category != Category.CRITICAL and spent + segments > limit:
            d.record(
                DeliveryStatus.SUPPRESSED,
                f"monthly SMS budget used up ({spent} of {limit} segments)",
                at=now,
            )
            d.scheduled_at = None
            d.queued_at = None
            continue
        used[d.school_id] = spent + segments
    threshold = settings.NOTIFICATIONS_SMS_BUDGET_WARN_PERCENT
    for school_id, limit in limits.items():
        if limit and used.get(school_id, 0) * 100 >= threshold * limit:
            budget_warn(school_id, starts[school_id].date(), used[school_id], limit)


def budget_warn(school_id, month: dt.date, used: int, limit: int) -> bool:
    """Tell the school's admins that the SMS budget is nearly used, once for `month`."""
    from django.utils.text import format_lazy

    from apps.accounts.models import Role, User

    from .creation import notify

    claimed = (
        SchoolChannelSettings.objects.filter(school_id=school_id)
        .exclude(sms_budget_warned_for=month)
        .update(sms_budget_warned_for=month, updated_at=timezone.now())
    )
    if not claimed:
        return False
    admins = User.objects.filter(school_id=school_id, role=Role.ADMIN, is_active=True)
    notify(
        recipients=admins,
        kind=kinds.SMS_BUDGET_WARNING,
        title=format_lazy(
            _("{percent}% of this month's SMS budget is used"),
            percent=min(100, used * 100 // limit),
        ),
        body=format_lazy(
            _(
                "{used} of {limit} SMS segments are used this month. Beyond the budget, SMS "
                "other than critical messages are not sent."
            ),
            used=used,
            limit=limit,
        ),  # fmt: skip
        data={"month": month.isoformat(), "used": used, "limit": limit},
        dedupe_key=f"sms-budget:{month.isoformat()}",
    )
    return True
