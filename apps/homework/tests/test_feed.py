"""Homework due dates in the calendar feed: students and parents, their own sections only,
the student's extended due date when they have one; the beat schedules are installed."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.calendar import feed
from apps.homework.models import Extension

pytestmark = pytest.mark.django_db


def test_due_dates_in_the_family_feeds(cast, school_year, homework):
    extended = homework.due_at + dt.timedelta(days=3)
    Extension.objects.create(school=cast.school, assignment=homework, student=cast.student,
                             due_at=extended, reason="ill")  # fmt: skip
    for user in (cast.student.user, cast.parent):
        text = feed.feed_for(user)
        assert f"UID:homework-{homework.pk}" in text
        assert "Homework due: Mathematics" in text
    assert extended.strftime("%Y%m%d") in feed.feed_for(cast.student.user).split(
        f"homework-{homework.pk}")[1]  # fmt: skip
    assert f"homework-{homework.pk}" not in feed.feed_for(cast.sibling.user)
    assert f"homework-{homework.pk}" not in feed.feed_for(cast.teacher.user)


def test_beat_schedules_are_installed():
    from django_celery_beat.models import PeriodicTask

    tasks = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {"apps.homework.tasks.publish_scheduled", "apps.homework.tasks.daily_round"} <= tasks
