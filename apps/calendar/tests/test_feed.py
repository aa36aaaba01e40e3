"""Feed tokens and the iCalendar feed, read back with a small RFC 5545 parser written here."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.academics.tests.factories import SchoolClassFactory, SectionFactory
from apps.calendar import services
from apps.calendar.models import Audience, CalendarFeedToken
from apps.core.models import AuditLog

from .factories import CalendarEventFactory, CalendarFeedTokenFactory, ExamScheduleEntryFactory

TOKENS = "/api/v1/calendar-feed-tokens/"


# --- A small parser: unfold, split properties, unescape text --------------------------------------
def unfold(body: bytes) -> list[str]:
    text = body.decode("utf-8")
    assert text.endswith("\r\n")
    raw = text[:-2].split("\r\n")
    assert all("\n" not in line and "\r" not in line for line in raw), "bare LF or CR in feed"
    assert all(len(line.encode()) <= 75 for line in raw), "a line longer than 75 octets"
    lines: list[str] = []
    for line in raw:
        if line.startswith((" ", "\t")):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def unescape(value: str) -> str:
    out, chars = [], iter(value)
    for char in chars:
        if char == "\\":
            nxt = next(chars)
            out.append("\n" if nxt in "nN" else nxt)
        else:
            out.append(char)
    return "".join(out)


def parse(body: bytes) -> tuple[dict[str, str], list[dict[str, str]]]:
    """(calendar properties, [event properties]); names keep their parameters (DTSTART;VALUE=
    DATE), text values stay escaped (use `unescape`)."""
    calendar: dict[str, str] = {}
    events: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    lines = unfold(body)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    for line in lines[1:-1]:
        name, value = line.split(":", 1)
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None:
            current[name] = value
        else:
            calendar[name] = value
    return calendar, events


def summaries(events) -> set[str]:
    return {unescape(event["SUMMARY"]) for event in events}


def make_token(api, user) -> dict:
    response = api(user).post(TOKENS, {"label": "My phone"}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def fetch(client, body: dict):
    return client.get(body["feed_url"].replace("http://testserver", ""))


# --- Tokens ---------------------------------------------------------------------------------------
def test_token_is_shown_once_and_stored_hashed(cast, api):
    body = make_token(api, cast.parent)
    plain = body["token"]
    assert len(plain) >= 43  # 32 random bytes, URL-safe base64
    assert body == {
        "id": body["id"],
        "label": "My phone",
        "hint": plain[:6],
        "is_active": True,
        "created_at": body["created_at"],
        "last_used_at": None,
        "revoked_at": None,
        "token": plain,
        "feed_url": f"http://testserver/api/v1/calendar/feed/{plain}.ics",
        "webcal_url": f"webcal://testserver/api/v1/calendar/feed/{plain}.ics",
    }
    row = CalendarFeedToken.objects.get(pk=body["id"])
    assert row.user == cast.parent and row.school == cast.school
    assert row.token_hash == services.hash_token(plain) and plain not in row.token_hash
    listed = api(cast.parent).get(TOKENS).json()
    assert listed["count"] == 1
    assert "token" not in listed["results"][0] and "feed_url" not in listed["results"][0]
    assert plain not in str(api(cast.parent).get(f"{TOKENS}{row.pk}/").content)
    log = AuditLog.objects.get(action="calendar_feed_token.create")
    assert log.actor == cast.parent and plain not in str(log.after)


def test_each_user_lists_only_their_own_tokens(cast, api):
    mine = make_token(api, cast.parent)
    make_token(api, cast.admin)
    make_token(api, cast.accountant.user)  # staff without calendar duties may still subscribe
    ids = [row["id"] for row in api(cast.parent).get(TOKENS).json()["results"]]
    assert ids == [mine["id"]]
    # Even a school admin sees only their own tokens through the API.
    assert api(cast.admin).get(TOKENS).json()["count"] == 1


def test_another_users_token_cannot_be_revoked_or_deleted(cast, api):
    theirs = make_token(api, cast.parent)
    for user in (cast.student.user, cast.admin, cast.admin2):
        client = api(user)
        assert client.post(f"{TOKENS}{theirs['id']}/revoke/").status_code == 404
        assert client.delete(f"{TOKENS}{theirs['id']}/").status_code == 404
        assert client.get(f"{TOKENS}{theirs['id']}/").status_code == 404
    row = CalendarFeedToken.objects.get(pk=theirs["id"])
    assert row.revoked_at is None
    assert fetch(api(None), theirs).status_code == 200


def test_revoked_or_deleted_token_answers_404(cast, api):
    revoked = make_token(api, cast.parent)
    deleted = make_token(api, cast.parent)
    client = api(cast.parent)
    assert fetch(api(None), revoked).status_code == 200

    response = client.post(f"{TOKENS}{revoked['id']}/revoke/")
    assert response.status_code == 200
    assert response.json()["is_active"] is False and response.json()["revoked_at"]
    assert client.post(f"{TOKENS}{revoked['id']}/revoke/").status_code == 200  # harmless again
    assert fetch(api(None), revoked).status_code == 404

    assert client.delete(f"{TOKENS}{deleted['id']}/").status_code == 204
    assert not CalendarFeedToken.objects.filter(pk=deleted["id"]).exists()
    assert fetch(api(None), deleted).status_code == 404
    assert list(
        AuditLog.objects.filter(action__startswith="calendar_feed_token.")
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "calendar_feed_token.create",
        "calendar_feed_token.create",
        "calendar_feed_token.revoke",
        "calendar_feed_token.delete",
    ]


def test_unknown_token_and_deactivated_user_answer_404(cast, api):
    body = make_token(api, cast.parent)
    anon = api(None)
    assert anon.get("/api/v1/calendar/feed/not-a-real-token.ics").status_code == 404
    cast.parent.is_active = False
    cast.parent.save(update_fields=["is_active"])
    assert fetch(anon, body).status_code == 404


def test_the_feed_needs_no_jwt_and_a_jwt_grants_nothing(cast, api):
    body = make_token(api, cast.parent)
    response = fetch(api(None), body)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    # A calendar client asking only for text/calendar is served, and errors stay JSON.
    assert fetch_accepting(api(None), body["feed_url"]).status_code == 200
    missing = api(None).get(
        "/api/v1/calendar/feed/nope.ics", HTTP_ACCEPT="text/calendar", format=None
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    # Signed in with a JWT but without the token: nothing.
    assert api(cast.parent).get("/api/v1/calendar/feed/nope.ics").status_code == 404


def fetch_accepting(client, url):
    return client.get(url.replace("http://testserver", ""), HTTP_ACCEPT="text/calendar")


def test_feed_fetch_updates_last_used(cast, api):
    body = make_token(api, cast.parent)
    before = timezone.now()
    assert fetch(api(None), body).status_code == 200
    row = CalendarFeedToken.objects.get(pk=body["id"])
    assert row.last_used_at is not None and row.last_used_at >= before


def test_too_many_tokens_are_refused(cast, api):
    for _ in range(services.MAX_ACTIVE_TOKENS):
        CalendarFeedTokenFactory(user=cast.parent)
    response = api(cast.parent).post(TOKENS, {}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_many_tokens"


# --- The feed's content ---------------------------------------------------------------------------
@pytest.fixture
def calendar(school_year, cast):
    """Events and papers around today, for every audience the parent's children have and some
    they do not."""
    today = timezone.localdate()
    school = cast.school
    klass6 = SchoolClassFactory(school=school, name="Class 6", order=6)
    sec_6a = SectionFactory(school_class=klass6, year=school_year.year, name="A")
    sec_5c = SectionFactory(school_class=school_year.klass, year=school_year.year, name="C")

    def event(title, audience=Audience.SCHOOL, days=10, **extra):
        return CalendarEventFactory(
            school=extra.pop("school", school),
            title=title,
            audience=audience,
            start_date=today + dt.timedelta(days=days),
            end_date=today + dt.timedelta(days=days + extra.pop("length", 1) - 1),
            **extra,
        )

    ev = {
        "holiday": event(
            "Diwali, Lakshmi Puja; school closed\\open",
            kind="holiday",
            length=3,
            description="Line one\nLine two, with commas; and semicolons",
        ),
        "class5": event("Class 5 picnic", Audience.CLASS, school_class=school_year.klass),
        "5a": event("5-A parent meeting", Audience.SECTION, section=school_year.sec_a, kind="ptm"),
        "5b": event(
            "5-B sports day",
            Audience.SECTION,
            section=school_year.sec_b,
            all_day=False,
            start_time=dt.time(9, 30),
            end_time=dt.time(11, 0),
        ),
        "class6": event("Class 6 trip", Audience.CLASS, school_class=klass6),
        "5c": event("5-C assembly", Audience.SECTION, section=sec_5c),
        "6a": event("6-A assembly", Audience.SECTION, section=sec_6a),
        "school2": event("Bob's founders day", school=cast.school2),
        "long_past": event("Old news", days=-40),
        "recent": event("Last week's concert", days=-7),
        "far_future": event("Too far ahead", days=400),
    }
    exam_day = today + dt.timedelta(days=20)
    ExamScheduleEntryFactory(
        section=school_year.sec_a, subject=school_year.maths, date=exam_day, room="Hall 1"
    )
    ExamScheduleEntryFactory(
        section=None,
        school=school,
        school_class=school_year.klass,
        subject=school_year.science,
        date=exam_day + dt.timedelta(days=1),
    )
    ExamScheduleEntryFactory(section=sec_6a, subject=school_year.maths, date=exam_day)
    return ev


PARENT_SEES = {
    "Diwali, Lakshmi Puja; school closed\\open",
    "Class 5 picnic",
    "5-A parent meeting",
    "5-B sports day",
    "Last week's concert",
    "Term 1 exams: Mathematics (5-A)",
    "Term 1 exams: Science (Class 5)",
}


def test_parent_feed_holds_exactly_both_childrens_events(calendar, school_year, cast, api):
    response = fetch(api(None), make_token(api, cast.parent))
    assert response.status_code == 200
    props, events = parse(response.content)
    assert props["VERSION"] == "2.0"
    assert props["PRODID"] and props["CALSCALE"] == "GREGORIAN"
    assert unescape(props["X-WR-CALNAME"]) == "Alice Public School"
    assert summaries(events) == PARENT_SEES
    assert len(events) == len(PARENT_SEES)
    uids = [event["UID"] for event in events]
    assert len(set(uids)) == len(uids)
    assert all(event["DTSTAMP"].endswith("Z") for event in events)


def test_student_and_teacher_feeds_hold_their_own_sections(calendar, cast, api):
    _props, events = parse(fetch(api(None), make_token(api, cast.student.user)).content)
    assert summaries(events) == PARENT_SEES - {"5-B sports day"}  # Sam is in 5-A
    _props, events = parse(fetch(api(None), make_token(api, cast.teacher.user)).content)
    assert summaries(events) == PARENT_SEES - {"5-B sports day"}  # Tara teaches 5-A
    _props, events = parse(fetch(api(None), make_token(api, cast.admin)).content)
    assert "Class 6 trip" in summaries(events) and "Bob's founders day" not in summaries(events)


def test_feed_escapes_text_and_dates_all_day_events_exclusively(calendar, cast, api):
    _props, events = parse(fetch(api(None), make_token(api, cast.parent)).content)
    by_title = {unescape(event["SUMMARY"]): event for event in events}
    holiday = by_title["Diwali, Lakshmi Puja; school closed\\open"]
    assert holiday["SUMMARY"] == "Diwali\\, Lakshmi Puja\\; school closed\\\\open"
    assert holiday["DESCRIPTION"] == "Line one\\nLine two\\, with commas\\; and semicolons"
    assert unescape(holiday["DESCRIPTION"]) == "Line one\nLine two, with commas; and semicolons"
    first, last = calendar["holiday"].start_date, calendar["holiday"].end_date
    assert (last - first).days == 2
    assert holiday["DTSTART;VALUE=DATE"] == first.strftime("%Y%m%d")
    assert holiday["DTEND;VALUE=DATE"] == (last + dt.timedelta(days=1)).strftime("%Y%m%d")
    assert holiday["UID"] == f"event-{calendar['holiday'].pk}@schools24"

    one_day = by_title["Class 5 picnic"]
    start = calendar["class5"].start_date
    assert one_day["DTEND;VALUE=DATE"] == (start + dt.timedelta(days=1)).strftime("%Y%m%d")


def test_timed_events_are_in_utc(calendar, cast, api):
    _props, events = parse(fetch(api(None), make_token(api, cast.parent)).content)
    by_title = {unescape(event["SUMMARY"]): event for event in events}
    sports = by_title["5-B sports day"]
    day = calendar["5b"].start_date.strftime("%Y%m%d")
    # 09:30-11:00 in Asia/Kolkata (UTC+05:30)
    assert sports["DTSTART"] == f"{day}T040000Z" and sports["DTEND"] == f"{day}T053000Z"
    maths = by_title["Term 1 exams: Mathematics (5-A)"]
    assert maths["DTSTART"].endswith("T033000Z") and maths["DTEND"].endswith("T063000Z")
    assert maths["LOCATION"] == "Hall 1"


def test_long_lines_fold_at_75_octets_without_splitting_characters(school_year, cast, api):
    title = "वार्षिक खेल दिवस " * 8 + "; done"
    description = "x" * 300
    CalendarEventFactory(
        school=cast.school,
        title=title,
        description=description,
        start_date=timezone.localdate(),
        end_date=timezone.localdate(),
    )
    content = fetch(api(None), make_token(api, cast.parent)).content
    _props, events = parse(content)  # asserts every physical line is at most 75 octets
    assert unescape(events[0]["SUMMARY"]) == title
    assert events[0]["DESCRIPTION"] == description
    assert b"\r\n " in content


def test_feed_query_count_does_not_grow_with_events(
    calendar, school_year, cast, api, django_assert_num_queries
):
    body = make_token(api, cast.parent)
    client = api(None)
    fetch(client, body)
    # token+user+school, events, exams, homework due dates (apps.homework.feed), last_used
    with django_assert_num_queries(5) as few:
        fetch(client, body)
    for index in range(10):
        CalendarEventFactory(
            school=cast.school,
            audience=Audience.SECTION,
            section=school_year.sec_b,
            start_date=timezone.localdate() + dt.timedelta(days=index),
        )
        ExamScheduleEntryFactory(
            section=school_year.sec_a, date=timezone.localdate() + dt.timedelta(days=index)
        )
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(parse(fetch(client, body).content)[1]) == len(PARENT_SEES) + 20
