"""The demo school's notification set-up (called by `seed_demo`, after the people): the SMS
templates of absence and late-arrival alerts and fee receipts in English and Hindi, as a
school registers them on the DLT platform, so marking the demo student absent sends the
parent an in-app message, an e-mail and a (logged) SMS. Idempotent: existing templates are
kept."""

from __future__ import annotations

from . import kinds
from .models import SmsTemplate

SENDER = "SCHLTF"
TEMPLATES = [
    # kind, language, approved text, variables, DLT template id
    (kinds.ATTENDANCE_ABSENT, "en",
     "Dear parent, {#var#} was marked absent on {#var#}. - Schools24",
     ["student", "date"], "1107170000000000101"),
    (kinds.ATTENDANCE_ABSENT, "hi",
     "प्रिय अभिभावक, {#var#} {#var#} को अनुपस्थित रहे। - Schools24",
     ["student", "date"], "1107170000000000102"),
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
                "category": "transactional",
            },
        )
        report.add("sms templates", created)
