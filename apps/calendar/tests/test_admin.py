"""The calendar staff screens: scoped rows, writes through the services, no N+1."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.calendar.models import CalendarEvent, CalendarFeedToken, ExamScheduleEntry
from apps.core.models import AuditLog

from .factories import CalendarEventFactory, CalendarFeedTokenFactory, ExamScheduleEntryFactory

MODELS = ["calendarevent", "examscheduleentry", "calendarfeedtoken"]


def url(name: str, *args) -> str:
    return reverse(f"admin:school_calendar_{name}", args=args)


def objects_of(school_year, cast):
    return {
        "calendarevent": CalendarEventFactory(
            school=cast.school, audience="section", section=school_year.sec_a, title="5-A fair"
        ),
        "examscheduleentry": ExamScheduleEntryFactory(
            section=school_year.sec_a, subject=school_year.maths
        ),
        "calendarfeedtoken": CalendarFeedTokenFactory(user=cast.parent, label="Pat's phone"),
    }


@pytest.mark.parametrize("who", ["admin", "root"])
@pytest.mark.parametrize("model", MODELS)
def test_every_screen_renders(client, school_year, cast, root, who, model):
    client.force_login(root if who == "root" else cast.admin)
    obj = objects_of(school_year, cast)[model]
    assert client.get(url(f"{model}_changelist")).status_code == 200
    assert client.get(url(f"{model}_change", obj.pk)).status_code == 200
    add = client.get(url(f"{model}_add")).status_code
    assert add == (403 if model == "calendarfeedtoken" else 200)


def test_school_admin_sees_only_own_school(client, school_year, cast):
    objects_of(school_year, cast)
    CalendarEventFactory(school=cast.school2, title="Bob day")
    client.force_login(cast.admin2)
    page = client.get(url("calendarevent_changelist")).content.decode()
    assert "Bob day" in page and "5-A fair" not in page
    event = CalendarEvent.objects.get(title="5-A fair")
    assert client.get(url("calendarevent_change", event.pk)).status_code == 302
    response = client.get(url("calendarfeedtoken_changelist"))
    assert response.status_code == 200 and response.context["cl"].result_count == 0
    page = response.content.decode()
    assert "Pat&#x27;s phone" not in page and "Pat's phone" not in page


def test_event_added_in_the_admin_goes_through_the_service(client, school_year, cast):
    client.force_login(cast.admin)
    response = client.post(
        url("calendarevent_add"),
        {
            "title": "Class 5 picnic",
            "description": "",
            "kind": "event",
            "start_date": "2026-12-01",
            "end_date": "2026-12-01",
            "all_day": "on",
            "audience": "class",
            "school_class": school_year.klass.pk,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = CalendarEvent.objects.get(title="Class 5 picnic")
    assert event.school == cast.school and event.academic_year == school_year.year
    assert AuditLog.objects.filter(action="calendar_event.create", object_id=str(event.pk)).exists()


def test_exam_clash_is_refused_in_the_admin(client, school_year, cast):
    ExamScheduleEntryFactory(section=school_year.sec_a, subject=school_year.maths)
    client.force_login(cast.admin)
    response = client.post(
        url("examscheduleentry_add"),
        {
            "exam_name": "Term 1 exams",
            "section": school_year.sec_a.pk,
            "subject": school_year.science.pk,
            "date": "2026-09-14",
            "start_time": "10:00",
            "end_time": "11:00",
            "room": "",
        },
    )
    assert response.status_code == 302
    assert ExamScheduleEntry.objects.count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "5-A already has Mathematics (Term 1 exams) on 14 Sep 2026 09:00-12:00." in page


def test_admin_revokes_a_lost_phones_token(client, school_year, cast):
    token = CalendarFeedTokenFactory(user=cast.parent)
    client.force_login(cast.admin)
    response = client.post(
        url("calendarfeedtoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    log = AuditLog.objects.get(action="calendar_feed_token.revoke")
    assert log.actor == cast.admin


def test_accountant_reads_the_calendar_but_cannot_write(client, school_year, cast):
    client.force_login(cast.accountant.user)
    assert client.get(url("calendarevent_changelist")).status_code == 200
    assert client.get(url("examscheduleentry_changelist")).status_code == 200
    assert client.get(url("calendarevent_add")).status_code == 403
    assert client.get(url("calendarfeedtoken_changelist")).status_code == 403


@pytest.mark.parametrize("model", MODELS)
def test_changelist_query_count_does_not_grow_with_rows(
    client, school_year, cast, django_assert_max_num_queries, model
):
    client.force_login(cast.admin)
    objects_of(school_year, cast)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(f"{model}_changelist")).status_code == 200
    for index in range(15):
        day = dt.date(2026, 10, 1 + index)
        CalendarEventFactory(
            school=cast.school, audience="section", section=school_year.sec_b, start_date=day
        )
        ExamScheduleEntryFactory(section=school_year.sec_b, date=day)
        CalendarFeedTokenFactory(user=cast.student.user)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url(f"{model}_changelist")).status_code == 200
    assert CalendarFeedToken.objects.count() == 16
