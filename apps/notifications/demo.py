"""The demo school's notification set-up (called by `seed_demo`, after the people): the SMS
templates of absence and late-arrival alerts, fee reminders and receipts in English and Hindi,
as a school registers them on the DLT platform, so marking the demo student absent sends the
parent an in-app message, an e-mail and a (logged) SMS. Also the school's SMS budget, the
approved circular template, a circular already sent to one section (in the app) and one
scheduled for the whole school. Idempotent: existing templates, settings and circulars are
kept."""

from __future__ import annotations

from . import kinds
from .models import SchoolChannelSettings, SmsTemplate

SENDER = "SCHLTF"
TEMPLATES = [
    # kind, language, approved text, variables, DLT template id
    (kinds.ATTENDANCE_ABSENT, "en",
     "Dear parent, {#var#} was marked absent on {#var#}. - Schools24",
     ["student", "date"], "1107170000000000101"),
    (kinds.ATTENDANCE_ABSENT, "hi",
     "प्रिय अभिभावक, {#var#} {#var#} को अनुपस्थित रहे। - Schools24",
     ["student", "date"], "1107170000000000102"),
    (kinds.SCHOOL_ANNOUNCEMENT, "en",
     "Circular from {#var#}: {#var#}. Read it in the Schools24 app.",
     ["school", "title"], "1107170000000000201"),
    (kinds.SCHOOL_ANNOUNCEMENT, "hi",
     "{#var#} का परिपत्र: {#var#}। Schools24 ऐप में पढ़ें।",
     ["school", "title"], "1107170000000000202"),
    (kinds.ATTENDANCE_LATE, "en",
     "Dear parent, {#var#} arrived late to school on {#var#}. - Schools24",
     ["student", "date"], "1107170000000000103"),
    (kinds.ATTENDANCE_LATE, "hi",
     "प्रिय अभिभावक, {#var#} {#var#} को विद्यालय देर से पहुँचे। - Schools24",
     ["student", "date"], "1107170000000000104"),
    (kinds.FEES_RECEIPT, "en",
     "Payment of {#var#} received, receipt {#var#}. Thank you. - Schools24",
     ["amount", "number"], "1107170000000000105"),
    (kinds.FEES_RECEIPT, "hi",
     "{#var#} का भुगतान प्राप्त हुआ, रसीद {#var#}। धन्यवाद। - Schools24",
     ["amount", "number"], "1107170000000000106"),
]  # fmt: skip
PROMOTIONAL = {kinds.SCHOOL_ANNOUNCEMENT}
SENT_TITLE = "Annual sports day on Friday"
SCHEDULED_TITLE = "Parent-teacher meeting next week"


def seed_notifications(*, report, school) -> None:
    for kind, language, text, variables, template_id in TEMPLATES:
        _, created = SmsTemplate.objects.get_or_create(
            school=school,
            kind=kind,
            language=language,
            defaults={
                "text": text,
                "variables": variables,
                "dlt_template_id": template_id,
                "sender_header": SENDER,
                "category": "promotional" if kind in PROMOTIONAL else "transactional",
            },
        )
        report.add("sms templates", created)
    _, created = SchoolChannelSettings.objects.get_or_create(
        school=school, defaults={"sms_monthly_budget_rupees": 2000}
    )
    report.add("school notification settings", created)
    _seed_circulars(report=report, school=school)


def _seed_circulars(*, report, school) -> None:
    import datetime as dt

    from django.utils import timezone

    from apps.academics.models import Section
    from apps.accounts.models import Role, User

    from .models import Circular, CircularStatus
    from .services.circulars import circular_create, circular_schedule, circular_send

    admin = User.objects.filter(school=school, role=Role.ADMIN, is_active=True).first()
    section = (
        Section.objects.filter(school=school, year__is_current=True)
        .order_by("school_class__order", "name")
        .first()
    )
    if admin is None or section is None:
        return
    existing = set(Circular.objects.filter(school=school).values_list("title", flat=True))
    if SENT_TITLE not in existing:
        sent = circular_create(
            actor=admin,
            data={
                "title": SENT_TITLE,
                "body": "Sports day is on Friday from 8 am. Children come in sports uniform.",
                "audience": "section",
                "target_id": section.pk,
                "channels": [],
            },
        )
        Circular.objects.filter(pk=sent.pk).update(status=CircularStatus.SENDING)
        circular_send(circular_id=sent.pk)
    report.add("circulars", SENT_TITLE not in existing)
    if SCHEDULED_TITLE not in existing:
        scheduled = circular_create(
            actor=admin,
            data={
                "title": SCHEDULED_TITLE,
                "body": "Parent-teacher meetings are on Saturday from 9 am to 1 pm.",
                "audience": "school",
                "channels": ["email", "sms"],
            },
        )
        circular_schedule(circular=scheduled, scheduled_at=timezone.now() + dt.timedelta(days=7))
    report.add("circulars", SCHEDULED_TITLE not in existing)
