"""The timetable on the dashboards: a teacher's periods today, each child's section's periods."""

from __future__ import annotations

from apps.accounts.models import Role
from apps.dashboard.registry import register

from . import selectors


def _periods(qs) -> list[dict]:
    return [
        {
            "period": e.period,
            "start_time": e.start_time,
            "end_time": e.end_time,
            "subject": e.subject.name,
            "section": str(e.section_id),
            "section_name": e.section.display_name,
            "teacher": e.teacher.user.full_name,
        }
        for e in qs
    ]


@register(Role.TEACHER, "timetable")
def teacher_today(ctx):
    qs = selectors.my_timetable(selectors.timetable_queryset(), ctx.user).filter(
        weekday=ctx.today.weekday()
    )
    return {"date": ctx.today, "periods": _periods(qs.order_by("period"))}


@register([Role.PARENT, Role.STUDENT], "children")
def children(ctx):
    return [
        {"student": c["id"], "name": c["name"], "section": c["section_id"],
         "section_name": c["section"]}
        for c in ctx.children
    ]  # fmt: skip


@register([Role.PARENT, Role.STUDENT], "timetable")
def family_today(ctx):
    qs = selectors.my_timetable(selectors.timetable_queryset(), ctx.user).filter(
        weekday=ctx.today.weekday()
    )
    return {"date": ctx.today, "periods": _periods(qs.order_by("section_id", "period"))}
