"""Absence alerts are raised in one batch: a register costs the same queries whether one student
is absent or every one, and its alerts are built after the commit as one event that queues one
message."""

from __future__ import annotations

from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.academics.tests.factories import EnrollmentFactory
from apps.accounts.models import Role
from apps.accounts.tests.factories import GuardianFactory, StudentFactory, UserFactory
from apps.notifications.models import Notification

MARK = "/api/v1/attendance/mark/"


def _mark(client, section, date, entries):
    return client.post(
        MARK,
        {"section": str(section.pk), "date": date.isoformat(), "entries": entries},
        format="json",
    )


def test_many_absentees_cost_the_queries_of_one(
    cast, school_year, att, api, django_capture_on_commit_callbacks, monkeypatch
):
    pupils = [cast.student, cast.other_student]
    for n in range(4):
        pupil = StudentFactory(school=cast.school, user__email=f"kid{n}@alice.test")
        EnrollmentFactory(section=school_year.sec_a, student=pupil, roll_number=10 + n)
        parent = UserFactory(school=cast.school, role=Role.PARENT, email=f"mum{n}@alice.test")
        GuardianFactory(student=pupil, parent=parent, relation="mother")
        pupils.append(pupil)
    queued = []
    from apps.notifications import tasks

    real_delay = tasks.send_notification_emails.delay
    monkeypatch.setattr(
        tasks.send_notification_emails,
        "delay",
        lambda ids: (queued.append(list(ids)), real_delay(ids))[1],
    )
    client = api(cast.teacher.user)
    client.get("/api/v1/me/")  # the signed-in teacher is cached from here on, for both counts

    one_absent = [{"student": str(p.pk), "status": "present"} for p in pupils]
    one_absent[0]["status"] = "absent"
    all_absent = [{"student": str(p.pk), "status": "absent"} for p in pupils]
    counts = []
    for date, entries in ((att.old_day, one_absent), (att.day, all_absent)):
        # The request's own queries; the e-mails (eager here) are sent after, outside the count.
        with django_capture_on_commit_callbacks() as callbacks:
            with CaptureQueriesContext(connection) as queries:
                assert _mark(client, school_year.sec_a, date, entries).status_code == 200
        counts.append(len(queries))
        for callback in callbacks:  # the alerts' event, built and sent after the commit
            with django_capture_on_commit_callbacks(execute=True):
                callback()

    assert counts[0] == counts[1]
    # Sam's two guardians on the first day; on the second every pupil's guardians (Oscar has none)
    assert Notification.objects.filter(data__date=att.old_day.isoformat()).count() == 2
    assert Notification.objects.filter(data__date=att.day.isoformat()).count() == 2 + 4
    assert [len(batch) for batch in queued] == [2, 6]  # one message per register
    assert len(mail.outbox) == 8
