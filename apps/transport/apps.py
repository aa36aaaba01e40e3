from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransportConfig(AppConfig):
    name = "apps.transport"
    label = "transport"
    verbose_name = _("Transport")

    def ready(self) -> None:
        from apps.accounts.duties import TRANSPORT_MANAGER, add_duty_permissions
        from apps.core import periodic
        from apps.fees import pricing
        from apps.fees.models import HeadPricing

        from . import scopes  # noqa: F401  (registers the access rules)
        from .tasks import EXPIRY_SCHEDULE, FLUSH_SCHEDULE, PARTITION_SCHEDULE

        periodic.register(FLUSH_SCHEDULE)
        periodic.register(PARTITION_SCHEDULE)
        periodic.register(EXPIRY_SCHEDULE)
        # Fee heads flagged as transport are billed per rider from the fee rules.
        from .services import fee_totals

        pricing.register(HeadPricing.TRANSPORT, fee_totals)
        # The Transport manager duty runs the fleet: everything in transport.
        add_duty_permissions(TRANSPORT_MANAGER, manager_permissions())


MODELS = (
    "transportsettings", "vehicle", "crewmember", "route", "stop", "trip", "tripstop",
    "assignment", "triprun", "boardingmark", "devicetoken", "feerule",
)  # fmt: skip


def manager_permissions() -> set[str]:
    perms = {
        f"transport.{verb}_{name}"
        for name in MODELS
        for verb in ("view", "add", "change", "delete")
    }
    return perms | {"academics.view_academicyear"}  # assignments name the year
