"""The students changelist staff live in: class, section, roll number and guardian phone, and
filters by this year's class and section, scoped to the school."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.academics.tests.factories import EnrollmentFactory
from apps.accounts.tests.factories import GuardianFactory, StudentFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("admin:accounts_studentprofile_changelist")


def shown(page) -> list[str]:
    assert page.status_code == 200
    return sorted(row.user.full_name for row in page.context["cl"].result_list)


@pytest.fixture
def staff_client(client, cast, school_year):
    cast.parent.phone = "+919800000001"
    cast.parent.save(update_fields=["phone"])
    client.force_login(cast.admin)
    return client


def test_columns_show_class_section_roll_and_guardian_phone(staff_client, cast, school_year):
    page = staff_client.get(URL)
    assert shown(page) == ["Oscar Other", "Sam Student", "Sia Student"]
    html = page.content.decode()
    for header in ("class", "section", "roll number", "guardian phone"):
        assert header in html.lower()
    admin = page.context["cl"].model_admin
    sam = next(r for r in page.context["cl"].result_list if r.pk == cast.student.pk)
    oscar = next(r for r in page.context["cl"].result_list if r.pk == cast.other_student.pk)
    assert admin.current_class(sam) == "Class 5"
    assert admin.current_section(sam) == "5-A"
    assert admin.current_roll_number(sam) == 1
    assert admin.guardian_phone(sam) == "+919800000001"
    assert admin.guardian_phone(oscar) == "-"  # no guardian
    assert "+919800000001" in html and "Zed Student" not in html  # another school's student


def test_filters_by_class_and_section(staff_client, cast, school_year):
    by_section = staff_client.get(URL, {"section": school_year.sec_a.pk})
    assert shown(by_section) == ["Oscar Other", "Sam Student"]
    assert shown(staff_client.get(URL, {"section": school_year.sec_b.pk})) == ["Sia Student"]
    by_class = staff_client.get(URL, {"class": school_year.klass.pk})
    assert shown(by_class) == ["Oscar Other", "Sam Student", "Sia Student"]
    # another school's section is not a choice and matches nobody; nonsense matches nobody
    choices = {str(pk) for pk, _label in _lookups(by_section, "section")}
    assert choices == {str(school_year.sec_a.pk), str(school_year.sec_b.pk)}
    assert shown(staff_client.get(URL, {"section": school_year.sec2.pk})) == []
    assert shown(staff_client.get(URL, {"section": "not-a-uuid"})) == []


def test_section_choices_follow_the_chosen_class(staff_client, school_year):
    page = staff_client.get(URL, {"class": school_year.klass.pk})
    labels = [label for _pk, label in _lookups(page, "section")]
    assert labels == ["5-A", "5-B"]


def _lookups(page, parameter):
    spec = next(f for f in page.context["cl"].filter_specs if f.parameter_name == parameter)
    return spec.lookup_choices


def test_the_list_runs_the_same_queries_for_more_students(staff_client, cast, school_year):
    with CaptureQueriesContext(connection) as few:
        assert shown(staff_client.get(URL))
    for number in range(8):
        student = StudentFactory(school=cast.school)
        EnrollmentFactory(section=school_year.sec_b, student=student, roll_number=10 + number)
        parent = UserFactory(school=cast.school, role="parent", phone=f"+91980000010{number}")
        GuardianFactory(student=student, parent=parent, is_primary=True)
    with CaptureQueriesContext(connection) as many:
        assert len(shown(staff_client.get(URL))) == 11
    assert len(many) == len(few)
