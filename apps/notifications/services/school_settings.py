"""A school's notification settings (`SchoolChannelSettings`), read and written by its admins:
channel switches, the monthly SMS budget, the promotional window and the DLT entity id."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.exceptions import ApplicationError

from ..models import SchoolChannelSettings
from .budget import limit_of, month_start, usage
from .preferences import parse_window

FIELDS = (
    "email_enabled", "sms_enabled", "push_enabled", "sms_monthly_limit",
    "sms_monthly_budget_rupees", "promotional_start", "promotional_end", "dlt_entity_id",
)  # fmt: skip


def school_settings_read(school) -> dict:
    """The settings (defaults when the school saved none) and this month's SMS usage."""
    row = SchoolChannelSettings.objects.filter(school=school).first() or SchoolChannelSettings(
        school=school
    )
    start, end = parse_window(settings.NOTIFICATIONS_PROMOTIONAL_WINDOW)
    if row.promotional_start and row.promotional_end:
        start, end = row.promotional_start, row.promotional_end
    used = usage({school.pk: month_start(timezone.now(), school.timezone)}).get(school.pk, 0)
    return {
        **{name: getattr(row, name) for name in FIELDS},
        "sms_budget_segments": limit_of(row),
        "sms_used_segments": used,
        "sms_cost_paise": settings.NOTIFICATIONS_SMS_COST_PAISE,
        "promotional_window": f"{start:%H:%M}-{end:%H:%M}",
    }


@transaction.atomic
def school_settings_update(*, school, data: dict) -> dict:
    """Replace the settings with `data` (fields left out keep their value)."""
    row, _created = SchoolChannelSettings.objects.select_for_update().get_or_create(school=school)
    for name in FIELDS:
        if name in data:
            setattr(row, name, data[name])
    if bool(row.promotional_start) != bool(row.promotional_end):
        raise ApplicationError(
            _("Give both ends of the promotional window, or neither."),
            code="invalid",
            fields={"promotional_end": [_("Give both ends, or neither.")]},
        )
    if row.promotional_start and row.promotional_start == row.promotional_end:
        raise ApplicationError(
            _("The promotional window must start and end at different times."),
            code="invalid",
            fields={"promotional_end": [_("Start and end are the same.")]},
        )
    row.save()
    return school_settings_read(school)
