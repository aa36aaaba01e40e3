from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.academics.tests.factories import EnrollmentFactory, SectionFactory
from apps.accounts import selectors
from apps.accounts.api.serializers import StudentListItemSerializer, student_list_rows
from apps.accounts.models import Guardian, StudentProfile, User
from apps.accounts.tests.factories import GuardianFactory, StudentFactory
from apps.core.models import AuditLog
from apps.core.testing import redis_round_trips

STUDENT = {
    "email": "New.Kid@Alice.test",
    "full_name": "New Kid",
    "phone": "+91 98450 11111",
    "admission_number": "ADM-900",
    "roll_number": "12",
    "date_of_birth": "2014-05-02",
    "gender": "male",
    "blood_group": "O+",
    "admission_date": "2020-06-01",
}


# --- users ------------------------------------------------------------------------------------
def test_admin_creates_user_in_own_school(cast, api):
    response = api(cast.admin).post(
        "/api/v1/users/",
        {"email": "Kim@Alice.test", "full_name": "Kim Teacher", "role": "teacher"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    user = User.objects.get(email="kim@alice.test")
    assert user.school == cast.school and user.role == "teacher"
    assert not user.has_usable_password()
    assert response.json()["email"] == "kim@alice.test"


def test_duplicate_email_is_a_field_error_whatever_the_case(cast, api):
    response = api(cast.admin).post(
        "/api/v1/users/",
        {"email": "TARA@alice.test", "full_name": "Tara Two", "role": "teacher"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["email"]
    assert User.objects.filter(email__iexact="tara@alice.test").count() == 1


def test_user_create_validation_errors(cast, api):
    response = api(cast.admin).post(
        "/api/v1/users/",
        {"email": "x", "full_name": "", "role": "king", "phone": "abc", "password": "1"},
        format="json",
    )
    assert response.status_code == 400
    assert {"email", "full_name", "role", "phone"} <= set(response.json()["error"]["fields"])


def test_weak_password_is_rejected(cast, api):
    response = api(cast.admin).post(
        "/api/v1/users/",
        {"email": "w@alice.test", "full_name": "W", "role": "staff", "password": "12345678"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["password"]
    assert not User.objects.filter(email="w@alice.test").exists()


def test_user_list_filters_and_searches(cast, api):
    client = api(cast.admin)
    roles = {u["role"] for u in client.get("/api/v1/users/?role=student").json()["results"]}
    assert roles == {"student"}
    found = client.get("/api/v1/users/?search=tara").json()["results"]
    assert [u["email"] for u in found] == ["tara@alice.test"]
    emails = {u["email"] for u in client.get("/api/v1/users/?page_size=200").json()["results"]}
    assert "bob@bob.test" not in emails and "zed@bob.test" not in emails


def test_role_cannot_change(cast, api):
    response = api(cast.admin).patch(
        f"/api/v1/users/{cast.teacher.user.pk}/", {"role": "admin", "full_name": "T"}, format="json"
    )
    assert response.status_code == 200
    cast.teacher.user.refresh_from_db()
    assert cast.teacher.user.role == "teacher" and cast.teacher.user.full_name == "T"


def test_deactivate_and_activate(cast, api):
    client = api(cast.admin)
    response = client.post(f"/api/v1/users/{cast.teacher.user.pk}/deactivate/")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert api(cast.teacher.user).get("/api/v1/me/").status_code == 401
    assert (
        client.post(f"/api/v1/users/{cast.teacher.user.pk}/activate/").json()["is_active"] is True
    )
    actions = list(
        AuditLog.objects.filter(object_id=str(cast.teacher.user.pk)).values_list(
            "action", flat=True
        )
    )
    assert set(actions) == {"user.deactivate", "user.activate"}


def test_admin_cannot_deactivate_self(cast, api):
    response = api(cast.admin).post(f"/api/v1/users/{cast.admin.pk}/deactivate/")
    assert response.status_code == 400
    cast.admin.refresh_from_db()
    assert cast.admin.is_active


def test_other_schools_user_is_not_found(cast, api):
    client = api(cast.admin)
    assert client.get(f"/api/v1/users/{cast.admin2.pk}/").status_code == 404
    assert (
        client.patch(
            f"/api/v1/users/{cast.admin2.pk}/", {"full_name": "x"}, format="json"
        ).status_code
        == 404
    )
    assert client.post(f"/api/v1/users/{cast.admin2.pk}/deactivate/").status_code == 404
    cast.admin2.refresh_from_db()
    assert cast.admin2.is_active and cast.admin2.full_name == "Bob Admin"


def test_malformed_id_is_404_not_500(cast, api):
    assert api(cast.admin).get("/api/v1/users/not-a-uuid/").status_code == 404


# --- students ---------------------------------------------------------------------------------
def test_admin_creates_student_with_account(cast, api):
    response = api(cast.admin).post("/api/v1/students/", STUDENT, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["email"] == "new.kid@alice.test" and body["admission_number"] == "ADM-900"
    student = StudentProfile.objects.get(admission_number="ADM-900")
    assert student.school == cast.school and student.user.role == "student"
    assert str(student.date_of_birth) == "2014-05-02"
    assert AuditLog.objects.filter(action="student.create", object_id=str(student.pk)).exists()


def test_student_validation_errors_write_nothing(cast, api):
    bad = {
        **STUDENT,
        "date_of_birth": "2014-13-40",
        "gender": "robot",
        "blood_group": "Z",
        "emergency_contact_phone": "x",
    }
    response = api(cast.admin).post("/api/v1/students/", bad, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert {"date_of_birth", "gender", "blood_group", "emergency_contact_phone"} <= set(fields)
    assert not User.objects.filter(email="new.kid@alice.test").exists()


def test_admission_before_birth_is_rejected(cast, api):
    bad = {**STUDENT, "date_of_birth": "2015-01-01", "admission_date": "2014-01-01"}
    response = api(cast.admin).post("/api/v1/students/", bad, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["admission_date"]


def test_duplicate_admission_number_in_school_rejected_but_fine_elsewhere(cast, api):
    taken = {**STUDENT, "admission_number": cast.student.admission_number}
    response = api(cast.admin).post("/api/v1/students/", taken, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["admission_number"]
    assert not User.objects.filter(email="new.kid@alice.test").exists()
    elsewhere = {
        **STUDENT,
        "email": "kid@bob.test",
        "admission_number": cast.student.admission_number,
    }
    assert api(cast.admin2).post("/api/v1/students/", elsewhere, format="json").status_code == 201


def test_student_update_keeps_school_and_audits(cast, api):
    response = api(cast.admin).patch(
        f"/api/v1/students/{cast.student.pk}/",
        {"roll_number": "7", "full_name": "Samuel Student", "blood_group": "B+"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    cast.student.refresh_from_db()
    assert cast.student.roll_number == "7" and cast.student.blood_group == "B+"
    assert cast.student.user.full_name == "Samuel Student"
    entry = AuditLog.objects.get(action="student.update")
    assert entry.after == {"blood_group": "B+", "roll_number": "7"}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin", {"Sam Student", "Sia Student", "Oscar Other"}),
        ("parent", {"Sam Student", "Sia Student"}),
        ("student", {"Sam Student"}),
        ("teacher", set()),
        ("accountant", {"Sam Student", "Sia Student", "Oscar Other"}),
        ("admin2", {"Zed Student"}),
    ],
)
def test_student_list_is_scoped(cast, api, persona, expected):
    body = api(cast.user(persona)).get("/api/v1/students/").json()
    assert {row["full_name"] for row in body["results"]} == expected
    assert body["count"] == len(expected)


def test_parent_cannot_see_another_child(cast, api):
    assert api(cast.parent).get(f"/api/v1/students/{cast.other_student.pk}/").status_code == 404
    assert api(cast.parent).get(f"/api/v1/students/{cast.student.pk}/").status_code == 200
    assert api(cast.student.user).get(f"/api/v1/students/{cast.sibling.pk}/").status_code == 404


def test_student_detail_includes_guardians(cast, api):
    body = api(cast.parent).get(f"/api/v1/students/{cast.student.pk}/").json()
    assert body["guardians"] == [
        {
            "id": str(cast.student.guardians.get().pk),
            "parent": str(cast.parent.pk),
            "full_name": "Pat Parent",
            "email": "pat@alice.test",
            "phone": "",
            "relation": "mother",
            "is_primary": True,
        }
    ]


def test_student_list_query_count_is_constant(cast, api, django_assert_num_queries):
    client = api(cast.admin)
    client.get("/api/v1/students/")  # warm up (content types, permissions, the principal)
    # page, current enrollments (a short page: no count; guardians are on the detail)
    with django_assert_num_queries(2) as small:
        assert client.get("/api/v1/students/?page_size=100").json()["count"] == 3
    section = SectionFactory(school_class__school=cast.school, year__is_current=True)
    for number in range(20):
        student = StudentFactory(school=cast.school)
        GuardianFactory(student=student, is_primary=True)
        GuardianFactory(student=student, relation="father")
        EnrollmentFactory(section=section, student=student, roll_number=number + 1)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get("/api/v1/students/?page_size=100").json()["count"] == 23


def test_a_full_students_page_counts_once_and_costs_two_redis_round_trips(cast, api):
    section = SectionFactory(school_class__school=cast.school, year__is_current=True)
    for _ in range(5):
        EnrollmentFactory(section=section, student=StudentFactory(school=cast.school))
    client = api(cast.admin)
    assert client.get("/api/v1/students/?page_size=4").status_code == 200
    with redis_round_trips() as trips, CaptureQueriesContext(connection) as queries:
        body = client.get("/api/v1/students/?page_size=4").json()
    assert (body["count"], len(body["results"])) == (8, 4)
    # The count (a full page), the page, the page's current enrollments.
    assert len(queries) == 3
    assert trips == [b"MGET"]  # the cached principal and the throttle, one pipeline


def test_the_students_list_rows_are_what_the_list_serializer_makes(cast, api, settings, tmp_path):
    """The list builds its rows directly (`student_list_rows`); they must equal the documented
    serializer's output: with and without a current enrollment, a photo, a roll number."""
    settings.MEDIA_ROOT = tmp_path
    section = SectionFactory(school_class__school=cast.school, year__is_current=True)
    EnrollmentFactory(section=section, student=cast.student, roll_number=4)
    cast.sibling.roll_number = "12"
    cast.sibling.photo = "students/sia.png"
    cast.sibling.save(update_fields=["roll_number", "photo"])
    body = api(cast.admin).get("/api/v1/students/?page_size=100").json()
    assert {row["current_enrollment"] is None for row in body["results"]} == {True, False}
    assert any(row["photo_url"] for row in body["results"])
    summaries = selectors.student_summaries(
        selectors.student_summary_rows(StudentProfile.objects.filter(school=cast.school)),
        lambda name: f"/media/{name}",
    )
    assert student_list_rows(summaries) == StudentListItemSerializer(summaries, many=True).data


def test_student_search_and_filters(cast, api):
    client = api(cast.admin)
    found = client.get("/api/v1/students/?search=oscar").json()["results"]
    assert [row["full_name"] for row in found] == ["Oscar Other"]
    assert client.get("/api/v1/students/?gender=male").json()["count"] == 0
    assert client.get("/api/v1/students/?page_size=1").json()["results"].__len__() == 1
    assert client.get("/api/v1/students/?page_size=100000").status_code == 200


def test_deactivated_students_filter(cast, api):
    client = api(cast.admin)
    client.post(f"/api/v1/students/{cast.other_student.pk}/deactivate/")
    names = {
        r["full_name"] for r in client.get("/api/v1/students/?is_active=true").json()["results"]
    }
    assert names == {"Sam Student", "Sia Student"}


# --- guardians -------------------------------------------------------------------------------
def test_link_new_parent_and_primary_moves(cast, api):
    response = api(cast.admin).post(
        "/api/v1/guardians/",
        {
            "student": str(cast.student.pk),
            "new_parent": {"email": "dad@alice.test", "full_name": "Dev Dad"},
            "relation": "father",
            "is_primary": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    dad = User.objects.get(email="dad@alice.test")
    assert dad.role == "parent" and dad.school == cast.school
    primaries = Guardian.objects.filter(student=cast.student, is_primary=True)
    assert [g.parent for g in primaries] == [dad]
    assert api(dad).get("/api/v1/students/").json()["count"] == 1


def test_link_existing_parent_to_second_child(cast, api):
    response = api(cast.admin).post(
        "/api/v1/guardians/",
        {
            "student": str(cast.other_student.pk),
            "parent": str(cast.parent.pk),
            "relation": "guardian",
        },
        format="json",
    )
    assert response.status_code == 201
    assert api(cast.parent).get("/api/v1/students/").json()["count"] == 3


def test_cannot_link_other_school_or_non_parent(cast, api):
    client = api(cast.admin)
    other_school = client.post(
        "/api/v1/guardians/",
        {"student": str(cast.student2.pk), "parent": str(cast.parent.pk)},
        format="json",
    )
    assert other_school.status_code == 400
    assert other_school.json()["error"]["fields"]["student"]
    not_parent = client.post(
        "/api/v1/guardians/",
        {"student": str(cast.student.pk), "parent": str(cast.teacher.user.pk)},
        format="json",
    )
    assert not_parent.status_code == 400
    assert not_parent.json()["error"]["fields"]["parent"]
    twice = client.post(
        "/api/v1/guardians/",
        {"student": str(cast.student.pk), "parent": str(cast.parent.pk)},
        format="json",
    )
    assert twice.status_code == 400
    both = client.post(
        "/api/v1/guardians/",
        {"student": str(cast.student.pk), "parent": str(cast.parent.pk),
         "new_parent": {"email": "z@alice.test", "full_name": "Z"}},
        format="json",
    )  # fmt: skip
    assert both.status_code == 400
    assert Guardian.objects.filter(school=cast.school).count() == 2


def test_unlink_guardian(cast, api):
    link = cast.sibling.guardians.get()
    assert api(cast.admin).delete(f"/api/v1/guardians/{link.pk}/").status_code == 204
    assert not Guardian.objects.filter(pk=link.pk).exists()
    assert User.objects.filter(pk=cast.parent.pk).exists()
    assert api(cast.parent).get(f"/api/v1/students/{cast.sibling.pk}/").status_code == 404
    assert AuditLog.objects.filter(action="guardian.unlink", object_id=str(link.pk)).exists()


def test_parent_sees_own_links_only(cast, api):
    rows = api(cast.parent).get("/api/v1/guardians/").json()["results"]
    assert {row["student_name"] for row in rows} == {"Sam Student", "Sia Student"}


# --- teachers, staff, school --------------------------------------------------------------------
def test_admin_creates_teacher_and_staff(cast, api):
    client = api(cast.admin)
    teacher = client.post(
        "/api/v1/teachers/",
        {
            "email": "t2@alice.test",
            "full_name": "Tej",
            "employee_code": "T-77",
            "qualification": "B.Ed.",
        },
        format="json",
    )
    assert teacher.status_code == 201, teacher.json()
    assert User.objects.get(email="t2@alice.test").role == "teacher"
    duplicate = client.post(
        "/api/v1/teachers/",
        {"email": "t3@alice.test", "full_name": "Tej", "employee_code": "T-77"},
        format="json",
    )
    assert duplicate.status_code == 400 and duplicate.json()["error"]["fields"]["employee_code"]
    assert not User.objects.filter(email="t3@alice.test").exists()
    staff = client.post(
        "/api/v1/staff/",
        {
            "email": "s2@alice.test",
            "full_name": "Sid",
            "employee_code": "S-9",
            "designation": "Driver",
        },
        format="json",
    )
    assert staff.status_code == 201
    user = User.objects.get(email="s2@alice.test")
    assert user.role == "staff" and user.is_staff


def test_teacher_sees_only_self_in_teachers(cast, api):
    rows = api(cast.teacher.user).get("/api/v1/teachers/").json()["results"]
    assert [row["email"] for row in rows] == ["tara@alice.test"]


def test_school_admin_updates_own_school(cast, api):
    response = api(cast.admin).patch(
        f"/api/v1/schools/{cast.school.pk}/",
        {"name": "Alice Senior School", "code": "hack"},
        format="json",
    )
    assert response.status_code == 200
    cast.school.refresh_from_db()
    assert cast.school.name == "Alice Senior School" and cast.school.code == "alice"
    bad = api(cast.admin).patch(
        f"/api/v1/schools/{cast.school.pk}/", {"timezone": "Mars/Base"}, format="json"
    )
    assert bad.status_code == 400 and bad.json()["error"]["fields"]["timezone"]
    assert (
        api(cast.admin)
        .patch(f"/api/v1/schools/{cast.school2.pk}/", {"name": "x"}, format="json")
        .status_code
        == 404
    )


def test_audit_log_lists_own_school_changes(cast, api):
    api(cast.admin).patch(
        f"/api/v1/users/{cast.teacher.user.pk}/", {"full_name": "T"}, format="json"
    )
    api(cast.admin2).patch(
        f"/api/v1/users/{cast.student2.user.pk}/", {"full_name": "Z"}, format="json"
    )
    rows = api(cast.admin).get("/api/v1/audit-log/").json()["results"]
    assert [(r["action"], r["actor_email"]) for r in rows] == [("user.update", "alice@alice.test")]
