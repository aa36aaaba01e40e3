"""Push: to every registered device of the recipient (the only code that talks to FCM).

Backends (NOTIFICATIONS_PUSH_BACKEND): `console` logs, `locmem` keeps pushes in `outbox`
(tests), `fcm` is Firebase Cloud Messaging's HTTP v1 API (FCM_PROJECT_ID, and an OAuth access
token from the service account in FCM_CREDENTIALS_FILE through google-auth). A token FCM
reports UNREGISTERED (or invalid) is deleted at once; the rest of the devices still get it.
Tokens unseen for NOTIFICATIONS_PUSH_TOKEN_TTL_DAYS (270) are pruned by a beat job
(`services.devices.device_prune`).

Batches: a recipient's tokens go out in batches of up to 500 (`BATCH`), the requests of a
batch concurrently over one HTTP session. This is what firebase-admin's
`messaging.send_each_for_multicast` does (FCM's legacy multicast and batch endpoints are
gone; HTTP v1 takes one token per request). firebase-admin itself is not used: it would add
about twenty packages to the image (grpcio, protobuf, google-cloud-firestore and -storage)
for those same HTTP v1 calls, so the product keeps this small client, which tests can drive
with a fake session.
"""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings

from .base import PermanentFailure, SendResult, Suppressed, TemporaryFailure

logger = logging.getLogger("schools24.notifications.push")

outbox: list[PushMessage] = []
BATCH = 500  # tokens per batch, as firebase-admin's send_each_for_multicast
CONCURRENCY = 10  # requests of a batch in flight at once


@dataclass(frozen=True)
class PushMessage:
    token: str
    title: str
    body: str
    data: dict


def messages(delivery) -> list[PushMessage]:
    from ..models import Device

    tokens = list(
        Device.objects.filter(user_id=delivery.recipient_id).values_list("token", flat=True)
    )
    if not tokens:
        raise Suppressed("No registered device")
    notification = delivery.notification
    data = {k: "" if v is None else str(v) for k, v in (notification.data or {}).items()}
    data.update({"kind": notification.kind, "notification": str(notification.pk)})
    return [PushMessage(t, notification.title, notification.body[:1000], data) for t in tokens]


def forget(tokens: list[str]) -> int:
    from ..models import Device

    deleted, _ = Device.objects.filter(token__in=tokens).delete()
    return deleted


class ConsolePush:
    name = "console"
    channel = "push"

    def deliver(self, message: PushMessage) -> str:
        logger.info("Push to …%s: %s", message.token[-6:], message.title)
        return f"console-{uuid.uuid4().hex[:12]}"

    def send(self, delivery) -> SendResult:
        ids = [self.deliver(m) for m in messages(delivery)]
        return SendResult(provider_message_id=",".join(ids)[:200], delivered=True)


class LocmemPush(ConsolePush):
    name = "locmem"

    def deliver(self, message: PushMessage) -> str:
        outbox.append(message)
        return f"locmem-{len(outbox)}"


class FcmPush:
    """FCM HTTP v1: one request per token (the v1 API has no multicast), in batches of up to
    `BATCH` tokens sent concurrently over one session. Unregistered tokens are forgotten; if
    every token failed temporarily, the delivery is retried."""

    name = "fcm"
    channel = "push"

    def __init__(self, session=None, token_source=None):
        self.session = session
        self.token_source = token_source or _access_token

    def url(self) -> str:
        return f"https://fcm.googleapis.com/v1/projects/{settings.FCM_PROJECT_ID}/messages:send"

    def body(self, message: PushMessage) -> dict:
        return {
            "message": {
                "token": message.token,
                "notification": {"title": message.title, "body": message.body},
                "data": message.data,
                "android": {"priority": "high"},
            }
        }

    def post_one(self, session, headers, message: PushMessage):
        """The response to one token's request, or the exception it raised."""
        import requests

        try:
            return session.post(
                self.url(),
                json=self.body(message),
                headers=headers,
                timeout=settings.NOTIFICATIONS_PROVIDER_TIMEOUT,
            )
        except requests.RequestException as exc:
            return exc

    def send_batch(self, session, headers, batch: list[PushMessage]) -> list:
        """One batch (at most `BATCH` tokens), concurrently; answers in the batch's order."""
        with ThreadPoolExecutor(max_workers=min(CONCURRENCY, len(batch))) as pool:
            return list(pool.map(lambda m: self.post_one(session, headers, m), batch))

    def send(self, delivery) -> SendResult:
        import requests

        session = self.session or requests.Session()
        headers = {"Authorization": f"Bearer {self.token_source()}"}
        ids, dead, temporary = [], [], []
        all_messages = messages(delivery)
        answers = []
        for start in range(0, len(all_messages), BATCH):
            batch = all_messages[start : start + BATCH]
            answers += zip(batch, self.send_batch(session, headers, batch), strict=True)
        for message, response in answers:
            if isinstance(response, Exception):
                temporary.append(type(response).__name__)
                continue
            if response.status_code == 200:
                ids.append(response.json().get("name", ""))
            elif response.status_code == 404 or "UNREGISTERED" in response.text:
                dead.append(message.token)
            elif response.status_code == 429 or response.status_code >= 500:
                temporary.append(f"HTTP {response.status_code}")
            elif response.status_code == 400 and "INVALID_ARGUMENT" in response.text:
                dead.append(message.token)
            else:
                raise PermanentFailure(f"FCM HTTP {response.status_code}: {response.text[:200]}")
        if dead:
            forget(dead)
        if ids:
            return SendResult(provider_message_id=",".join(ids)[:200])
        if temporary:
            raise TemporaryFailure("FCM: " + ", ".join(temporary))
        raise PermanentFailure("FCM: every token was unregistered")


def _access_token() -> str:
    try:
        from google.auth.transport.requests import Request
        from google.oauth2 import service_account
    except ImportError as exc:  # pragma: no cover - optional dependency
        raise PermanentFailure("FCM needs google-auth installed") from exc
    credentials = service_account.Credentials.from_service_account_file(
        settings.FCM_CREDENTIALS_FILE,
        scopes=["https://www.googleapis.com/auth/firebase.messaging"],
    )
    credentials.refresh(Request())
    return credentials.token


BACKENDS = {"console": ConsolePush, "locmem": LocmemPush, "fcm": FcmPush}


def backend():
    return BACKENDS[settings.NOTIFICATIONS_PUSH_BACKEND]()
