"""The stores on the dashboards: items at or below their reorder level (school admins, staff
with the Store manager duty), and requests waiting."""

from __future__ import annotations

from apps.accounts.models import Role
from apps.dashboard.registry import register

from . import scopes, selectors

SHOWN = 10


@register([Role.ADMIN, Role.STAFF], "stock")
def low_stock(ctx):
    """Balances at or below their reorder level, with what is already on order (one query)."""
    if not scopes.manages_stores(ctx.user):
        return None
    low = list(
        selectors.balance_queryset()
        .filter(school_id=ctx.school.pk, low=True)
        .order_by("item__name", "store__name")
    )
    out = {
        "low_stock_count": len(low),
        "low_stock": [
            {
                "item": str(b.item_id),
                "name": b.item.name,
                "store": b.store.name,
                "quantity": b.quantity,
                "reorder_level": b.reorder_level,
                "on_order": b.on_order,
            }
            for b in low[:SHOWN]
        ],  # fmt: skip
    }
    if low:
        out["alerts"] = [{"kind": "low_stock", "count": len(low)}]
    return out
