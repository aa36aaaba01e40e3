"""The daily round: work nobody turned in by the cut-off is marked missing, and each family
gets one digest (not one message per homework) of missing and due-tomorrow work.

Rules:
- a student is missing once their own cut-off (extension included; without a cut-off, their
  due date) has passed with nothing turned in, returned or excused; a late hand-in before a
  later cut-off still turns a missing status into late;
- one digest per parent (and per student) per day, deduplicated by the date, so the beat job
  may run hourly.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from apps.academics.models import Enrollment
from apps.accounts.models import Guardian

from ..models import TURNED_IN, Assignment, AssignmentStatus, Submission, SubmissionStatus
from .assignments import effective_dates

LOOKBACK = dt.timedelta(days=14)  # homework whose cut-off passed longer ago is settled


@transaction.atomic
def missing_mark(*, now: dt.datetime | None = None) -> int:
    """Mark missing work (module docstring); returns how many submissions became missing."""
    now = now or timezone.now()
    settled = (*TURNED_IN, SubmissionStatus.RETURNED, SubmissionStatus.EXCUSED,
               SubmissionStatus.MISSING)  # fmt: skip
    assignments = (
        Assignment.objects.filter(
            status=AssignmentStatus.PUBLISHED, due_at__gte=now - LOOKBACK, due_at__lte=now
        )  # fmt: skip
        .exclude(submission_type="none")
        .prefetch_related("extensions", "sections")
    )
    created = 0
    for assignment in assignments:
        extensions = {e.student_id: e for e in assignment.extensions.all()}
        subs = {s.student_id: s for s in assignment.submissions.all()}
        missing = []
        for enrollment in Enrollment.objects.filter(
            year__is_current=True, section__in=assignment.sections.all()
        ).only("student_id", "section_id"):
            due, cutoff = effective_dates(assignment, extensions.get(enrollment.student_id))
            if (cutoff or due) > now:
                continue
            submission = subs.get(enrollment.student_id)
            if submission is not None and submission.status in settled:
                continue
            if submission is None:
                submission = Submission(
                    school_id=assignment.school_id, assignment=assignment,
                    student_id=enrollment.student_id, section_id=enrollment.section_id,
                )  # fmt: skip
            submission.status = SubmissionStatus.MISSING
            missing.append(submission)
        if missing:
            Submission.objects.bulk_create(
                missing, update_conflicts=True, unique_fields=["assignment", "student"],
                update_fields=["status", "updated_at"],
            )  # fmt: skip
            created += len(missing)
    return created


def families_digest_send(*, now: dt.datetime | None = None) -> int:
    """Send today's digest to every family with missing or due-tomorrow work; returns how many
    notifications were created."""
    from apps.notifications.kinds import HOMEWORK_DIGEST
    from apps.notifications.services import Message, notify_many

    now = now or timezone.now()
    today = timezone.localdate(now)
    tomorrow = today + dt.timedelta(days=1)
    missing = Submission.objects.filter(
        status=SubmissionStatus.MISSING, assignment__due_at__gte=now - LOOKBACK
    ).select_related("assignment__subject")
    items: dict = {}  # student id -> lines
    for submission in missing:
        a = submission.assignment
        items.setdefault(submission.student_id, []).append(f"✗ {a.subject.name}: {a.title}")
    due_soon = (
        Assignment.objects.filter(
            status=AssignmentStatus.PUBLISHED,
            due_at__date=tomorrow,
        )
        .prefetch_related("sections")
        .select_related("subject")
    )
    for a in due_soon:
        done = set(
            a.submissions.filter(
                Q(status__in=TURNED_IN) | Q(status=SubmissionStatus.EXCUSED)
            ).values_list("student_id", flat=True)
        )
        for e in Enrollment.objects.filter(year__is_current=True,
                                           section__in=a.sections.all()).only("student_id"):  # fmt: skip
            if e.student_id not in done:
                items.setdefault(e.student_id, []).append(f"→ {a.subject.name}: {a.title}")
    if not items:
        return 0
    from apps.accounts.models import StudentProfile

    students = StudentProfile.objects.filter(pk__in=items).select_related("user")
    by_recipient: dict = {}
    for student in students:
        lines = [f"{student.user.full_name}: {line}" for line in items[student.pk]]
        by_recipient.setdefault(student.user, []).extend(lines)
    for link in Guardian.objects.filter(student_id__in=items).select_related(
        "parent", "student__user"
    ):
        lines = [f"{link.student.user.full_name}: {line}" for line in items[link.student_id]]
        by_recipient.setdefault(link.parent, []).extend(lines)
    messages = [
        Message(
            recipients=[user],
            kind=HOMEWORK_DIGEST,
            title=gettext_lazy("Homework: missing and due tomorrow"),
            body="\n".join(lines),
            data={"date": today.isoformat()},
            dedupe_key=f"homework.digest:{today.isoformat()}",
        )
        for user, lines in by_recipient.items()
    ]
    return len(notify_many(messages))
