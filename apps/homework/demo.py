"""The demo school's homework (called by `seed_demo`, after academics): three past weeks and
the coming week of homework for 5-A (the demo student's section) in every subject taught
there, set by the subject's teacher. Past work was handed in by most students (some late, a
few missing); the two older weeks are graded and released, last week's grades are drafts.
Idempotent: seeded only into a school without homework. Bulk inserts keep it quick.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from apps.academics.models import Enrollment, Section, TeachingAssignment

from .models import Assignment, AssignmentStatus, Grade, Submission, SubmissionStatus

WEEKS = (-3, -2, -1, 0)  # weeks from this one


def seed_homework(*, report, school, rng: random.Random) -> None:
    if Assignment.objects.filter(school=school).exists():
        return
    section = (
        Section.objects.filter(
            school=school, year__is_current=True, school_class__order=5, name="A"
        )  # fmt: skip
        .select_related("school_class")
        .first()
    )
    if section is None:
        return
    teaching = list(
        TeachingAssignment.objects.filter(section=section).select_related("subject", "teacher")
    )
    students = list(Enrollment.objects.filter(section=section).values_list("student_id", flat=True))
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    homework, links = [], []
    for week in WEEKS:
        for index, ta in enumerate(teaching):
            due = now + dt.timedelta(weeks=week, days=index % 5 + 1)
            homework.append(
                Assignment(
                    school=school,
                    subject=ta.subject,
                    created_by_id=ta.teacher.user_id,
                    title=f"{ta.subject.name}: worksheet {week + 4}",
                    instructions=f"Complete worksheet {week + 4} of {ta.subject.name}.",
                    assigned_on=(due - dt.timedelta(days=3)).date(),
                    due_at=due,
                    cutoff_at=due + dt.timedelta(days=2),
                    max_marks=Decimal("10"),
                    late_policy="penalty",
                    penalty_percent_per_day=Decimal("10"),
                    penalty_cap_percent=Decimal("30"),
                    status=AssignmentStatus.PUBLISHED,
                    published_at=due - dt.timedelta(days=3),
                )  # fmt: skip
            )
    Assignment.objects.bulk_create(homework)
    for a in homework:
        links.append(Assignment.sections.through(assignment_id=a.pk, section_id=section.pk))
    Assignment.sections.through.objects.bulk_create(links)
    submissions, grades = [], []
    for position, a in enumerate(homework):
        if a.due_at > now:
            continue
        released = a.due_at < now - dt.timedelta(days=7)
        for index, student_id in enumerate(students):
            roll = (position + index) % 10  # one in ten missing, one in ten late
            if roll == 0:
                status, days, turned = SubmissionStatus.MISSING, 0, None
            elif roll == 1:
                days = rng.randint(1, 2)
                status, turned = SubmissionStatus.LATE, a.due_at + dt.timedelta(days=days, hours=-1)
            else:
                status, days, turned = SubmissionStatus.ON_TIME, 0, a.due_at - dt.timedelta(hours=5)
            submissions.append(Submission(
                school=school, assignment=a, student_id=student_id, section=section,
                status=status, text="My answers are in my notebook." if turned else "",
                turned_in_at=turned, days_late=days, version=1 if turned else 0,
            ))  # fmt: skip
            marks = Decimal(rng.randint(4, 10)) if turned else Decimal("0")
            penalty = min(Decimal(10 * days), Decimal(30))
            grades.append(Grade(
                school=school, assignment=a, student_id=student_id, marks=marks,
                penalty_percent=penalty, final_marks=(marks * (100 - penalty) / 100).quantize(
                    Decimal("0.01")), comment="Well done." if marks >= 8 else "",
                released_at=a.due_at + dt.timedelta(days=4) if released else None,
            ))  # fmt: skip
    Submission.objects.bulk_create(submissions, batch_size=1000)
    Grade.objects.bulk_create(grades, batch_size=1000)
    report.created["homework"] = report.created.get("homework", 0) + len(homework)
    report.created["homework submissions"] = len(submissions)
