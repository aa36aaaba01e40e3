"""Pay an order without a gateway: post the webhook the gateway would send, signed exactly as
it signs (the adapter's own signing helpers and the configured webhook secret).

    manage.py simulate_payment ORDER --outcome captured
    manage.py simulate_payment ORDER --outcome failed --url http://127.0.0.1:8000
    manage.py simulate_payment ORDER --direct        # in-process, processed at once

ORDER is the order's id, reference or gateway order id.
"""

from __future__ import annotations

import secrets

import requests
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from apps.payments import gateways as g
from apps.payments.models import PaymentOrder


class Command(BaseCommand):
    help = "Post a gateway-signed webhook (captured or failed) for a payment order."

    def add_arguments(self, parser) -> None:
        parser.add_argument("order", help="The order's id, reference or gateway order id.")
        parser.add_argument("--outcome", choices=[g.CAPTURED, g.FAILED], default=g.CAPTURED)
        parser.add_argument("--url", default="http://127.0.0.1:8000",
                            help="The running server (default http://127.0.0.1:8000).")  # fmt: skip
        parser.add_argument("--direct", action="store_true",
                            help="Post through Django's test client in this process and process "
                                 "the event at once (no server or worker needed).")  # fmt: skip
        parser.add_argument("--payment-id", default="", help="The gateway payment id to use.")

    def handle(self, *args, order: str, outcome: str, url: str, direct: bool, payment_id: str,
               **options) -> None:  # fmt: skip
        found = self._order(order)
        gateway = g.get_gateway(found.gateway)
        if not gateway.webhook_secrets:
            raise CommandError(f"No webhook secret is configured for {found.gateway}.")
        if found.gateway == g.STRIPE:
            payment_id = found.gateway_order_id  # a PaymentIntent is the payment
        payment_id = payment_id or f"pay_{secrets.token_hex(7)}"
        event_id = f"evt_{secrets.token_hex(8)}"
        body = gateway.simulated_event_body(
            outcome, order_id=found.gateway_order_id, payment_id=payment_id,
            amount=found.amount, event_id=event_id,
        )  # fmt: skip
        headers = gateway.webhook_headers(body, event_id=event_id)
        path = f"/api/v1/payments/webhooks/{found.gateway}/"
        if direct:
            status, text = self._direct(path, body, headers)
        else:
            try:
                response = requests.post(url.rstrip("/") + path, data=body, headers=headers,
                                         timeout=30)  # fmt: skip
            except requests.RequestException as exc:
                raise CommandError(f"Could not reach {url}: {exc}")
            status, text = response.status_code, response.text
        if status >= 300:
            raise CommandError(f"The webhook was answered {status}: {text[:300]}")
        found.refresh_from_db()
        self.stdout.write(
            f"{found.gateway} {outcome} {payment_id} for {found.reference} "
            f"({found.amount} {found.currency}): answered {status}; order is {found.status}"
        )

    def _order(self, value: str) -> PaymentOrder:
        match = Q(reference=value) | Q(gateway_order_id=value)
        try:
            import uuid

            match |= Q(pk=uuid.UUID(value))
        except ValueError:
            pass
        orders = list(PaymentOrder.objects.filter(match)[:2])
        if len(orders) != 1:
            raise CommandError(f"No single payment order matches {value!r}.")
        return orders[0]

    def _direct(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        from celery import current_app
        from django.test import Client

        extra = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
        eager = current_app.conf.task_always_eager
        current_app.conf.task_always_eager = True  # process the event here, not in a worker
        try:
            response = Client(HTTP_HOST="localhost").post(
                path, body, content_type="application/json", **extra
            )
        finally:
            current_app.conf.task_always_eager = eager
        return response.status_code, response.content.decode(errors="replace")
