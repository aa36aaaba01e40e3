"""Fee reminders: before the due date, on it, and every few days once overdue, to the parents
and the student of each open invoice with a balance (in-app and by e-mail, through
`apps.notifications`).

Rules: a reminder of a level for an invoice (and, overdue, for a cycle) goes out once, however
often or concurrently the job runs: its `FeeReminder` row is inserted with ON CONFLICT DO
NOTHING under the unique constraint, and only the rows this run inserted are told. Paid and
cancelled invoices, and invoices with nothing left to pay, get none. "Today" is the school's.
A whole run is a constant number of queries, whatever the number of invoices.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections import defaultdict

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from apps.accounts.models import Guardian
from apps.core.money import format_inr

from ..models import OPEN_STATUSES, Invoice, ReminderLevel
from .invoices import school_today

_INSERT = """
    INSERT INTO fees_feereminder
        (id, created_at, updated_at, school_id, invoice_id, level, cycle, sent_on)
    SELECT r.id, now(), now(), r.school_id, r.invoice_id, r.level, r.cycle, r.sent_on
    FROM unnest(%s::uuid[], %s::uuid[], %s::uuid[], %s::text[], %s::int[], %s::date[])
        AS r(id, school_id, invoice_id, level, cycle, sent_on)
    ON CONFLICT (invoice_id, level, cycle) DO NOTHING
    RETURNING invoice_id, level, cycle
"""


def reminder_due(due_date: dt.date, today: dt.date) -> tuple[str, int] | None:
    """The (level, cycle) of the reminder an invoice due on `due_date` calls for on `today`,
    or None: before_due within FEES_REMINDER_DAYS_BEFORE days of the due date, due on it, and
    overdue from the day after, cycle n covering days late n*every+1 .. (n+1)*every."""
    days_left = (due_date - today).days
    if days_left == 0:
        return ReminderLevel.DUE.value, 0
    if 0 < days_left <= settings.FEES_REMINDER_DAYS_BEFORE:
        return ReminderLevel.BEFORE_DUE.value, 0
    if days_left < 0:
        every = max(settings.FEES_OVERDUE_REMINDER_EVERY, 1)
        return ReminderLevel.OVERDUE.value, (-days_left - 1) // every
    return None


@transaction.atomic
def fee_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Send the reminders due now (see the module's rules). Returns how many invoices were
    reminded by this run."""
    from apps.notifications.services import notify_many

    now = now or timezone.now()
    # Every school's "today" is decided per invoice below; this only cuts the candidates.
    cutoff = now.date() + dt.timedelta(days=settings.FEES_REMINDER_DAYS_BEFORE + 1)
    invoices = list(
        Invoice.objects.filter(status__in=OPEN_STATUSES, due_date__lte=cutoff)
        .alias(left=F("total") - F("amount_paid") - F("amount_credited"))
        .filter(left__gt=0)
        .select_related("school", "student__user")
        .order_by("pk")
    )
    wanted = {}
    for invoice in invoices:
        found = reminder_due(invoice.due_date, school_today(invoice.school))
        if found is not None:
            wanted[invoice.pk] = (invoice, *found)
    if not wanted:
        return 0
    rows = list(wanted.values())
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT,
            [
                [uuid.uuid4() for _ in rows],
                [invoice.school_id for invoice, _l, _c in rows],
                [invoice.pk for invoice, _l, _c in rows],
                [level for _i, level, _c in rows],
                [cycle for _i, _l, cycle in rows],
                [school_today(invoice.school) for invoice, _l, _c in rows],
            ],
        )
        inserted = cursor.fetchall()
    if not inserted:
        return 0
    chosen = [wanted[invoice_id] for invoice_id, _level, _cycle in inserted]
    parents = defaultdict(list)
    for link in Guardian.objects.filter(
        student_id__in={invoice.student_id for invoice, _l, _c in chosen}
    ).select_related("parent"):
        parents[link.student_id].append(link.parent)
    notify_many(
        _message(invoice, level, cycle, [*parents[invoice.student_id], invoice.student.user])
        for invoice, level, cycle in chosen
    )
    return len(chosen)


@transaction.atomic
def overdue_reminders_send_now(*, school, student_ids, actor) -> int:
    """Remind the families of `student_ids` (of `school`) now, from the staff's defaulters list:
    one overdue reminder per open invoice past its due date with a balance, to the parents and
    the student, as the scheduled reminders word it. At most once a day per invoice (the
    notification's dedupe key), audited. Returns how many invoices were reminded."""
    from apps.core import audit
    from apps.notifications.services import notify_many

    today = school_today(school)
    invoices = list(
        Invoice.objects.filter(
            school_id=school.pk,
            student_id__in=list(student_ids),
            status__in=OPEN_STATUSES,
            due_date__lt=today,
        )
        .alias(left=F("total") - F("amount_paid") - F("amount_credited"))
        .filter(left__gt=0)
        .select_related("student__user")
        .order_by("due_date", "pk")
    )
    if not invoices:
        return 0
    parents = defaultdict(list)
    for link in Guardian.objects.filter(
        student_id__in={invoice.student_id for invoice in invoices}
    ).select_related("parent"):
        parents[link.student_id].append(link.parent)
    messages = []
    for invoice in invoices:
        level, cycle = reminder_due(invoice.due_date, today)
        message = _message(
            invoice, level, cycle, [*parents[invoice.student_id], invoice.student.user]
        )
        key = f"fees.reminder.now:{invoice.pk}:{today.isoformat()}"
        messages.append(dataclasses.replace(message, dedupe_key=key))
    notify_many(messages)
    audit.record_many(
        [
            {
                "actor": actor,
                "action": "invoice.remind",
                "instance": invoice,
                "after": {"balance": str(invoice.balance), "reminded_on": today.isoformat()},
            }
            for invoice in invoices
        ]
    )
    return len(invoices)


_BODIES = {
    ReminderLevel.BEFORE_DUE: gettext_lazy(
        "Invoice {number} for {name}: {amount} is due on {date}."
    ),
    ReminderLevel.DUE: gettext_lazy("Invoice {number} for {name}: {amount} is due today, {date}."),
    ReminderLevel.OVERDUE: gettext_lazy(
        "Invoice {number} for {name}: {amount} was due on {date} and is overdue."
    ),
}


def _message(invoice: Invoice, level: str, cycle: int, recipients: list):
    from apps.notifications.kinds import FEES_REMINDER
    from apps.notifications.services import Message

    name = invoice.student.user.full_name
    date = invoice.due_date.isoformat()
    amount = format_inr(invoice.balance)
    return Message(
        recipients=recipients,
        kind=FEES_REMINDER,
        title=format_lazy(
            gettext_lazy("Fee reminder: {amount} due on {date}"), amount=amount, date=date
        ),
        body=format_lazy(
            _BODIES[ReminderLevel(level)],
            number=invoice.number,
            name=name,
            amount=amount,
            date=date,
        ),  # fmt: skip
        data={
            "invoice": str(invoice.pk),
            "student": str(invoice.student_id),
            "level": level,
            "cycle": cycle,
            "due_date": date,
            "balance": str(invoice.balance),
        },
        dedupe_key=f"fees.reminder:{invoice.pk}:{level}:{cycle}",
    )
