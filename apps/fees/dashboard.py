"""Fees on the dashboards: the fee office's collection against what fell due this month and the
top defaulters (school admins, staff with the Accountant duty), each child's dues for families."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.db.models import Sum

from apps.accounts.models import Role
from apps.dashboard.registry import register

from . import scopes, selectors
from .models import ZERO, InvoiceStatus, Payment

TOP_DEFAULTERS = 5


def _received(school_id, since: dt.datetime, until: dt.datetime | None = None) -> Decimal:
    qs = Payment.objects.filter(school_id=school_id, received_at__gte=since)
    if until is not None:
        qs = qs.filter(received_at__lt=until)
    return qs.aggregate(total=Sum("amount"))["total"] or ZERO


@register([Role.ADMIN, Role.STAFF], "fees")
def collection(ctx):
    """Collected today and this month; this month's target is what the school's invoices ask
    for by a due date in the month (issued, part-paid or paid; not drafts or cancelled)."""
    if not scopes.manages_fees(ctx.user):
        return None
    tz = zoneinfo.ZoneInfo(ctx.school.timezone)
    day_start = dt.datetime.combine(ctx.today, dt.time(), tzinfo=tz)
    month_start = ctx.today.replace(day=1)
    next_month = (month_start + dt.timedelta(days=32)).replace(day=1)
    month = _received(ctx.school.pk, dt.datetime.combine(month_start, dt.time(), tzinfo=tz))
    today = _received(ctx.school.pk, day_start)
    target = (
        scopes.readable_invoices(ctx.user)
        .filter(due_date__gte=month_start, due_date__lt=next_month)
        .exclude(status__in=[InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED])
        .aggregate(total=Sum("total"))["total"]
        or ZERO
    )
    owed = selectors.defaulters(school_id=ctx.school.pk, today=ctx.today)
    top = sorted(owed["rows"], key=lambda r: r["total"], reverse=True)[:TOP_DEFAULTERS]
    return {
        "collected_today": today,
        "collected_this_month": month,
        "target_this_month": target,
        "target_percentage": round(float(100 * month / target), 2) if target else None,
        "overdue_total": owed["totals"]["total"],
        "defaulters": len(owed["rows"]),
        "top_defaulters": [
            {
                "student": r["student"],
                "name": r["name"],
                "school_class": r["school_class"],
                "section": r["section"],
                "total": r["total"],
            }
            for r in top
        ],  # fmt: skip
    }


@register([Role.PARENT, Role.STUDENT], "fees")
def family_dues(ctx):
    """What each child owes (open invoices), the earliest due date and the family's total."""
    dues = selectors.family_dues(scopes.family_student_ids(ctx.user))
    return {
        "total_due": dues["total_due"],
        "advance": dues["advance"],
        "children": [
            {
                "student": str(c["student"]),
                "name": c["name"],
                "due": c["due"],
                "next_due_date": min((i["due_date"] for i in c["invoices"]), default=None),
                "open_invoices": len(c["invoices"]),
            }
            for c in dues["children"]
        ],
    }
