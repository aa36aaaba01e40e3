"""Reads that are reused: querysets with their joins done, so callers cannot cause N+1."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from apps.academics.models import Section

from .models import Assignment, Submission, SubmissionStatus


def submission_counts() -> dict:
    """Annotations: work turned in, late and missing (for teachers' lists and the admin)."""
    turned_in = [SubmissionStatus.ON_TIME, SubmissionStatus.LATE]
    return {
        "turned_in_count": Count(
            "submissions", filter=Q(submissions__status__in=turned_in), distinct=True
        ),
        "late_count": Count(
            "submissions", filter=Q(submissions__status=SubmissionStatus.LATE), distinct=True
        ),
        "missing_count": Count(
            "submissions", filter=Q(submissions__status=SubmissionStatus.MISSING), distinct=True
        ),
    }


def assignment_queryset(*, family=None) -> QuerySet[Assignment]:
    """Homework with its subject, sections, attachments and counts; for `family` (a student or
    a parent) also their own children's work on it (`family_work`), in one more query."""
    qs = (
        Assignment.objects.select_related("subject", "created_by")
        .prefetch_related(
            Prefetch("sections", queryset=Section.objects.select_related("school_class")),
            "attachments",
        )
        .annotate(**submission_counts())
    )
    if family is not None:
        from .scopes import own_student_ids

        work = Submission.objects.filter(student_id__in=own_student_ids(family)).only(
            "id", "assignment_id", "student_id", "status", "days_late", "turned_in_at"
        )
        qs = qs.prefetch_related(Prefetch("submissions", queryset=work, to_attr="family_work"))
    return qs


def submission_queryset() -> QuerySet[Submission]:
    return Submission.objects.select_related(
        "student__user", "section__school_class", "assignment"
    ).prefetch_related("files", "versions")
