from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "apps.inventory"
    label = "inventory"
    verbose_name = _("Inventory and stores")

    def ready(self) -> None:
        from apps.accounts.duties import STORE_MANAGER, add_duty_permissions
        from apps.core import periodic

        from . import scopes  # noqa: F401  (registers the access rules)
        from .tasks import LOW_STOCK_SCHEDULE

        periodic.register(LOW_STOCK_SCHEDULE)  # installed after every migrate
        # The Store manager duty runs the stores: everything in inventory, except editing the
        # ledger (movements are append-only: a mistake is reversed by another movement).
        add_duty_permissions(STORE_MANAGER, store_manager_permissions())


MODELS = (
    "itemcategory", "store", "vendor", "item", "reorderrule", "purchaseorder",
    "purchaseorderline", "stockmovement", "stockbalance", "serialunit", "movementunit",
    "itemrequest", "lowstockalert",
)  # fmt: skip
DERIVED = ("stockmovement", "stockbalance", "movementunit", "lowstockalert")


def store_manager_permissions() -> set[str]:
    perms = {f"inventory.view_{name}" for name in MODELS}
    for name in MODELS:
        if name not in DERIVED:
            perms |= {f"inventory.add_{name}", f"inventory.change_{name}",
                      f"inventory.delete_{name}"}  # fmt: skip
    perms.add("inventory.add_stockmovement")
    return perms
