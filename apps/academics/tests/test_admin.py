"""The academics staff screens: scoped rows, writes through the services, no N+1."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.academics.models import AcademicYear, Enrollment, Section, TimetableEntry
from apps.accounts.tests.factories import StudentFactory, TeacherFactory
from apps.core.models import AuditLog

from .factories import (
    EnrollmentFactory,
    SchoolClassFactory,
    SectionFactory,
    TeachingAssignmentFactory,
    TermFactory,
    TimetableEntryFactory,
)

MODELS = [
    "academicyear",
    "term",
    "schoolclass",
    "section",
    "subject",
    "teachingassignment",
    "enrollment",
    "timetableentry",
]


def url(name: str, *args) -> str:
    return reverse(f"admin:academics_{name}", args=args)


def objects_of(school_year):
    entry = TimetableEntryFactory(
        section=school_year.sec_a, subject=school_year.maths, teacher=school_year.assignment.teacher
    )
    return {
        "academicyear": school_year.year,
        "term": TermFactory(year=school_year.year),
        "schoolclass": school_year.klass,
        "section": school_year.sec_a,
        "subject": school_year.maths,
        "teachingassignment": school_year.assignment,
        "enrollment": school_year.enrol_student,
        "timetableentry": entry,
    }


@pytest.mark.parametrize("who", ["admin", "root"])
@pytest.mark.parametrize("model", MODELS)
def test_every_screen_renders(client, school_year, cast, root, who, model):
    client.force_login(root if who == "root" else cast.admin)
    obj = objects_of(school_year)[model]
    assert client.get(url(f"{model}_changelist")).status_code == 200
    assert client.get(url(f"{model}_change", obj.pk)).status_code == 200
    assert client.get(url(f"{model}_add")).status_code == 200


def test_school_admin_sees_only_own_school(client, school_year, cast):
    client.force_login(cast.admin2)
    page = client.get(url("section_changelist")).content.decode()
    assert "5-A" in page  # school two's own 5-A
    assert "R5A" not in page and "5-B" not in page
    response = client.get(url("section_change", school_year.sec_a.pk))
    assert response.status_code == 302  # "does not exist", back to the index


def test_section_added_in_the_admin_goes_through_the_service(client, school_year, cast):
    client.force_login(cast.admin)
    response = client.post(
        url("section_add"),
        {
            "school_class": school_year.klass.pk,
            "year": school_year.year.pk,
            "name": "C",
            "class_teacher": cast.teacher.pk,
            "room": "R5C",
            "capacity": 35,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    section = Section.objects.get(name="C")
    assert section.school == cast.school and section.capacity == 35
    assert AuditLog.objects.filter(action="section.create", object_id=str(section.pk)).exists()


def test_full_section_is_refused_in_the_admin(client, school_year, cast):
    school_year.sec_a.capacity = 2
    school_year.sec_a.save()
    newcomer = StudentFactory(school=cast.school)
    client.force_login(cast.admin)
    response = client.post(
        url("enrollment_add"), {"student": newcomer.pk, "section": school_year.sec_a.pk}
    )
    assert response.status_code == 302
    assert not Enrollment.objects.filter(student=newcomer).exists()
    page = client.get(response["Location"]).content.decode()
    assert "5-A is full (2 of 2 places taken)." in page


def test_timetable_clash_is_refused_in_the_admin(client, school_year, cast):
    TimetableEntryFactory(
        section=school_year.sec_a, subject=school_year.maths, teacher=cast.teacher
    )
    TeachingAssignmentFactory(
        section=school_year.sec_b, subject=school_year.maths, teacher=cast.teacher
    )
    client.force_login(cast.admin)
    response = client.post(
        url("timetableentry_add"),
        {
            "section": school_year.sec_b.pk,
            "weekday": 0,
            "period": 1,
            "start_time": "09:15",
            "end_time": "10:00",
            "subject": school_year.maths.pk,
            "teacher": cast.teacher.pk,
            "room": "",
        },
    )
    assert response.status_code == 302
    assert TimetableEntry.objects.count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "Tara Teacher already teaches 5-A (Mathematics) on Monday 09:00-09:45." in page


def test_make_current_action(client, school_year, cast):
    other = AcademicYear.objects.create(
        school=cast.school, name="2027-28", start_date="2027-04-01", end_date="2028-03-31"
    )
    client.force_login(cast.admin)
    response = client.post(
        url("academicyear_changelist"),
        {"action": "make_current", "_selected_action": [other.pk]},
    )
    assert response.status_code == 302
    other.refresh_from_db()
    school_year.year.refresh_from_db()
    assert other.is_current and not school_year.year.is_current


def test_accountant_reads_structure_but_not_the_timetable(client, school_year, cast):
    client.force_login(cast.accountant.user)
    assert client.get(url("section_changelist")).status_code == 200
    assert client.get(url("enrollment_changelist")).status_code == 200
    assert client.get(url("section_add")).status_code == 403
    assert client.get(url("timetableentry_changelist")).status_code == 403


def test_delete_refused_by_the_service_keeps_the_row(client, school_year, cast):
    TimetableEntryFactory(
        section=school_year.sec_a, subject=school_year.maths, teacher=cast.teacher
    )
    client.force_login(cast.admin)
    delete = url("teachingassignment_delete", school_year.assignment.pk)
    response = client.post(delete, {"post": "yes"})
    assert response.status_code == 302
    assert school_year.sec_a.teaching_assignments.filter(pk=school_year.assignment.pk).exists()
    page = client.get(response["Location"]).content.decode()
    assert "remove them from the timetable first" in page
    # Rows Django itself protects (a section with students) are refused on the confirmation page.
    page = client.post(url("section_delete", school_year.sec_a.pk), {"post": "yes"})
    assert page.status_code == 200 and "protected" in page.content.decode()
    assert Section.objects.filter(pk=school_year.sec_a.pk).exists()


@pytest.mark.parametrize("model", ["section", "enrollment", "timetableentry", "teachingassignment"])
def test_changelist_query_count_does_not_grow_with_rows(
    client, school_year, cast, django_assert_max_num_queries, model
):
    client.force_login(cast.admin)

    def grow(n):
        for index in range(n):
            section = SectionFactory(
                school_class=SchoolClassFactory(school=cast.school),
                year=school_year.year,
                class_teacher=TeacherFactory(school=cast.school),
            )
            EnrollmentFactory(section=section)
            assignment = TeachingAssignmentFactory(section=section)
            TimetableEntryFactory(
                section=section,
                subject=assignment.subject,
                teacher=assignment.teacher,
                period=index + 1,
            )

    grow(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(f"{model}_changelist")).status_code == 200
    grow(15)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url(f"{model}_changelist")).status_code == 200


def test_related_filters_across_relations_list_only_own_school(client, school_year, cast):
    """A filter such as section__school_class must not list another school's classes."""
    SchoolClassFactory(school=cast.school2, name="Secret Class 99")
    class_six = SchoolClassFactory(school=cast.school, name="Class 6", order=6)
    section = SectionFactory(school_class=class_six, year=school_year.year, name="A")
    EnrollmentFactory(section=section, student=StudentFactory(school=cast.school))
    client.force_login(cast.admin)
    page = client.get(reverse("admin:academics_enrollment_changelist"))
    assert page.status_code == 200
    spec = next(
        f for f in page.context["cl"].filter_specs if f.field_path == "section__school_class"
    )
    assert sorted(label for _, label in spec.lookup_choices) == ["Class 5", "Class 6"]
    assert "Secret Class 99" not in page.content.decode()
