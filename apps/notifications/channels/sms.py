"""SMS: DLT template rendering and the providers (the only code that talks to them).

India's DLT rules: a message goes out only as a registered template's exact text, its
variables written `{#var#}` in the approved text and each filled with at most 30 characters,
from the registered sender header; promotional templates only inside the daytime window.
`render` builds the message from the approved text and refuses (PermanentFailure, never a
silent truncation: a shortened name would still be a wrong message) whatever would break them,
and `check_matches` re-verifies the finished text against the approved one byte for byte.

Backends (NOTIFICATIONS_SMS_BACKEND): `console` logs the message (development), `locmem`
keeps it in `outbox` (tests), `msg91` calls MSG91's flow API, `twilio` Twilio's Messages API
(international numbers; TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER).
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass

from django.conf import settings

from .base import PermanentFailure, SendResult, Suppressed, TemporaryFailure

logger = logging.getLogger("schools24.notifications.sms")

VAR = "{#var#}"
VAR_MAX = 30
outbox: list[SmsMessage] = []


@dataclass(frozen=True)
class SmsMessage:
    to: str
    text: str
    sender: str
    dlt_template_id: str
    variables: tuple[str, ...]


def normalise_phone(raw: str, *, region_code: str = "91") -> str:
    """E.164 (`+<country><number>`) from what users type: a 10-digit Indian mobile gains +91,
    a leading 0 or 00 is read as a trunk or international prefix. '' when it cannot be one."""
    digits = re.sub(r"[\s\-().]", "", raw or "")
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.startswith("+"):
        number = digits[1:]
    elif len(digits) == 11 and digits.startswith("0"):
        number = region_code + digits[1:]
    elif len(digits) == 10:
        number = region_code + digits
    else:
        number = digits
    if not number.isdigit() or not 8 <= len(number) <= 15 or number.startswith("0"):
        return ""
    return "+" + number


def render(text: str, values: list[str]) -> str:
    """The approved `text` with its `{#var#}` slots filled in order; refuses a wrong number of
    values, a value longer than 30 characters, or one carrying a line break."""
    slots = text.count(VAR)
    if slots != len(values):
        raise PermanentFailure(f"DLT: the template has {slots} variables, {len(values)} given")
    out = []
    parts = text.split(VAR)
    for index, value in enumerate(values):
        value = str(value)
        if len(value) > VAR_MAX:
            raise PermanentFailure(
                f"DLT: variable {index + 1} is {len(value)} characters, more than {VAR_MAX}"
            )
        if "\n" in value or "\r" in value:
            raise PermanentFailure(f"DLT: variable {index + 1} holds a line break")
        out.append(parts[index])
        out.append(value)
    out.append(parts[-1])
    message = "".join(out)
    check_matches(text, message)
    return message


def check_matches(approved: str, message: str) -> None:
    """The static text of `message` is the approved text's, byte for byte, and every variable
    is at most 30 characters."""
    pattern = "".join(
        re.escape(part) if part != VAR else rf"(.{{0,{VAR_MAX}}})"
        for part in re.split(r"(\{#var#\})", approved)
    )
    if re.fullmatch(pattern, message, flags=re.DOTALL) is None:
        raise PermanentFailure("DLT: the message does not match the approved template")


def template_for(delivery):
    """The school's active template of the delivery's kind in the recipient's language, else
    its English one; None when the school registered none (the SMS is then suppressed)."""
    from ..models import SmsTemplate

    found = {
        t.language: t
        for t in SmsTemplate.objects.filter(
            school_id=delivery.school_id, kind=delivery.kind, is_active=True
        )
    }
    return found.get(delivery.notification.language) or found.get("en")


def build(delivery) -> SmsMessage:
    """The message to send for `delivery`: template, variables from the delivery's payload."""
    template = template_for(delivery)
    if template is None:
        raise Suppressed(f"No approved SMS template for {delivery.kind}")
    context = delivery.payload.get("context", {})
    missing = [name for name in template.variables if name not in context]
    if missing:
        raise PermanentFailure(f"DLT: no value for {', '.join(missing)}")
    values = [str(context[name]) for name in template.variables]
    return SmsMessage(
        to=delivery.address,
        text=render(template.text, values),
        sender=template.sender_header,
        dlt_template_id=template.dlt_template_id,
        variables=tuple(values),
    )


def is_promotional(delivery) -> bool:
    template = template_for(delivery)
    return bool(template and template.category == "promotional")


class ConsoleSms:
    name = "console"
    channel = "sms"

    def send(self, delivery) -> SendResult:
        message = build(delivery)
        # Never a full phone number in a log line.
        logger.info(
            "SMS to …%s from %s (DLT %s): %s",
            message.to[-4:],
            message.sender,
            message.dlt_template_id,
            message.text,
        )
        return SendResult(provider_message_id=f"console-{uuid.uuid4().hex[:12]}", delivered=True)


class LocmemSms(ConsoleSms):
    name = "locmem"

    def send(self, delivery) -> SendResult:
        message = build(delivery)
        outbox.append(message)
        return SendResult(provider_message_id=f"locmem-{len(outbox)}", delivered=True)


def _classify(response) -> None:
    if response.status_code == 429 or response.status_code >= 500:
        raise TemporaryFailure(f"HTTP {response.status_code}: {response.text[:200]}")
    if response.status_code >= 400:
        raise PermanentFailure(f"HTTP {response.status_code}: {response.text[:200]}")


class Msg91Sms:
    """MSG91's flow API: the flow is registered at MSG91 with the DLT template; variables are
    sent as var1..varN in slot order."""

    name = "msg91"
    channel = "sms"
    url = "https://control.msg91.com/api/v5/flow/"

    def send(self, delivery) -> SendResult:
        import requests

        message = build(delivery)
        body = {
            "template_id": message.dlt_template_id,
            "sender": message.sender,
            "short_url": "0",
            "recipients": [
                {
                    "mobiles": message.to.lstrip("+"),
                    **{f"var{i + 1}": v for i, v in enumerate(message.variables)},
                }
            ],
        }
        try:
            response = requests.post(
                self.url,
                json=body,
                headers={"authkey": settings.MSG91_AUTH_KEY, "accept": "application/json"},
                timeout=settings.NOTIFICATIONS_PROVIDER_TIMEOUT,
            )
        except requests.RequestException as exc:
            raise TemporaryFailure(f"MSG91 unreachable: {type(exc).__name__}") from exc
        _classify(response)
        data = response.json()
        if data.get("type") != "success":
            raise PermanentFailure(f"MSG91 refused: {str(data.get('message'))[:200]}")
        return SendResult(provider_message_id=str(data.get("message") or data.get("request_id")))


class TwilioSms:
    name = "twilio"
    channel = "sms"

    def send(self, delivery) -> SendResult:
        import requests

        message = build(delivery)
        sid = settings.TWILIO_ACCOUNT_SID
        try:
            response = requests.post(
                f"https://api.twilio.com/2010-04-01/Accounts/{sid}/Messages.json",
                data={"To": message.to, "From": settings.TWILIO_FROM_NUMBER, "Body": message.text},
                auth=(sid, settings.TWILIO_AUTH_TOKEN),
                timeout=settings.NOTIFICATIONS_PROVIDER_TIMEOUT,
            )
        except requests.RequestException as exc:
            raise TemporaryFailure(f"Twilio unreachable: {type(exc).__name__}") from exc
        _classify(response)
        return SendResult(provider_message_id=response.json().get("sid", ""))


BACKENDS = {"console": ConsoleSms, "locmem": LocmemSms, "msg91": Msg91Sms, "twilio": TwilioSms}


def backend():
    return BACKENDS[settings.NOTIFICATIONS_SMS_BACKEND]()
