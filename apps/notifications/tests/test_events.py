"""Domain events through the one-line hook: each trigger tells the right people once, on the
kind's channels, and a repeated trigger tells nobody twice."""

from __future__ import annotations

import datetime as dt
import logging
import re
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from apps.notifications import registry
from apps.notifications.models import Delivery, Notification, QuietHours
from apps.notifications.tasks import raise_event

pytestmark = pytest.mark.django_db

# 23:30 in Kolkata: inside the school's quiet hours below.
LATE = dt.datetime(2026, 3, 2, 18, 0, tzinfo=dt.UTC)


def rows(kind: str) -> dict:
    """(recipient, channel) -> [statuses] of the kind's deliveries."""
    found: dict = {}
    for d in Delivery.objects.filter(kind=kind):
        found.setdefault((d.recipient_id, d.channel), []).append(d.status)
    return found


def test_every_built_kind_is_registered_with_channels_and_a_builder():
    from django.utils.module_loading import import_string

    built = [e for e in registry.registered() if e.build]
    assert {e.kind for e in built} >= {
        "attendance.late", "quizzes.published", "quizzes.results_released", "fees.receipt",
        "calendar.event_changed", "calendar.event_cancelled", "accounts.password_changed",
        "accounts.password_reset",
    }  # fmt: skip
    for event in built:
        assert callable(import_string(event.build)) and "in_app" in event.channels


def test_password_change_is_a_critical_notice_that_passes_quiet_hours(
    cast, api, django_capture_on_commit_callbacks
):
    user = cast.teacher.user
    user.set_password("old-password-long-1")
    user.save()
    QuietHours.objects.create(school=cast.school, start=dt.time(21), end=dt.time(7))
    api(user).put(
        "/api/v1/notifications/preferences/",
        {"rules": [{"key": "transactional", "channel": "email", "enabled": False}],
         "quiet_hours": None},
        format="json",
    )  # fmt: skip
    with time_machine.travel(LATE, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            response = api(user).post(
                "/api/v1/auth/password/change/",
                {"old_password": "old-password-long-1", "new_password": "new-password-long-2"},
                format="json",
            )
        assert response.status_code == 200
    assert rows("accounts.password_changed") == {
        (user.pk, "in_app"): ["delivered"],
        (user.pk, "email"): ["delivered"],
    }
    (note,) = Notification.objects.filter(kind="accounts.password_changed")
    assert [m.subject for m in mail.outbox] == [f"[Alice Public School] {note.title}"]
    # The same trigger again (a retried task): nothing more.
    assert raise_event.delay(*_args_of(note)).get() == 0
    assert Delivery.objects.filter(kind="accounts.password_changed").count() == 2


def _args_of(note):
    return "accounts.password_changed", str(note.recipient_id), {"at": note.data["at"]}


def test_password_reset_goes_through_the_pipeline_and_never_stores_the_token(
    cast, api, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        response = api(None).post(
            "/api/v1/auth/password/reset/", {"email": "pat@alice.test"}, format="json"
        )
    assert response.status_code == 202
    (message,) = mail.outbox
    token = re.search(r"token ([\w-]+)", message.body).group(1)
    assert message.body.startswith("Hello Pat Parent,")
    (delivery,) = Delivery.objects.filter(kind="accounts.password_reset", channel="email")
    assert delivery.status == "delivered" and delivery.category == "critical"
    note = delivery.notification
    stored = f"{note.title} {note.body} {note.data} {delivery.payload} {delivery.history}"
    assert token not in stored and token not in caplog.text
    # A retried task for the same request sends nothing more; a new request is a new e-mail.
    request = note.dedupe_key.rsplit(":", 1)[1]
    args = ("accounts.password_reset", str(cast.parent.pk), {"language": "en", "request": request})
    assert raise_event.delay(*args).get() == 0
    assert len(mail.outbox) == 1


def test_quiz_published_and_results_tell_the_sections_families_once(
    cast, school_year, django_capture_on_commit_callbacks
):
    from apps.quizzes.tests.factories import AttemptFactory, QuizFactory

    quiz = QuizFactory(school=cast.school, subject=school_year.maths, sections=[school_year.sec_a])
    for _ in range(2):
        raise_event.delay("quizzes.published", str(quiz.pk), {}).get()
    # Sam and Oscar are in 5-A; Pat is Sam's parent. Sia (5-B) hears nothing.
    told = {r for r, _c in rows("quizzes.published")}
    assert told == {cast.student.user_id, cast.other_student.user_id, cast.parent.pk}
    assert Delivery.objects.filter(kind="quizzes.published").count() == 3  # in-app only
    assert raise_event.delay("quizzes.results_released", str(quiz.pk), {}).get() == 0  # not out
    AttemptFactory(quiz=quiz, student=cast.student)
    quiz.results_released = True
    quiz.save()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            raise_event.delay("quizzes.results_released", str(quiz.pk), {}).get()
    assert rows("quizzes.results_released") == {
        (cast.student.user_id, "in_app"): ["delivered"],
        (cast.student.user_id, "email"): ["delivered"],
        (cast.parent.pk, "in_app"): ["delivered"],
        (cast.parent.pk, "email"): ["delivered"],
    }


def test_calendar_changes_and_cancellations_reach_the_audience_once(
    cast, school_year, api, django_capture_on_commit_callbacks
):
    from apps.calendar.tests.factories import CalendarEventFactory

    event = CalendarEventFactory(school=cast.school, title="Sports day", audience="section",
                                 section=school_year.sec_b, academic_year=school_year.year)  # fmt: skip
    url = f"/api/v1/calendar-events/{event.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        moved = api(cast.admin).patch(url, {"start_date": "2026-10-22",
                                            "end_date": "2026-10-22"}, format="json")  # fmt: skip
    assert moved.status_code == 200, moved.content
    # 5-B: Sia and her parent Pat.
    assert rows("calendar.event_changed") == {
        (cast.sibling.user_id, "in_app"): ["delivered"],
        (cast.sibling.user_id, "email"): ["delivered"],
        (cast.parent.pk, "in_app"): ["delivered"],
        (cast.parent.pk, "email"): ["delivered"],
    }
    note = Notification.objects.get(kind="calendar.event_changed", recipient=cast.parent)
    assert note.body == "Sports day is now on 2026-10-22."
    with django_capture_on_commit_callbacks(execute=True):
        assert api(cast.admin).delete(url).status_code == 204
    params = {"school": str(cast.school.pk), "title": "Sports day", "date": "2026-10-22",
              "audience": "section", "section": str(school_year.sec_b.pk)}  # fmt: skip
    assert raise_event.delay("calendar.event_cancelled", str(event.pk), params).get() == 0
    assert len(rows("calendar.event_cancelled")) == 4
    assert (
        Notification.objects.get(kind="calendar.event_cancelled", recipient=cast.parent).title
        == "Cancelled: Sports day"
    )


def test_a_counter_payment_sends_the_receipt_once(
    cast, school_year, django_capture_on_commit_callbacks
):
    from apps.fees.services import payment_record_counter

    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_record_counter(
            school=cast.school, actor=cast.accountant.user, student=cast.student, mode="cash",
            amount=Decimal("1500.00"),
        )  # fmt: skip
    raise_event.delay("fees.receipt", str(payment.pk), {}).get()
    got = rows("fees.receipt")
    assert got[(cast.parent.pk, "email")] == ["delivered"]
    assert got[(cast.parent.pk, "sms")] == ["suppressed"]  # no phone on file
    assert got[(cast.student.user_id, "in_app")] == ["delivered"]
    assert Delivery.objects.filter(kind="fees.receipt").count() == 6
    note = Notification.objects.get(kind="fees.receipt", recipient=cast.parent)
    assert payment.receipt.number in note.body and "1,500.00" in note.title
