"""Factories for the calendar. They write rows directly (no service rules), so tests can set up
any state quickly; tests of the rules go through the API."""

from __future__ import annotations

import datetime as dt

import factory

from apps.academics.tests.factories import SectionFactory, SubjectFactory
from apps.accounts.tests.factories import SchoolFactory, UserFactory
from apps.calendar import services
from apps.calendar.models import Audience, CalendarEvent, CalendarFeedToken, ExamScheduleEntry


class CalendarEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CalendarEvent

    school = factory.SubFactory(SchoolFactory)
    title = factory.Sequence(lambda n: f"Event {n}")
    kind = "event"
    start_date = dt.date(2026, 10, 20)
    end_date = factory.SelfAttribute("start_date")
    all_day = True
    audience = Audience.SCHOOL


class ExamScheduleEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExamScheduleEntry

    section = factory.SubFactory(SectionFactory)
    school = factory.SelfAttribute("section.school")
    exam_name = "Term 1 exams"
    subject = factory.SubFactory(SubjectFactory, school=factory.SelfAttribute("..school"))
    date = dt.date(2026, 9, 14)
    start_time = dt.time(9, 0)
    end_time = dt.time(12, 0)
    room = ""


class CalendarFeedTokenFactory(factory.django.DjangoModelFactory):
    """`plain` (not a model field) is the token; only its hash is stored."""

    class Meta:
        model = CalendarFeedToken

    class Params:
        plain = factory.Sequence(lambda n: f"test-token-{n:04d}-abcdefghijklmnopqrstuvwxyz0123")

    user = factory.SubFactory(UserFactory)
    school = factory.SelfAttribute("user.school")
    token_hash = factory.LazyAttribute(lambda o: services.hash_token(o.plain))
    hint = factory.LazyAttribute(lambda o: o.plain[:6])
