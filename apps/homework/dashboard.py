"""Homework on the dashboards: the load per class this week (admins), work waiting to be graded
(teachers), each child's work due and missing and their recent grades (families)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef

from apps.accounts.models import Role
from apps.dashboard.registry import register

from . import scopes
from .models import AssignmentStatus, Grade, SubmissionStatus

AHEAD_DAYS = 7
SHOWN = 10
TURNED_IN = (SubmissionStatus.ON_TIME, SubmissionStatus.LATE)


@register(Role.ADMIN, "homework")
def load_per_class(ctx):
    """Published homework falling due in the next AHEAD_DAYS days, counted per class."""
    rows = (
        scopes.readable_assignments(ctx.user)
        .filter(
            status=AssignmentStatus.PUBLISHED,
            due_at__gte=ctx.now,
            due_at__lt=ctx.now + dt.timedelta(days=AHEAD_DAYS),
        )
        .values("sections__school_class_id", "sections__school_class__name")
        .annotate(assignments=Count("id", distinct=True))
        .order_by("sections__school_class__order", "sections__school_class__name")
    )
    return {
        "days": AHEAD_DAYS,
        "per_class": [
            {
                "school_class": str(r["sections__school_class_id"]),
                "name": r["sections__school_class__name"],
                "assignments": r["assignments"],
            }
            for r in rows
            if r["sections__school_class_id"] is not None
        ],  # fmt: skip
    }


@register(Role.TEACHER, "homework")
def to_grade(ctx):
    """Work turned in and not yet graded, per homework the teacher may grade."""
    graded = Grade.objects.filter(
        assignment_id=OuterRef("assignment_id"), student_id=OuterRef("student_id")
    )
    rows = (
        scopes.readable_submissions(ctx.user)
        .filter(status__in=TURNED_IN)
        .filter(~Exists(graded))
        .values("assignment_id", "assignment__title", "assignment__due_at")
        .annotate(waiting=Count("id"))
        .order_by("assignment__due_at")
    )
    rows = list(rows)
    return {
        "to_grade": sum(r["waiting"] for r in rows),
        "assignments": [
            {
                "assignment": str(r["assignment_id"]),
                "title": r["assignment__title"],
                "due_at": r["assignment__due_at"],
                "waiting": r["waiting"],
            }
            for r in rows[:SHOWN]
        ],  # fmt: skip
    }


@register([Role.PARENT, Role.STUDENT], "homework")
def family_work(ctx):
    """Per child: homework due in the next AHEAD_DAYS days not yet turned in, work marked
    missing, and the latest released grades (four queries)."""
    sections_of = {c["section_id"]: [] for c in ctx.children}
    for c in ctx.children:
        sections_of[c["section_id"]].append(c["id"])
    due_rows = list(
        scopes.readable_assignments(ctx.user)
        .filter(
            status=AssignmentStatus.PUBLISHED,
            due_at__gte=ctx.now,
            due_at__lt=ctx.now + dt.timedelta(days=AHEAD_DAYS),
            sections__in=list(ctx.child_section_ids),
        )
        .values("pk", "title", "due_at", "subject__name", "sections")
        .order_by("due_at")
    )
    turned_in = set(
        (str(a), str(s))
        for a, s in scopes.readable_submissions(ctx.user)
        .filter(assignment_id__in={r["pk"] for r in due_rows}, status__in=TURNED_IN)
        .values_list("assignment_id", "student_id")
    )
    missing = {
        str(r["student_id"]): r["n"]
        for r in scopes.readable_submissions(ctx.user)
        .filter(status=SubmissionStatus.MISSING)
        .values("student_id")
        .annotate(n=Count("id"))
        .order_by()
    }
    grades = list(
        scopes.readable_grades(ctx.user)
        .filter(released_at__isnull=False)
        .order_by("-released_at")
        .values("student_id", "assignment__title", "final_marks", "assignment__max_marks",
                "released_at")[: SHOWN * max(1, len(ctx.children))]
    )  # fmt: skip
    children = []
    for c in ctx.children:
        due = [
            {"assignment": str(r["pk"]), "title": r["title"], "subject": r["subject__name"],
             "due_at": r["due_at"]}
            for r in due_rows
            if str(r["sections"]) == c["section_id"] and (str(r["pk"]), c["id"]) not in turned_in
        ]  # fmt: skip
        children.append(
            {
                "student": c["id"],
                "name": c["name"],
                "due": due,
                "missing": missing.get(c["id"], 0),
                "recent_grades": [
                    {
                        "title": g["assignment__title"],
                        "marks": g["final_marks"],
                        "max_marks": g["assignment__max_marks"],
                        "released_at": g["released_at"],
                    }
                    for g in grades
                    if str(g["student_id"]) == c["id"]
                ][:SHOWN],  # fmt: skip
            }
        )
    return {"children": children}
