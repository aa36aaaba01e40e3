"""Exam results on the dashboards: the published results of the year (admins), each child's
latest published results (families)."""

from __future__ import annotations

from django.db.models import Avg, Count, Q

from apps.accounts.models import Role
from apps.dashboard.registry import register

from . import scopes
from .models import RunStatus

SHOWN = 5


@register(Role.ADMIN, "results")
def school_results(ctx):
    """Result runs of the current year: computed and waiting to be published, published, and
    the published results' pass count and average."""
    qs = scopes.readable_results(ctx.user).filter(run__plan_term__plan__year__is_current=True)
    published = qs.filter(run__status=RunStatus.PUBLISHED).aggregate(
        students=Count("id"), passed=Count("id", filter=Q(passed=True)), average=Avg("percent")
    )
    from .models import ResultRun

    runs = (
        ResultRun.objects.filter(school_id=ctx.school.pk, plan_term__plan__year__is_current=True)
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_status = {r["status"]: r["n"] for r in runs}
    out = {
        "runs_published": by_status.get(RunStatus.PUBLISHED, 0),
        "runs_to_publish": by_status.get(RunStatus.COMPUTED, 0),
        "results_published": published["students"],
        "passed": published["passed"],
        "average_percent": round(float(published["average"]), 2)
        if published["average"] is not None
        else None,
    }
    if out["runs_to_publish"]:
        out["alerts"] = [{"kind": "results_to_publish", "count": out["runs_to_publish"]}]
    return out


@register([Role.PARENT, Role.STUDENT], "results")
def family_results(ctx):
    """Each child's latest published term results (what the family may read)."""
    rows = (
        scopes.readable_results(ctx.user)
        .filter(run__status=RunStatus.PUBLISHED, run__visible_from__lte=ctx.now)
        .order_by("-run__published_at")
        .values("student_id", "run__plan_term__term__name", "percent", "grade", "passed",
                "run__published_at")[: SHOWN * max(1, len(ctx.children))]
    )  # fmt: skip
    by_child: dict[str, list] = {}
    for r in rows:
        by_child.setdefault(str(r["student_id"]), []).append(
            {"term": r["run__plan_term__term__name"], "percent": r["percent"], "grade": r["grade"],
             "passed": r["passed"], "published_at": r["run__published_at"]}
        )  # fmt: skip
    return {
        "children": [
            {"student": c["id"], "name": c["name"], "recent": by_child.get(c["id"], [])[:SHOWN]}
            for c in ctx.children
        ]
    }
