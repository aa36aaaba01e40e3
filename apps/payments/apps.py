from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "apps.payments"
    label = "payments"
    verbose_name = _("Online payments")

    def ready(self) -> None:
        from apps.accounts.duties import ACCOUNTANT, add_duty_permissions
        from apps.core import periodic

        from . import scopes  # noqa: F401  (registers the access rules)
        from .tasks import RECONCILE_SCHEDULE

        periodic.register(RECONCILE_SCHEDULE)
        # The Accountant duty takes online payments for families and reads the gateways' events.
        add_duty_permissions(
            ACCOUNTANT,
            {"payments.view_paymentorder", "payments.add_paymentorder",
             "payments.change_paymentorder", "payments.view_webhookevent"},
        )  # fmt: skip
