"""Attendance on the dashboards: the school's day for admins, registers still to mark and the
trend for teachers, each child's month for parents and students. Pending marks (the write
buffer) count everywhere, as in the registers."""

from __future__ import annotations

from collections import Counter

from apps.academics.models import Enrollment
from apps.academics.selectors import taught_section_ids
from apps.accounts.models import Role
from apps.dashboard.registry import register
from apps.dashboard.selectors import attendance_trend, current_section_ids

from . import selectors
from .models import Status

ABSENTEES_SHOWN = 20


def _section_names(sections) -> list[dict]:
    return [{"id": str(s.pk), "name": s.display_name} for s in sections]


def _day(ctx, section_ids: list[str]) -> dict:
    counts = selectors.daily_counts_by_student(ctx.school.pk, section_ids, ctx.today, ctx.today)
    totals: Counter = Counter()
    for by_status in counts.values():
        totals.update(by_status)
    by_status = {s: totals.get(s, 0) for s in Status.values}
    absent = sorted(s for s, c in counts.items() if c.get(Status.ABSENT))
    return {"counts": by_status, "percentage": selectors.percentage(by_status), "absent": absent}


@register(Role.ADMIN, "attendance")
def school_day(ctx):
    """Today's registers across the school: sections marked and not, present %, absentees."""
    sections = current_section_ids(ctx.school.pk)
    waiting = selectors.not_taken(ctx.school, ctx.today)
    day = _day(ctx, sections)
    shown = day["absent"][:ABSENTEES_SHOWN]
    names = {
        str(row["student_id"]): row
        for row in Enrollment.objects.filter(
            student_id__in=shown, year__is_current=True, school_id=ctx.school.pk
        ).values("student_id", "student__user__full_name", "roll_number", "section_id")
    }
    absentees = [
        {
            "student": pk,
            "name": names[pk]["student__user__full_name"] if pk in names else "",
            "roll_number": names[pk]["roll_number"] if pk in names else None,
            "section": str(names[pk]["section_id"]) if pk in names else None,
        }
        for pk in shown
    ]
    out = {
        "date": ctx.today,
        "sections": len(sections),
        "sections_marked": len(sections) - len(waiting),
        "sections_not_marked": _section_names(waiting),
        "counts": day["counts"],
        "present_percentage": day["percentage"],
        "absent_count": len(day["absent"]),
        "absentees": absentees,
    }
    if waiting:
        out["alerts"] = [
            {"kind": "attendance_not_marked", "count": len(waiting)},
        ]
    return out


@register(Role.TEACHER, "attendance")
def teacher_registers(ctx):
    """The teacher's sections: registers still to mark today, today's figures, the trend."""
    taught = taught_section_ids(ctx.user)
    sections = current_section_ids(ctx.school.pk, taught)
    waiting = selectors.not_taken(ctx.school, ctx.today, taught)
    day = _day(ctx, sections)
    return {
        "date": ctx.today,
        "sections": len(sections),
        "to_mark": _section_names(waiting),
        "counts": day["counts"],
        "present_percentage": day["percentage"],
        "trend": attendance_trend(ctx.school, ctx.today, section_ids=taught),
    }


@register([Role.PARENT, Role.STUDENT], "attendance")
def family_month(ctx):
    """Each child's daily marks this month (pending ones included) and today's mark."""
    if not ctx.children:
        return {"children": []}
    start = ctx.today.replace(day=1)
    counts = selectors.daily_counts_by_student(
        ctx.school.pk, ctx.child_section_ids, start, ctx.today
    )
    today = selectors.absent_students(
        ctx.school.pk, ctx.child_ids, ctx.child_section_ids, ctx.today
    )
    children = []
    for child in ctx.children:
        by_status = {s: counts.get(child["id"], {}).get(s, 0) for s in Status.values}
        children.append(
            {
                "student": child["id"],
                "name": child["name"],
                "month": start.strftime("%Y-%m"),
                "days_marked": sum(by_status.values()),
                "counts": by_status,
                "percentage": selectors.percentage(by_status),
                "absent_today": child["id"] in today,
            }
        )
    return {"children": children}
