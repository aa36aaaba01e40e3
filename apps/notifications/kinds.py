"""Known notification kinds: "<domain>.<event>", lowercase. Apps add their own constants here
(no migration needed: `kind` is a validated string, not a choices field). How each kind is
delivered (category, default channels) is in `registry.py`; unregistered kinds get defaults."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

GENERAL = "general"
ATTENDANCE_ABSENT = "attendance.absent"
FEES_REMINDER = "fees.reminder"
HOMEWORK_GRADED = "homework.graded"
HOMEWORK_DIGEST = "homework.digest"
TRANSPORT_APPROACHING = "transport.approaching"
TRANSPORT_BOARDED = "transport.boarded"
TRANSPORT_DROPPED = "transport.dropped"
TRANSPORT_OVERSPEED = "transport.overspeed"
TRANSPORT_DELAYED = "transport.delayed"
TRANSPORT_EXPIRY = "transport.expiry"
SECURITY_NOTICE = "accounts.security"
SCHOOL_ANNOUNCEMENT = "school.announcement"

kind_validator = RegexValidator(
    regex=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$",
    message=_("A kind is lowercase words joined by dots, e.g. 'attendance.absent'."),
)
EXAMS_RESULTS_PUBLISHED = "exams.results_published"
NOTIFICATIONS_SUMMARY = "notifications.summary"
SMS_BUDGET_WARNING = "notifications.sms_budget"
ATTENDANCE_LATE = "attendance.late"
QUIZ_PUBLISHED = "quizzes.published"
QUIZ_RESULTS_RELEASED = "quizzes.results_released"
FEES_RECEIPT = "fees.receipt"
CALENDAR_EVENT_CHANGED = "calendar.event_changed"
CALENDAR_EVENT_CANCELLED = "calendar.event_cancelled"
PASSWORD_CHANGED = "accounts.password_changed"
PASSWORD_RESET = "accounts.password_reset"
FEES_INVOICE_ISSUED = "fees.invoice_issued"
EXAMS_REPORT_CARD_READY = "exams.report_card_ready"
