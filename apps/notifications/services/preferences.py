"""Who wants what, and when: opt-outs, quiet hours, the schools' channel switches.

Rules:
- Critical messages ignore every opt-out and quiet hours; the in-app inbox is always written
  (it is the record of what the school said), so opt-outs apply to e-mail, SMS and push.
- A kind's own row ("homework.due" / sms) beats its category's ("transactional" / sms); no
  row means on.
- Quiet hours are the user's own, else the school's default, read in the user's time zone
  (`User.time_zone`, blank: the school's); a send that falls inside them waits until they
  end (stored as `scheduled_at`).
- Promotional SMS goes out only inside NOTIFICATIONS_PROMOTIONAL_WINDOW (10:00-21:00 by
  default, the stricter reading of the DLT rules), in the school's time zone.
Everything a fan-out needs is read in a constant number of queries (`Book.load`).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.exceptions import ApplicationError

from .. import registry
from ..models import (
    Category,
    Channel,
    NotificationPreference,
    QuietHours,
    SchoolChannelSettings,
)

OPTIONAL_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.PUSH)


def school_channel_enabled(school_id, channel: str) -> bool:
    if channel == Channel.IN_APP:
        return True
    row = SchoolChannelSettings.objects.filter(school_id=school_id).first()
    return row is None or getattr(row, f"{channel}_enabled")


def parse_window(text: str) -> tuple[dt.time, dt.time]:
    start, _, end = text.partition("-")
    return dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())


def _inside(local: dt.time, start: dt.time, end: dt.time) -> bool:
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # spans midnight


def window_end(now: dt.datetime, tz: str, start: dt.time, end: dt.time) -> dt.datetime | None:
    """When the window [start, end) that `now` is inside ends (aware, UTC); None if outside."""
    local = now.astimezone(zoneinfo.ZoneInfo(tz))
    if not _inside(local.time(), start, end):
        return None
    until = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if until <= local:
        until += dt.timedelta(days=1)
    return until.astimezone(dt.UTC)


def next_window_start(now: dt.datetime, tz: str, start: dt.time, end: dt.time):
    """Now when inside [start, end), else when it next opens."""
    local = now.astimezone(zoneinfo.ZoneInfo(tz))
    if _inside(local.time(), start, end):
        return None
    opens = local.replace(hour=start.hour, minute=start.minute, second=0, microsecond=0)
    if opens <= local:
        opens += dt.timedelta(days=1)
    return opens.astimezone(dt.UTC)


@dataclass
class Book:
    """Preferences, quiet hours and school switches of a set of users, read at once."""

    prefs: dict = field(default_factory=dict)
    quiet: dict = field(default_factory=dict)
    school_quiet: dict = field(default_factory=dict)
    switches: dict = field(default_factory=dict)

    @classmethod
    def load(cls, users: Iterable) -> Book:
        users = list(users)
        user_ids = [u.pk for u in users]
        school_ids = {u.school_id for u in users}
        book = cls()
        if not user_ids:
            return book
        for user_id, key, channel, enabled in NotificationPreference.objects.filter(
            user_id__in=user_ids
        ).values_list("user_id", "key", "channel", "enabled"):
            book.prefs[(user_id, key, channel)] = enabled
        for row in QuietHours.objects.filter(
            Q(user_id__in=user_ids) | Q(school_id__in=school_ids, user__isnull=True)
        ):
            if row.user_id:
                book.quiet[row.user_id] = (row.start, row.end)
            else:
                book.school_quiet[row.school_id] = (row.start, row.end)
        for row in SchoolChannelSettings.objects.filter(school_id__in=school_ids):
            book.switches[row.school_id] = row
        return book

    def wants(self, user, kind: str, category: str, channel: str) -> bool:
        if channel == Channel.IN_APP or category == Category.CRITICAL:
            return True
        for key in (kind, category):
            found = self.prefs.get((user.pk, key, channel))
            if found is not None:
                return found
        return True

    def school_allows(self, school_id, channel: str) -> bool:
        row = self.switches.get(school_id)
        return channel == Channel.IN_APP or row is None or getattr(row, f"{channel}_enabled")

    def quiet_until(self, user, tz: str, now: dt.datetime) -> dt.datetime | None:
        window = self.quiet.get(user.pk) or self.school_quiet.get(user.school_id)
        return window_end(now, tz, *window) if window else None


def promotional_opens(now: dt.datetime, tz: str, school=None) -> dt.datetime | None:
    """When promotional SMS may next go out: None inside the window, the school's own
    (`SchoolChannelSettings.promotional_start/end`) or NOTIFICATIONS_PROMOTIONAL_WINDOW."""
    start, end = parse_window(settings.NOTIFICATIONS_PROMOTIONAL_WINDOW)
    if school is not None and school.promotional_start and school.promotional_end:
        start, end = school.promotional_start, school.promotional_end
    return next_window_start(now, tz, start, end)


# --- the user's own settings (the preferences API) ------------------------------------------
def preferences_read(user) -> dict:
    rules = [
        {"key": p.key, "channel": p.channel, "enabled": p.enabled}
        for p in NotificationPreference.objects.filter(user=user).order_by("key", "channel")
    ]
    quiet = QuietHours.objects.filter(user=user).first()
    return {
        "rules": rules,
        "quiet_hours": {"start": quiet.start, "end": quiet.end} if quiet else None,
        "categories": [
            {"key": c.value, "label": str(c.label), "can_opt_out": c != Category.CRITICAL}
            for c in Category
        ],
        "kinds": [
            {"kind": e.kind, "category": e.category, "channels": list(e.channels)}
            for e in registry.registered()
        ],
    }


@transaction.atomic
def preferences_replace(*, user, rules: list[dict], quiet_hours: dict | None) -> dict:
    """Replace the user's opt-outs and quiet hours with these. A rule for the critical
    category, for a critical kind, or for the in-app channel is refused (they cannot be
    turned off); a key must be a category or a kind."""
    errors = {}
    categories = {c.value for c in Category}
    for index, rule in enumerate(rules):
        key, channel = rule["key"], rule["channel"]
        if channel not in OPTIONAL_CHANNELS:
            errors[str(index)] = [_("The in-app inbox cannot be turned off.")]
        elif key == Category.CRITICAL or (
            key not in categories and registry.get(key).category == Category.CRITICAL
        ):
            errors[str(index)] = [_("Critical messages cannot be turned off.")]
    seen = [(r["key"], r["channel"]) for r in rules]
    if len(seen) != len(set(seen)):
        errors["duplicate"] = [_("Each (key, channel) may appear once.")]
    if errors:
        raise ApplicationError(
            _("Some preferences cannot be saved."), code="invalid", fields={"rules": errors}
        )
    if quiet_hours and quiet_hours["start"] == quiet_hours["end"]:
        raise ApplicationError(
            _("Quiet hours must start and end at different times."),
            code="invalid",
            fields={"quiet_hours": [_("Start and end are the same.")]},
        )
    NotificationPreference.objects.filter(user=user).delete()
    NotificationPreference.objects.bulk_create(
        NotificationPreference(
            school_id=user.school_id,
            user=user,
            key=r["key"],
            channel=r["channel"],
            enabled=r["enabled"],
        )
        for r in rules
    )
    if quiet_hours:
        QuietHours.objects.update_or_create(
            user=user,
            defaults={
                "school_id": user.school_id,
                "start": quiet_hours["start"],
                "end": quiet_hours["end"],
            },
        )
    else:
        QuietHours.objects.filter(user=user).delete()
    return preferences_read(user)


# --- one-click unsubscribe (RFC 8058) from circulars -----------------------------------------
UNSUBSCRIBE_SALT = "notifications.unsubscribe"


def unsubscribe_token(user) -> str:
    """A signed, non-expiring token naming the user: the circular e-mail's List-Unsubscribe."""
    from django.core import signing

    return signing.dumps({"u": str(user.pk)}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(user) -> str:
    return f"{settings.SITE_URL}/api/v1/notifications/unsubscribe/{unsubscribe_token(user)}/"


@transaction.atomic
def preferences_unsubscribe(*, token: str) -> bool:
    """Turn promotional e-mail (circulars) off for the token's user; False for a token that
    does not verify or names nobody. Transactional and critical mail is unaffected."""
    from django.core import signing

    from apps.accounts.models import User

    try:
        user_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)["u"]
        user = User.objects.filter(pk=user_id, is_active=True, school__isnull=False).first()
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return False
    if user is None:
        return False
    NotificationPreference.objects.update_or_create(
        user=user,
        key=Category.PROMOTIONAL,
        channel=Channel.EMAIL,
        defaults={"school_id": user.school_id, "enabled": False},
    )
    return True
