"""The principal's dashboard on the admin index: KPI figures and the chart series, computed
(through the dashboards' cache) only when the index template asks for them, and only for
school admins; everyone else's admin index is the stock one."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from apps.accounts.models import Role


def _school_dashboard(request):
    from .payload import dashboard

    body = dashboard(request.user)
    sections = body["sections"]
    charts = sections.get("charts") or {}
    return {
        "date": body["date"],
        "cached_at": body["cached_at"],
        "attendance": sections.get("attendance"),
        "fees": sections.get("fees"),
        "stock": sections.get("stock"),
        "transport": sections.get("transport"),
        "results": sections.get("results"),
        "alerts": sections.get("alerts", []),
        "charts": {
            "attendance": [
                {"date": p["date"].isoformat(), "percentage": p["percentage"]}
                for p in charts.get("attendance_trend") or []
            ],
            "fees": [
                {"date": p["date"].isoformat(), "amount": float(p["amount"])}
                for p in (charts.get("fee_collection") or {}).get("by_day", [])
            ],
            "performance": charts.get("performance") or [],
        },
    }


def admin_dashboard(request) -> dict:
    match = getattr(request, "resolver_match", None)
    user = getattr(request, "user", None)
    if (
        match is None
        or match.view_name != "admin:index"
        or user is None
        or not user.is_authenticated
        or user.role != Role.ADMIN
        or user.school_id is None
    ):
        return {}
    return {"school_dashboard": SimpleLazyObject(lambda: _school_dashboard(request))}
