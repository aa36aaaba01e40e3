"""The holiday questions attendance asks: `is_holiday` and `holidays_between`, one query each."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.academics.tests.factories import SchoolClassFactory, SectionFactory
from apps.calendar.selectors import (
    holiday_dates_between,
    holidays_between,
    is_holiday,
    sections_on_holiday,
)

from .factories import CalendarEventFactory

D = dt.date


@pytest.fixture
def holidays(school_year, cast):
    klass6 = SchoolClassFactory(school=cast.school, name="Class 6", order=6)
    sec_6a = SectionFactory(school_class=klass6, year=school_year.year, name="A")

    def holiday(title, first, last, **extra):
        return CalendarEventFactory(
            school=extra.pop("school", cast.school),
            kind=extra.pop("kind", "holiday"),
            title=title,
            start_date=first,
            end_date=last,
            **extra,
        )

    return {
        "diwali": holiday("Diwali", D(2026, 11, 8), D(2026, 11, 10)),
        "class5": holiday(
            "Class 5 trip day", D(2026, 11, 12), D(2026, 11, 12), audience="class",
            school_class=school_year.klass,
        ),
        "5a": holiday(
            "5-A off", D(2026, 11, 13), D(2026, 11, 13), audience="section",
            section=school_year.sec_a,
        ),
        "6a": holiday(
            "6-A off", D(2026, 11, 14), D(2026, 11, 14), audience="section", section=sec_6a
        ),
        "event": holiday("Sports day", D(2026, 11, 16), D(2026, 11, 16), kind="event"),
        "bob": holiday("Bob holiday", D(2026, 11, 17), D(2026, 11, 17), school=cast.school2),
    }  # fmt: skip


@pytest.mark.parametrize(
    "day, section, expected",
    [
        (D(2026, 11, 7), None, False),
        (D(2026, 11, 8), None, True),  # first day
        (D(2026, 11, 10), None, True),  # last day: end_date is inclusive
        (D(2026, 11, 11), None, False),
        (D(2026, 11, 9), "sec_a", True),  # school-wide covers every section
        (D(2026, 11, 12), None, False),  # a class holiday is not a school one
        (D(2026, 11, 12), "sec_a", True),
        (D(2026, 11, 12), "sec_b", True),
        (D(2026, 11, 13), "sec_a", True),
        (D(2026, 11, 13), "sec_b", False),  # another section's holiday
        (D(2026, 11, 14), "sec_a", False),  # another class's section
        (D(2026, 11, 16), None, False),  # an event, not a holiday
        (D(2026, 11, 17), None, False),  # another school's holiday
    ],
)
def test_is_holiday(holidays, school_year, cast, django_assert_num_queries, day, section, expected):
    target = getattr(school_year, section) if section else None
    with django_assert_num_queries(1):
        assert is_holiday(school=cast.school, date=day, section=target) is expected
    # A section id and a school id work too (still one query).
    if target is not None:
        with django_assert_num_queries(1):
            assert is_holiday(school=cast.school.pk, date=day, section=target.pk) is expected


def test_holidays_between(holidays, school_year, cast, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = list(holidays_between(cast.school, D(2026, 11, 9), D(2026, 11, 30)))
    assert [h.title for h in found] == ["Diwali"]
    with django_assert_num_queries(1):
        found = list(
            holidays_between(cast.school, D(2026, 11, 1), D(2026, 11, 30), school_year.sec_a)
        )
    assert [h.title for h in found] == ["Diwali", "Class 5 trip day", "5-A off"]
    with django_assert_num_queries(1):
        dates = holiday_dates_between(
            cast.school, D(2026, 11, 9), D(2026, 11, 13), section=school_year.sec_b
        )
    assert dates == {D(2026, 11, 9), D(2026, 11, 10), D(2026, 11, 12)}


def test_holiday_query_count_does_not_grow(holidays, school_year, cast, django_assert_num_queries):
    for day in range(1, 28):
        CalendarEventFactory(
            school=cast.school,
            kind="holiday",
            start_date=D(2026, 12, day),
            end_date=D(2026, 12, day),
        )
    with django_assert_num_queries(1):
        dates = holiday_dates_between(
            cast.school, D(2026, 12, 1), D(2026, 12, 31), school_year.sec_a
        )
    assert len(dates) == 27


def test_sections_on_holiday_applies_the_is_holiday_rule_to_many_sections_in_one_query(
    holidays, school_year, cast, django_assert_num_queries
):
    sections = [school_year.sec_a, school_year.sec_b, holidays["6a"].section]
    for day in (D(2026, 11, 9), D(2026, 11, 12), D(2026, 11, 13), D(2026, 11, 14), D(2026, 11, 16)):
        with django_assert_num_queries(1):
            off = sections_on_holiday(cast.school, day, sections)
        expected = {
            str(s.pk) for s in sections if is_holiday(school=cast.school, date=day, section=s)
        }
        assert off == expected, day
    assert sections_on_holiday(cast.school, D(2026, 11, 12), sections) == {
        str(school_year.sec_a.pk),
        str(school_year.sec_b.pk),
    }  # the class holiday, not 6-A
