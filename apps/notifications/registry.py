"""The registry of event kinds: each kind's category and default channels.

`kinds.py` stays a module of plain constants that any app may add to; this module says how a
kind is delivered. A kind nobody registered is delivered like a transactional message, in-app
and by e-mail, so a new domain works before it registers anything. Registering is one line in
the domain's AppConfig.ready (or here):

    from apps.notifications.registry import EventKind, register
    register(EventKind("homework.due", category="transactional", channels=("in_app", "push")))

The one-line hook (how a domain raises a kind that has a `build`er, see `events.py`): in the
domain service, inside the transaction that made the change,

    from apps.core.events import notify_on_commit
    notify_on_commit("quizzes.published", quiz)            # or (kind, obj, **json_params)

After the commit the `raise_event` task runs the builder and `notify` sends what it returns;
a rolled-back change tells nobody, and a repeated trigger nobody twice (the builder's dedupe
key, then each delivery's idempotency key). `apps.core` names the task by string, so no
domain imports this app at import time. A kind that can go by SMS also needs the school's
DLT-approved template (SmsTemplate) per language; without one its SMS is suppressed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import kinds
from .models import Category, Channel

DEFAULT_CHANNELS: tuple[str, ...] = (Channel.IN_APP, Channel.EMAIL)


@dataclass(frozen=True)
class EventKind:
    kind: str
    category: str = Category.TRANSACTIONAL
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    # Roles that receive it (documentation for the preferences screen; callers pick recipients).
    audience: tuple[str, ...] = field(default=())
    # Non-urgent kinds may be collected into the daily digest instead of sent one by one.
    digest: bool = False
    # Dotted path of `f(notification) -> (subject, body)` when the kind writes its own e-mail
    # (made at send time, e.g. a password-reset link that must never be stored).
    email: str = ""
    # Dotted path of `f(object_id, **params) -> list[Message]`: who is told what when a domain
    # raises the kind with `apps.core.events.notify_on_commit` (see `events.py`).
    build: str = ""


_registry: dict[str, EventKind] = {}


def register(event: EventKind) -> EventKind:
    _registry[event.kind] = event
    return event


def get(kind: str) -> EventKind:
    """The registered kind, or the defaults (transactional, in-app + e-mail)."""
    return _registry.get(kind) or EventKind(kind)


def registered() -> list[EventKind]:
    return sorted(_registry.values(), key=lambda e: e.kind)


register(EventKind(kinds.GENERAL))
register(
    EventKind(
        kinds.ATTENDANCE_ABSENT,
        channels=(Channel.IN_APP, Channel.EMAIL, Channel.SMS, Channel.PUSH),
        audience=("parent",),
        build="apps.notifications.events.attendance_absent",
    )
)
register(
    EventKind(
        kinds.FEES_REMINDER,
        channels=(Channel.IN_APP, Channel.EMAIL, Channel.PUSH),
        audience=("parent", "student"),
    )
)
register(
    EventKind(
        kinds.SECURITY_NOTICE,
        category=Category.CRITICAL,
        channels=(Channel.IN_APP, Channel.EMAIL),
    )
)
register(
    EventKind(
        kinds.ATTENDANCE_LATE,
        channels=(Channel.IN_APP, Channel.EMAIL, Channel.SMS, Channel.PUSH),
        audience=("parent",),
        build="apps.notifications.events.attendance_late",
    )
)
# Due tomorrow and missing homework go out as one daily digest per family (apps/homework's
# beat job `families_digest_send`), not one message per homework.
register(
    EventKind(
        kinds.HOMEWORK_DIGEST,
        channels=(Channel.IN_APP, Channel.EMAIL, Channel.PUSH),
        audience=("parent", "student"),
    )
)
register(
    EventKind(
        kinds.HOMEWORK_GRADED,
        channels=(Channel.IN_APP, Channel.EMAIL, Channel.PUSH),
        audience=("parent", "student"),
    )
)
register(
    EventKind(
        kinds.QUIZ_PUBLISHED,
        channels=(Channel.IN_APP, Channel.PUSH),
        audience=("parent", "student"),
        build="apps.notifications.events.quiz_published",
    )
)
register(
    EventKind(
        kinds.QUIZ_RESULTS_RELEASED,
        channels=(Channel.IN_APP, Channel.EMAIL, Channel.PUSH),
        audience=("parent", "student"),
        build="apps.notifications.events.quiz_results_released",
    )
)
register(
    EventKind(
        kinds.EXAMS_RESULTS_PUBLISHED,
        channels=(Channel.IN_APP, Channel.EMAIL, Channel.PUSH),
        audience=("parent", "student"),
    )
)
register(
    EventKind(
        kinds.EXAMS_REPORT_CARD_READY,
        channels=(Channel.IN_APP, Channel.EMAIL, Channel.PUSH),
        audience=("parent", "student"),
        build="apps.notifications.events.report_card_ready",
    )
)
register(
    EventKind(
        kinds.FEES_INVOICE_ISSUED,
        channels=(Channel.IN_APP, Channel.EMAIL, Channel.PUSH),
        audience=("parent", "student"),
        build="apps.notifications.events.fees_invoice_issued",
    )
)
register(
    EventKind(
        kinds.FEES_RECEIPT,
        channels=(Channel.IN_APP, Channel.EMAIL, Channel.SMS),
        audience=("parent", "student"),
        build="apps.notifications.events.fees_receipt",
    )
)
register(
    EventKind(
        kinds.CALENDAR_EVENT_CHANGED,
        channels=(Channel.IN_APP, Channel.EMAIL, Channel.PUSH),
        audience=("parent", "student"),
        build="apps.notifications.events.calendar_event_changed",
    )
)
register(
    EventKind(
        kinds.CALENDAR_EVENT_CANCELLED,
        channels=(Channel.IN_APP, Channel.EMAIL, Channel.PUSH),
        audience=("parent", "student"),
        build="apps.notifications.events.calendar_event_cancelled",
    )
)
register(
    EventKind(
        kinds.PASSWORD_CHANGED,
        category=Category.CRITICAL,
        channels=(Channel.IN_APP, Channel.EMAIL),
        build="apps.notifications.events.password_changed",
    )
)
register(
    EventKind(
        kinds.PASSWORD_RESET,
        category=Category.CRITICAL,
        channels=(Channel.IN_APP, Channel.EMAIL),
        build="apps.notifications.events.password_reset",
        email="apps.notifications.events.password_reset_email",
    )
)
register(
    EventKind(
        kinds.SCHOOL_ANNOUNCEMENT,
        category=Category.PROMOTIONAL,
        channels=(Channel.IN_APP, Channel.EMAIL, Channel.PUSH),
        digest=True,
    )
)
register(
    EventKind(
        kinds.SMS_BUDGET_WARNING,
        category=Category.CRITICAL,
        channels=(Channel.IN_APP, Channel.EMAIL),
        audience=("admin",),
    )
)
