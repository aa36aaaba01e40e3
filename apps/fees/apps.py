from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeesConfig(AppConfig):
    name = "apps.fees"
    label = "fees"
    verbose_name = _("Fees")

    def ready(self) -> None:
        from apps.accounts.duties import ACCOUNTANT, add_duty_permissions
        from apps.core import periodic

        from . import scopes  # noqa: F401  (registers the access rules)
        from .tasks import LATE_FINE_SCHEDULE, REMINDER_SCHEDULE

        periodic.register(LATE_FINE_SCHEDULE)  # installed after every migrate
        periodic.register(REMINDER_SCHEDULE)
        # The Accountant duty runs the fee office: everything in fees, except editing what is
        # append-only (payments and their allocations are never changed or deleted).
        add_duty_permissions(ACCOUNTANT, accountant_permissions())


MODELS = (
    "feesettings", "feehead", "feestructure", "feestructureline", "installment", "concession",
    "feecategorymember", "latefinerule", "invoice", "invoiceline", "payment",
    "paymentallocation", "advancemovement", "receipt", "refund", "creditnote",
    "documentsequence", "feereminder",
)  # fmt: skip
APPEND_ONLY = (
    "payment", "paymentallocation", "advancemovement", "receipt", "documentsequence",
    "feereminder",
)  # fmt: skip


def accountant_permissions() -> set[str]:
    perms = {f"fees.view_{name}" for name in MODELS}
    for name in MODELS:
        if name not in APPEND_ONLY:
            perms |= {f"fees.add_{name}", f"fees.change_{name}", f"fees.delete_{name}"}
    perms |= {"fees.add_payment", "fees.add_refund"}
    return perms
