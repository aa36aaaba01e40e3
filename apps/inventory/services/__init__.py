"""The stores' writes (see each module's docstring for its rules)."""

from .alerts import LOW_STOCK_KIND, OVERDUE_KIND, low_stock_check, overdue_returns_notify  # noqa: F401
from .catalogue import catalogue_create, catalogue_delete, catalogue_update  # noqa: F401
from .ledger import (  # noqa: F401
    InsufficientStock,
    Posted,
    ledger_sum,
    lock_balances,
    outstanding,
    school_today,
)
from .movements import movement_record  # noqa: F401
from .purchasing import (  # noqa: F401
    po_cancel,
    po_create,
    po_delete,
    po_place,
    po_receive,
    po_update,
)
from .requests import request_approve, request_cancel, request_create, request_reject  # noqa: F401
