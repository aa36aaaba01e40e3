"""Known notification kinds: "<domain>.<event>", lowercase. Apps add their own constants here
(no migration needed: `kind` is a validated string, not a choices field). How each kind is
delivered (category, default channels) is in `registry.py`; unregistered kinds get defaults."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

GENERAL = "general"
ATTENDANCE_ABSENT = "attendance.absent"
FEES_REMINDER = "fees.reminder"
SECURITY_NOTICE = "accounts.security"
SCHOOL_ANNOUNCEMENT = "school.announcement"

kind_validator = RegexValidator(
    regex=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$",
    message=_("A kind is lowercase words joined by dots, e.g. 'attendance.absent'."),
)
