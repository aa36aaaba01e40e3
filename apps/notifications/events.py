"""Builders of the registered event kinds: `f(object_id, **params) -> list[Message]`.

Each says who hears of one domain event and what they read, in English and Hindi (lazy texts
rendered per recipient by `notify`), with a dedupe key per object and event so a repeated
trigger tells nobody twice. Domains raise them with one line,
`apps.core.events.notify_on_commit(kind, obj, **params)`; the builder runs after the commit in
the `raise_event` task, reads what it needs (domain models are imported here, at call time, so
no domain imports this app at import time) and returns nothing when the object is gone.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from . import kinds
from .services.creation import Message


def _families(student_ids) -> dict:
    """student id -> [the student's user, their guardians], active users only."""
    from apps.accounts.models import Guardian, StudentProfile

    people: dict = defaultdict(list)
    for student in StudentProfile.objects.filter(pk__in=list(student_ids)).select_related("user"):
        people[student.pk].append(student.user)
    for link in Guardian.objects.filter(student_id__in=list(student_ids)).select_related("parent"):
        people[link.student_id].append(link.parent)
    return people


def _short(name: str) -> str:
    """A name fit for a DLT variable (30 characters at most)."""
    return name if len(name) <= 30 else name.split()[0][:30]


def _enrolled(section_ids) -> list:
    from apps.academics.models import Enrollment

    return list(
        Enrollment.objects.filter(year__is_current=True, section_id__in=list(section_ids))
        .values_list("student_id", flat=True)
        .distinct()
    )


# --- attendance ---------------------------------------------------------------------------------
def _guardians(student_ids) -> tuple[dict, dict]:
    """(student id -> name, student id -> [guardians]) of the marked students: two queries."""
    from apps.accounts.models import Guardian, StudentProfile

    names = dict(
        StudentProfile.objects.filter(pk__in=student_ids).values_list("pk", "user__full_name")
    )
    parents: dict = defaultdict(list)
    for link in Guardian.objects.filter(student_id__in=student_ids).select_related("parent"):
        parents[link.student_id].append(link.parent)
    return names, parents


def attendance_absent(section_id: str, *, date: str, students: list, period: str | None = None):
    """Guardians of students newly marked absent in a section's daily register or one period
    (`period`: the timetable entry's id), once per student, date and period (the dedupe key).
    The marks may still be in the write buffer, so the students come in the parameters."""
    from apps.academics.models import Section, TimetableEntry
    from apps.attendance.buffer_kinds import slot_of

    section = Section.objects.filter(pk=section_id).select_related("school_class").first()
    if section is None:
        return []
    number = None
    if period is not None:
        number = TimetableEntry.objects.filter(pk=period).values_list("period", flat=True).first()
    names, parents = _guardians(students)
    messages = []
    for student_id, name in names.items():
        if not parents[student_id]:
            continue
        if period is None:
            body = format_lazy(
                _("{name} was marked absent in {section} on {date}."),
                name=name,
                section=section.display_name,
                date=date,
            )
        else:
            body = format_lazy(
                _("{name} was marked absent in {section} on {date}, period {period}."),
                name=name,
                section=section.display_name,
                date=date,
                period=number,
            )
        messages.append(
            Message(
                recipients=parents[student_id],
                kind=kinds.ATTENDANCE_ABSENT,
                title=format_lazy(_("{name} was absent on {date}"), name=name, date=date),
                body=body,
                data={"student": str(student_id), "section": section_id, "date": date,
                      "period": period},
                dedupe_key=f"attendance.absent:{student_id}:{date}:{slot_of(period)}",
                # The SMS template's {#var#} values: at most 30 characters each (DLT).
                context={"student": _short(name), "date": date},
            )
        )  # fmt: skip
    return messages


def attendance_late(section_id: str, *, date: str, students: list, period: int | None = None):
    """Guardians of students newly marked late (the marks may still be in the write buffer, so
    everything comes in the parameters)."""
    names, parents = _guardians(students)
    return [
        Message(
            recipients=parents[student_id],
            kind=kinds.ATTENDANCE_LATE,
            title=format_lazy(_("{name} arrived late on {date}"), name=name, date=date),
            body=format_lazy(_("{name} was marked late on {date}."), name=name, date=date),
            data={"student": str(student_id), "section": section_id, "date": date},
            dedupe_key=f"attendance.late:{student_id}:{date}:{period or 0}",
            context={"student": _short(name), "date": date},
        )
        for student_id, name in names.items()
        if parents[student_id]
    ]


# --- quizzes --------------------------------------------------------------------------------------
def _quiz(quiz_id):
    from apps.quizzes.models import Quiz

    return Quiz.objects.filter(pk=quiz_id).select_related("subject").first()


def quiz_published(quiz_id: str):
    """Students of the quiz's sections and their guardians."""
    quiz = _quiz(quiz_id)
    if quiz is None:
        return []
    families = _families(_enrolled(quiz.sections.values_list("pk", flat=True)))
    closes = quiz.closes_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    recipients = [user for people in families.values() for user in people]
    return [
        Message(
            recipients=recipients,
            kind=kinds.QUIZ_PUBLISHED,
            title=format_lazy(_("New quiz: {title}"), title=quiz.title),
            body=format_lazy(
                _("The quiz {title} ({subject}) is open until {closes}."),
                title=quiz.title,
                subject=quiz.subject.name,
                closes=closes,
            ),  # fmt: skip
            data={"quiz": str(quiz.pk)},
            dedupe_key=f"quizzes.published:{quiz.pk}",
        )
    ]


def quiz_results_released(quiz_id: str):
    """Students who attempted the quiz and their guardians."""
    from apps.quizzes.models import Attempt

    quiz = _quiz(quiz_id)
    if quiz is None or not quiz.results_released:
        return []
    students = set(Attempt.objects.filter(quiz=quiz).values_list("student_id", flat=True))
    recipients = [user for people in _families(students).values() for user in people]
    return [
        Message(
            recipients=recipients,
            kind=kinds.QUIZ_RESULTS_RELEASED,
            title=format_lazy(_("Quiz results: {title}"), title=quiz.title),
            body=format_lazy(_("The scores of the quiz {title} are out."), title=quiz.title),
            data={"quiz": str(quiz.pk)},
            dedupe_key=f"quizzes.results_released:{quiz.pk}",
        )
    ]


# --- exams ----------------------------------------------------------------------------------------
def report_card_ready(run_id: str, *, section: str, version: str):
    """A card made again after the results were published (a correction): the student and
    guardians, once per card version; held until the embargo (`visible_from`) passes."""
    from django.utils import timezone

    from apps.exams.models import ResultRun, StudentResult

    run = (
        ResultRun.objects.filter(pk=run_id, status="published")
        .select_related("plan_term__term")
        .first()
    )
    if run is None:
        return []
    results = list(
        StudentResult.objects.filter(run=run, section_id=section).select_related("student__user")
    )
    families = _families([r.student_id for r in results])
    term = run.plan_term.term.name
    later = run.visible_from if run.visible_from and run.visible_from > timezone.now() else None
    return [
        Message(
            recipients=families[r.student_id],
            kind=kinds.EXAMS_REPORT_CARD_READY,
            title=format_lazy(_("{term} report card"), term=term),
            body=format_lazy(
                _("{name}'s {term} report card is ready."),
                name=r.student.user.full_name,
                term=term,
            ),  # fmt: skip
            data={"student": str(r.student_id), "run": str(run.pk)},
            dedupe_key=f"exams.report_card_ready:{run.pk}:{r.student_id}:{version}",
            scheduled_at=later,
        )
        for r in results
        if families[r.student_id]
    ]


# --- fees -----------------------------------------------------------------------------------------
def fees_invoice_issued(_structure_id: str, *, invoices: list):
    """The student and guardians of each newly issued invoice (one message per invoice)."""
    from apps.core.money import format_inr
    from apps.fees.models import Invoice

    rows = list(Invoice.objects.filter(pk__in=invoices).select_related("student__user"))
    families = _families({i.student_id for i in rows})
    return [
        Message(
            recipients=families[invoice.student_id],
            kind=kinds.FEES_INVOICE_ISSUED,
            title=format_lazy(_("New fee invoice {number}"), number=invoice.number),
            body=format_lazy(
                _("Invoice {number} for {name}: {amount}, due on {date}."),
                number=invoice.number,
                name=invoice.student.user.full_name,
                amount=format_inr(invoice.total),
                date=invoice.due_date.isoformat(),
            ),  # fmt: skip
            data={"invoice": str(invoice.pk)},
            dedupe_key=f"fees.invoice_issued:{invoice.pk}",
        )
        for invoice in rows
        if families[invoice.student_id]
    ]


def fees_receipt(payment_id: str):
    """The payer and the student's guardians: the receipt of a recorded payment."""
    from apps.core.money import format_inr
    from apps.fees.models import Payment, PaymentMode

    payment = (
        Payment.objects.filter(pk=payment_id).select_related("receipt", "student__user").first()
    )
    if payment is None:
        return []
    receipt = getattr(payment, "receipt", None)
    number = receipt.number if receipt else ""
    amount = format_inr(payment.amount)
    recipients = [u for u in _families([payment.student_id])[payment.student_id]]
    return [
        Message(
            recipients=recipients,
            kind=kinds.FEES_RECEIPT,
            title=format_lazy(_("Payment received: {amount}"), amount=amount),
            body=format_lazy(
                _("{amount} received for {name}. Receipt {number}."),
                amount=amount,
                name=payment.student.user.full_name,
                number=number,
            ),  # fmt: skip
            data={"payment": str(payment.pk), "receipt": number},
            # An online payer is mailed the receipt PDF itself (apps.payments): no second mail.
            email=payment.mode != PaymentMode.ONLINE,
            dedupe_key=f"fees.receipt:{payment.pk}",
            context={"amount": amount, "number": number},
        )
    ]


# --- calendar -------------------------------------------------------------------------------------
def _audience(school_id, audience: str, class_id, section_id) -> list:
    """Students in the event's audience and their guardians."""
    from apps.academics.models import Section

    sections = Section.objects.filter(school_id=school_id)
    if audience == "class":
        sections = sections.filter(school_class_id=class_id)
    elif audience == "section":
        sections = sections.filter(pk=section_id)
    families = _families(_enrolled(sections.values_list("pk", flat=True)))
    return [user for people in families.values() for user in people]


def calendar_event_changed(event_id: str, *, version: str):
    """The audience of an event whose dates or times changed (`version`: when)."""
    from apps.calendar.models import CalendarEvent

    event = CalendarEvent.objects.filter(pk=event_id).first()
    if event is None:
        return []
    when = event.start_date.isoformat()
    return [
        Message(
            recipients=_audience(
                event.school_id, event.audience, event.school_class_id, event.section_id
            ),  # fmt: skip
            kind=kinds.CALENDAR_EVENT_CHANGED,
            title=format_lazy(_("Calendar change: {title}"), title=event.title),
            body=format_lazy(_("{title} is now on {date}."), title=event.title, date=when),
            data={"event": str(event.pk), "date": when},
            dedupe_key=f"calendar.event_changed:{event.pk}:{version}",
        )
    ]


def calendar_event_cancelled(
    event_id: str, *, school: str, title: str, date: str, audience: str,
    school_class: str | None = None, section: str | None = None,
):  # fmt: skip
    """The audience of a deleted event (read from the parameters: the row is gone)."""
    return [
        Message(
            recipients=_audience(school, audience, school_class, section),
            kind=kinds.CALENDAR_EVENT_CANCELLED,
            title=format_lazy(_("Cancelled: {title}"), title=title),
            body=format_lazy(_("{title} on {date} is cancelled."), title=title, date=date),
            data={"event": event_id, "date": date},
            dedupe_key=f"calendar.event_cancelled:{event_id}",
        )
    ]


# --- accounts ---------------------------------------------------------------------------------------
def password_changed(user_id: str, *, at: str):
    """A critical notice to the account's owner (in-app and e-mail, whatever the preferences)."""
    from apps.accounts.models import User

    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return []
    return [
        Message(
            recipients=[user],
            kind=kinds.PASSWORD_CHANGED,
            title=_("Your password was changed"),
            body=_(
                "The password of your account was changed and every device was signed out. "
                "If this was not you, reset your password at once and tell the school."
            ),
            data={"at": at},
            dedupe_key=f"accounts.password_changed:{at}",
        )
    ]


def password_reset(user_id: str, *, language: str, request: str):
    """The reset e-mail (critical: no opt-out, no quiet hours), written at send time by
    `password_reset_email`, so the link is never stored; the in-app row only says a link was
    sent. Platform accounts (no school) keep the direct e-mail task."""
    from apps.accounts.models import User

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return []
    if user.school_id is None:
        from apps.accounts.tasks import send_password_reset_email

        send_password_reset_email.delay(str(user.pk), language)
        return []
    return [
        Message(
            recipients=[user],
            kind=kinds.PASSWORD_RESET,
            title=_("Password reset requested"),
            body=_("A link to choose a new password was e-mailed to you."),
            data={"language": language},
            dedupe_key=f"accounts.password_reset:{request}",
        )
    ]


def password_reset_email(notification) -> tuple[str, str]:
    """Subject and body of the reset e-mail with a link made now (never stored or logged)."""
    from django.conf import settings
    from django.template.loader import render_to_string
    from django.utils import translation

    from apps.accounts.services.auth import password_reset_token

    user = notification.recipient
    uid, token = password_reset_token(user)
    context = {
        "user": user,
        "school": notification.school,
        "uid": uid,
        "token": token,
        "reset_url": f"{settings.FRONTEND_URL}/reset-password?uid={uid}&token={token}",
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    language = (notification.data or {}).get("language") or notification.language
    with translation.override(language):
        subject = render_to_string("emails/password_reset_subject.txt", context).strip()
        body = render_to_string("emails/password_reset.txt", context)
    return subject, body
