"""The daily stock check: reorders, low-stock alerts and overdue returns.

Rules:
- an item is reordered when its stock in a store plus what is on order (open purchase orders,
  drafts included) is at or below the store's reorder level: its reorder quantity is added to
  one draft purchase order per vendor and store (the vendor's open draft from an earlier run is
  reused), for items with a preferred vendor;
- the store manager is told once per item and store while it stays at or below the level (one
  open `LowStockAlert` row, unique in the database); when it recovers the alert is closed, and a
  later fall tells them again;
- an overdue issue (a returnable asset past its due date, something still out) is told to its
  borrower once, and the store managers get one digest per day;
- runs of the check are serialised per school by a transaction-scoped advisory lock.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import School

from ..models import (
    LowStockAlert,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderRule,
    StockBalance,
    StockMovement,
)
from ..scopes import borrower_users, store_managers
from .ledger import advisory_lock, school_today
from .purchasing import po_create

LOW_STOCK_KIND = "inventory.low_stock"
OVERDUE_KIND = "inventory.overdue"


def low_stock_check(*, school=None) -> dict:
    """Run the reorder and alert rules for one school or all; returns counts."""
    totals = {"alerts": 0, "recovered": 0, "orders": 0, "lines": 0}
    schools = [school] if school is not None else School.objects.all()
    for one in schools:
        for key, value in _check_school(one).items():
            totals[key] += value
    return totals


@transaction.atomic
def _check_school(school) -> dict:
    from ..selectors import on_order

    advisory_lock(f"inventory-stock-check-{school.pk}")
    balances = {
        (b.item_id, b.store_id): b.quantity
        for b in StockBalance.objects.filter(school=school).only("item_id", "store_id", "quantity")
    }
    rules = list(
        ReorderRule.objects.filter(school=school, item__is_active=True)
        .select_related("item__preferred_vendor", "store")
        .annotate(on_order=on_order())
    )
    open_alerts = {
        (a.item_id, a.store_id): a
        for a in LowStockAlert.objects.filter(school=school, resolved_at__isnull=True)
    }
    new_alerts, recovered, wanted = [], [], defaultdict(list)
    for rule in rules:
        pair = (rule.item_id, rule.store_id)
        quantity = balances.get(pair, Decimal("0"))
        if quantity + rule.on_order <= rule.reorder_level and rule.item.preferred_vendor_id:
            wanted[(rule.item.preferred_vendor, rule.store)].append(rule)
        if quantity <= rule.reorder_level:
            if pair not in open_alerts:
                new_alerts.append(LowStockAlert(school=school, item=rule.item, store=rule.store,
                                                quantity=quantity))  # fmt: skip
        elif pair in open_alerts:
            recovered.append(open_alerts[pair])
    now = timezone.now()
    if recovered:
        LowStockAlert.objects.filter(pk__in=[a.pk for a in recovered]).update(resolved_at=now)
    created = LowStockAlert.objects.bulk_create(new_alerts, ignore_conflicts=True)
    orders, lines = _reorder(school, wanted)
    if created:
        _tell_managers(school, created)
    return {"alerts": len(created), "recovered": len(recovered), "orders": orders,
            "lines": lines}  # fmt: skip


def _reorder(school, wanted) -> tuple[int, int]:
    orders = lines = 0
    for (vendor, store), rules in wanted.items():
        draft = PurchaseOrder.objects.filter(school=school, vendor=vendor, store=store,
                                             status=POStatus.DRAFT, auto_created=True).first()  # fmt: skip
        entries = [{"item": r.item, "quantity": r.reorder_quantity,
                    "rate": r.item.standard_rate} for r in rules]  # fmt: skip
        if draft is None:
            po_create(school=school, actor=None, vendor=vendor, store=store, lines=entries,
                      notes=str(_("Opened by the low-stock check.")), auto_created=True)  # fmt: skip
            orders += 1
        else:
            PurchaseOrderLine.objects.bulk_create(
                [PurchaseOrderLine(school=school, order=draft, item=e["item"],
                                   quantity=e["quantity"], rate=e["rate"]) for e in entries],
                ignore_conflicts=True,
            )  # fmt: skip
        lines += len(entries)
    return orders, lines


def _tell_managers(school, alerts) -> None:
    from apps.notifications.services import notify

    names = ", ".join(sorted(f"{a.item.name} ({a.store.name})" for a in alerts))
    notify(
        recipients=list(store_managers(school)), kind=LOW_STOCK_KIND,
        title=_("Items to reorder"),
        body=_("These items are at or below their reorder level: %(items)s.") % {"items": names},
        data={"alerts": [str(a.pk) for a in alerts]},
        dedupe_key=f"{LOW_STOCK_KIND}:{min(str(a.pk) for a in alerts)}",
    )  # fmt: skip


def overdue_returns_notify(*, school=None) -> int:
    """Tell each overdue issue's borrower once, and the store managers once a day; returns how
    many issues were told about for the first time."""
    from apps.notifications.services import Message, notify_many

    from ..selectors import overdue_issues

    schools = [school] if school is not None else School.objects.all()
    told = 0
    for one in schools:
        today = school_today(one)
        issues = list(overdue_issues(StockMovement.objects.filter(school=one), today))
        if not issues:
            continue
        messages = [
            Message(
                borrower_users(issue), OVERDUE_KIND, _("Please return %(item)s") % {
                    "item": issue.item.name},
                _("%(quantity)s × %(item)s was due back on %(date)s.") % {
                    "quantity": issue.outstanding.normalize(), "item": issue.item.name,
                    "date": issue.due_date.isoformat()},
                data={"movement": str(issue.pk)}, dedupe_key=f"{OVERDUE_KIND}:{issue.pk}",
            )
            for issue in issues
        ]  # fmt: skip
        told += len({n.data["movement"] for n in notify_many(messages)})
        _digest(one, issues, today)
    return told


def _digest(school, issues, today) -> None:
    from apps.notifications.services import notify as send

    send(
        recipients=list(store_managers(school)), kind=OVERDUE_KIND,
        title=_("Overdue returns"),
        body=_("%(count)s issued items are overdue.") % {"count": len(issues)},
        data={"date": today.isoformat()}, dedupe_key=f"{OVERDUE_KIND}:digest:{today.isoformat()}",
    )  # fmt: skip
