"""Quizzes on the dashboards: open quizzes and results still to release (teachers), open quizzes
and released results per child (families)."""

from __future__ import annotations

from django.db.models import Q

from apps.accounts.models import Role
from apps.core.access import scope_queryset
from apps.dashboard.registry import register

from .models import Attempt, AttemptStatus, Quiz, QuizStatus, ReleasePolicy

SHOWN = 10


def _open(ctx):
    return (
        scope_queryset(Quiz.objects.all(), ctx.user)
        .filter(status=QuizStatus.PUBLISHED, opens_at__lte=ctx.now, closes_at__gt=ctx.now)
        .select_related("subject")
        .order_by("closes_at")
    )


def _quiz(q) -> dict:
    return {"quiz": str(q.pk), "title": q.title, "subject": q.subject.name if q.subject_id else "",
            "opens_at": q.opens_at, "closes_at": q.closes_at}  # fmt: skip


@register(Role.TEACHER, "quizzes")
def teacher_quizzes(ctx):
    """Quizzes open now, and those of the teacher's own that closed with results held back."""
    to_release = (
        scope_queryset(Quiz.objects.all(), ctx.user)
        .filter(created_by_id=ctx.user.pk, results_released=False,
                release_policy=ReleasePolicy.MANUAL)
        .filter(Q(status=QuizStatus.CLOSED) | Q(status=QuizStatus.PUBLISHED, closes_at__lte=ctx.now))
        .select_related("subject")
        .order_by("closes_at")
    )  # fmt: skip
    return {
        "open": [_quiz(q) for q in _open(ctx)[:SHOWN]],
        "results_to_release": [_quiz(q) for q in to_release[:SHOWN]],
    }


@register([Role.PARENT, Role.STUDENT], "quizzes")
def family_quizzes(ctx):
    """Quizzes open now for the children's sections, and each child's latest results the
    quiz's policy lets families see."""
    attempts = (
        scope_queryset(Attempt.objects.all(), ctx.user)
        .filter(status=AttemptStatus.SUBMITTED)
        .select_related("quiz")
        .order_by("-submitted_at")[: SHOWN * max(1, len(ctx.children))]
    )
    results: dict[str, list] = {}
    for a in attempts:
        if not a.quiz.results_visible(now=ctx.now):
            continue
        score = a.score_override if a.score_override is not None else a.score
        results.setdefault(str(a.student_id), []).append(
            {"quiz": str(a.quiz_id), "title": a.quiz.title, "score": score,
             "max_score": a.max_score, "submitted_at": a.submitted_at}
        )  # fmt: skip
    return {
        "open": [_quiz(q) for q in _open(ctx)[:SHOWN]],
        "children": [
            {
                "student": c["id"],
                "name": c["name"],
                "recent_results": results.get(c["id"], [])[:SHOWN],
            }
            for c in ctx.children
        ],
    }
