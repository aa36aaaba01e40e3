"""Academic years and terms through the API: dates, the current year, terms inside years."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from apps.academics.models import AcademicYear, Term
from apps.core.models import AuditLog

from .factories import AcademicYearFactory, TermFactory

YEARS = "/api/v1/academic-years/"
TERMS = "/api/v1/terms/"


def year_body(name="2027-28", start="2027-04-01", end="2028-03-31", **extra):
    return {"name": name, "start_date": start, "end_date": end, **extra}


def test_admin_creates_a_year(school_year, cast, api):
    response = api(cast.admin).post(YEARS, year_body(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "2027-28"
    assert (body["start_date"], body["end_date"], body["is_current"]) == (
        "2027-04-01",
        "2028-03-31",
        False,
    )
    year = AcademicYear.objects.get(pk=body["id"])
    assert year.school == cast.school
    entry = AuditLog.objects.get(action="academic_year.create", object_id=str(year.pk))
    assert entry.actor == cast.admin and entry.school == cast.school
    assert entry.after["name"] == "2027-28"


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2027-03-31", "2028-03-30"),  # starts on the last day of 2026-27
        ("2025-04-01", "2026-04-01"),  # ends on the first day of 2026-27
        ("2026-06-01", "2026-12-31"),  # inside it
        ("2025-01-01", "2028-01-01"),  # around it
    ],
)
def test_overlapping_years_are_rejected(school_year, cast, api, start, end):
    response = api(cast.admin).post(YEARS, year_body(start=start, end=end), format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "year_overlap"
    message = "These dates overlap the academic year 2026-27 (01 Apr 2026 – 31 Mar 2027)."
    assert error["message"] == message
    assert error["fields"] == {"start_date": [message], "end_date": [message]}
    assert AcademicYear.objects.filter(school=cast.school).count() == 1


def test_adjacent_years_do_not_overlap(school_year, cast, api):
    client = api(cast.admin)
    assert client.post(YEARS, year_body(), format="json").status_code == 201
    before = year_body("2025-26", "2025-04-01", "2026-03-31")
    assert client.post(YEARS, before, format="json").status_code == 201
    assert AcademicYear.objects.filter(school=cast.school).count() == 3


def test_year_must_end_after_it_starts(cast, api):
    response = api(cast.admin).post(
        YEARS, year_body(start="2027-04-01", end="2027-04-01"), format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "end_date": ["The year must end after it starts."]
    }


def test_year_names_are_unique_in_a_school(school_year, cast, api):
    response = api(cast.admin).post(YEARS, year_body(name="2026-27"), format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "duplicate_name"
    assert "name" in response.json()["error"]["fields"]


def test_one_current_year_per_school(school_year, cast, api):
    client = api(cast.admin)
    response = client.post(YEARS, year_body(is_current=True), format="json")
    assert response.status_code == 201, response.json()
    new = AcademicYear.objects.get(pk=response.json()["id"])
    assert response.json()["is_current"] is True
    school_year.year.refresh_from_db()
    assert new.is_current and not school_year.year.is_current
    # School two keeps its own current year.
    school_year.year2.refresh_from_db()
    assert school_year.year2.is_current

    back = client.post(f"{YEARS}{school_year.year.pk}/set-current/")
    assert back.status_code == 200
    assert back.json()["is_current"] is True
    assert list(AcademicYear.objects.filter(school=cast.school, is_current=True)) == [
        school_year.year
    ]
    actions = list(
        AuditLog.objects.filter(object_type="academics.academicyear").values_list(
            "action", "object_id"
        )
    )
    assert ("academic_year.set_current", str(school_year.year.pk)) in actions
    assert ("academic_year.update", str(new.pk)) in actions  # un-set, and logged


def test_database_refuses_two_current_years(school_year, cast):
    other = AcademicYearFactory(school=cast.school)
    other.is_current = True
    with pytest.raises(IntegrityError), transaction.atomic():
        other.save()


def test_current_filter_and_ordering(school_year, cast, api):
    AcademicYearFactory(
        school=cast.school,
        name="2025-26",
        start_date=dt.date(2025, 4, 1),
        end_date=dt.date(2026, 3, 31),
    )
    client = api(cast.student.user)
    names = [row["name"] for row in client.get(YEARS).json()["results"]]
    assert names == ["2026-27", "2025-26"]  # newest first, school one's only
    current = client.get(f"{YEARS}?is_current=true").json()["results"]
    assert [row["id"] for row in current] == [str(school_year.year.pk)]


def test_update_year_dates_must_keep_terms_inside(school_year, cast, api):
    TermFactory(
        year=school_year.year,
        name="Term 2",
        start_date=dt.date(2026, 10, 1),
        end_date=dt.date(2027, 3, 15),
    )
    client = api(cast.admin)
    url = f"{YEARS}{school_year.year.pk}/"
    response = client.patch(url, {"end_date": "2027-02-28"}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "term_outside_year"
    assert "Term 2" in error["message"] and error["fields"].keys() == {"end_date"}
    ok = client.patch(url, {"name": "2026-2027", "end_date": "2027-03-20"}, format="json")
    assert ok.status_code == 200, ok.json()
    school_year.year.refresh_from_db()
    assert (school_year.year.name, school_year.year.end_date) == ("2026-2027", dt.date(2027, 3, 20))
    entry = AuditLog.objects.get(action="academic_year.update")
    assert entry.before == {"end_date": "2027-03-31", "name": "2026-27"}


def test_update_year_into_another_year_is_rejected(school_year, cast, api):
    later = AcademicYearFactory(
        school=cast.school,
        name="2027-28",
        start_date=dt.date(2027, 4, 1),
        end_date=dt.date(2028, 3, 31),
    )
    response = api(cast.admin).patch(
        f"{YEARS}{later.pk}/", {"start_date": "2027-03-01"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "year_overlap"
    later.refresh_from_db()
    assert later.start_date == dt.date(2027, 4, 1)


def test_year_with_sections_cannot_be_deleted(school_year, cast, api):
    client = api(cast.admin)
    response = client.delete(f"{YEARS}{school_year.year.pk}/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "in_use"
    assert "2 section(s)" in response.json()["error"]["message"]
    empty = AcademicYearFactory(school=cast.school)
    TermFactory(year=empty)
    assert client.delete(f"{YEARS}{empty.pk}/").status_code == 204
    assert not AcademicYear.objects.filter(pk=empty.pk).exists()
    assert not Term.objects.filter(year_id=empty.pk).exists()
    assert AuditLog.objects.filter(action="academic_year.delete", object_id=str(empty.pk)).exists()


@pytest.mark.parametrize("persona", ["teacher", "student", "parent", "accountant"])
def test_only_school_admins_write_years(school_year, cast, api, persona):
    client = api(cast.user(persona))
    assert client.post(YEARS, year_body(), format="json").status_code == 403
    assert client.post(f"{YEARS}{school_year.year.pk}/set-current/").status_code == 403
    assert client.get(YEARS).status_code == 200


def test_another_schools_year_is_not_found(school_year, cast, api):
    client = api(cast.admin2)
    assert client.get(f"{YEARS}{school_year.year.pk}/").status_code == 404
    assert client.post(f"{YEARS}{school_year.year.pk}/set-current/").status_code == 404
    assert (
        client.patch(f"{YEARS}{school_year.year.pk}/", {"name": "x"}, format="json").status_code
        == 404
    )
    names = [row["id"] for row in client.get(YEARS).json()["results"]]
    assert names == [str(school_year.year2.pk)]
    school_year.year.refresh_from_db()
    assert school_year.year.is_current and school_year.year.name == "2026-27"


# --- Terms ------------------------------------------------------------------------------------
def term_body(school_year, name="Term 1", start="2026-04-01", end="2026-09-30"):
    return {"year": str(school_year.year.pk), "name": name, "start_date": start, "end_date": end}


def test_admin_creates_terms_inside_the_year(school_year, cast, api):
    client = api(cast.admin)
    first = client.post(TERMS, term_body(school_year), format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["year_name"] == "2026-27"
    second = client.post(
        TERMS, term_body(school_year, "Term 2", "2026-10-01", "2027-03-31"), format="json"
    )
    assert second.status_code == 201, second.json()
    rows = api(cast.parent).get(f"{TERMS}?year={school_year.year.pk}").json()["results"]
    assert [row["name"] for row in rows] == ["Term 1", "Term 2"]
    assert AuditLog.objects.filter(action="term.create").count() == 2


@pytest.mark.parametrize(
    ("start", "end", "fields"),
    [
        ("2026-03-01", "2026-06-30", {"start_date"}),
        ("2026-10-01", "2027-04-30", {"end_date"}),
        ("2026-01-01", "2027-12-31", {"start_date", "end_date"}),
    ],
)
def test_term_outside_its_year_is_rejected(school_year, cast, api, start, end, fields):
    response = api(cast.admin).post(
        TERMS, term_body(school_year, start=start, end=end), format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "term_outside_year"
    assert error["message"] == (
        "A term must lie inside its year 2026-27 (01 Apr 2026 – 31 Mar 2027)."
    )
    assert set(error["fields"]) == fields
    assert not Term.objects.exists()


def test_overlapping_terms_are_rejected(school_year, cast, api):
    client = api(cast.admin)
    assert client.post(TERMS, term_body(school_year), format="json").status_code == 201
    response = client.post(
        TERMS, term_body(school_year, "Term 2", "2026-09-30", "2027-03-31"), format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "term_overlap"
    assert error["message"] == "These dates overlap Term 1 (01 Apr 2026 – 30 Sep 2026)."
    duplicate = client.post(
        TERMS, term_body(school_year, "term 1", "2026-10-01", "2027-03-31"), format="json"
    )
    assert duplicate.status_code == 400
    assert duplicate.json()["error"]["code"] == "duplicate_name"
    assert Term.objects.count() == 1


def test_term_update_follows_the_same_rules(school_year, cast, api):
    term = TermFactory(
        year=school_year.year,
        name="Term 1",
        start_date=dt.date(2026, 4, 1),
        end_date=dt.date(2026, 9, 30),
    )
    client = api(cast.admin)
    bad = client.patch(f"{TERMS}{term.pk}/", {"end_date": "2027-05-01"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "term_outside_year"
    good = client.patch(f"{TERMS}{term.pk}/", {"end_date": "2026-10-15"}, format="json")
    assert good.status_code == 200
    assert good.json()["end_date"] == "2026-10-15"
    assert client.delete(f"{TERMS}{term.pk}/").status_code == 204
    assert not Term.objects.exists()


def test_term_for_another_schools_year_is_not_found(school_year, cast, api):
    body = term_body(school_year) | {"year": str(school_year.year2.pk)}
    response = api(cast.admin).post(TERMS, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"year": ["Not found in your school."]}
    assert not Term.objects.exists()


def test_years_of_another_school_never_overlap(school_year, cast, api):
    """School two's 2026-27 runs to 30 Apr 2027; school one's next year may start in April."""
    response = api(cast.admin).post(YEARS, year_body("2027-28", "2027-04-01"), format="json")
    assert response.status_code == 201, response.json()
