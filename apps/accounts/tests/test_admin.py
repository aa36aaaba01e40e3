"""The staff admin through the browser's eyes: who gets in, what each persona sees and may do."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.duties import ACCOUNTANT
from apps.accounts.models import Guardian, Role, School, StudentProfile, User
from apps.accounts.tests.factories import PASSWORD, StudentFactory, UserFactory
from apps.core.admin import Schools24AdminSite
from apps.core.models import AuditLog

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


def signed_in(client, user):
    client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


# --- Who gets in --------------------------------------------------------------------------------
def test_school_admin_signs_in_with_password(client, cast):
    response = client.post(
        url("login"), {"username": cast.admin.email, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    index = client.get("/admin/")
    assert index.status_code == 200
    body = html(index)
    assert "Schools24" in body
    assert "Alice Public School" in body  # the school is named in the header
    assert reverse("admin:accounts_studentprofile_changelist") in body


@pytest.mark.parametrize("persona", ["teacher", "student", "parent"])
def test_teachers_students_parents_cannot_sign_in(client, cast, persona):
    user = cast.user(persona)
    response = client.post(url("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 200  # the form again, with an error
    assert response.context["form"].errors
    assert client.get("/admin/").status_code == 302

    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(url("login"))
    assert client.get(url("accounts_studentprofile_changelist")).status_code == 302


@pytest.mark.parametrize("persona", ["teacher", "student", "parent"])
def test_site_refuses_other_roles_even_with_admin_site_access(cast, persona):
    """A teacher mistakenly given is_staff still may not use the admin."""
    user = cast.user(persona)
    user.is_staff = True
    user.save()
    request = RequestFactory().get("/admin/")
    request.user = user
    assert Schools24AdminSite().has_permission(request) is False

    form = Schools24AdminSite().login_form(
        request, data={"username": user.email, "password": PASSWORD}
    )
    assert not form.is_valid()


def test_the_admin_site_is_the_schools24_site(client, cast):
    teacher = cast.teacher.user
    teacher.is_staff = True
    teacher.save()
    client.force_login(teacher)
    assert client.get("/admin/").status_code == 302
    assert isinstance(admin.site._wrapped, Schools24AdminSite)


def test_site_admits_school_admins_staff_and_platform_superusers(cast, root):
    site = Schools24AdminSite()
    for user, allowed in [
        (cast.admin, True),
        (cast.accountant.user, True),
        (root, True),
        (cast.teacher.user, False),
    ]:
        request = RequestFactory().get("/admin/")
        request.user = user
        assert site.has_permission(request) is allowed, user.email


def test_inactive_admin_cannot_sign_in(client, cast):
    cast.admin.is_active = False
    cast.admin.save()
    response = client.post(url("login"), {"username": cast.admin.email, "password": PASSWORD})
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


# --- What a school admin sees ------------------------------------------------------------------
def test_school_admin_sees_only_own_school_users(client, cast):
    body = html(signed_in(client, cast.admin).get(url("accounts_user_changelist")))
    for name in ["Sam Student", "Pat Parent", "Tara Teacher", "Ajay Accountant"]:
        assert name in body
    assert "Zed Student" not in body
    assert "Bob Admin" not in body
    assert "bob@bob.test" not in body


def test_school_admin_sees_only_own_school_students(client, cast):
    response = signed_in(client, cast.admin).get(url("accounts_studentprofile_changelist"))
    assert response.status_code == 200
    body = html(response)
    assert "Sam Student" in body and "Sia Student" in body and "Oscar Other" in body
    assert "Zed Student" not in body


def test_school_filter_and_other_schools_hidden_from_school_admin(client, cast):
    response = signed_in(client, cast.admin).get(url("accounts_user_changelist"))
    assert response.status_code == 200
    body = html(response)
    assert "Alice Admin" in body and response.context["cl"].result_count > 0
    assert "Bob International" not in body  # not even as a filter choice


def test_search_stays_inside_the_school(client, cast):
    response = signed_in(client, cast.admin).get(url("accounts_user_changelist"), {"q": "Student"})
    body = html(response)
    assert "Sam Student" in body
    assert "Zed Student" not in body


@pytest.mark.parametrize(
    "name, other",
    [
        ("accounts_studentprofile_change", lambda c: c.student2.pk),
        ("accounts_user_change", lambda c: c.admin2.pk),
        ("accounts_school_change", lambda c: c.school2.pk),
    ],
)
def test_other_schools_objects_are_not_found(client, cast, name, other):
    signed_in(client, cast.admin)
    response = client.get(url(name, other(cast)))
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    followed = client.get(response["Location"])
    assert "Zed Student" not in html(followed) and "Bob International" not in html(followed)
    assert "exist" in html(followed)  # "... with ID ... doesn't exist. Perhaps it was deleted?"


def test_other_schools_object_cannot_be_changed(client, cast):
    signed_in(client, cast.admin)
    zed = cast.student2.user
    response = client.post(
        url("accounts_user_change", zed.pk),
        {"email": zed.email, "full_name": "Hijacked", "is_active": "on"},
    )
    assert response.status_code == 302
    zed.refresh_from_db()
    assert zed.full_name == "Zed Student"


def test_other_schools_object_cannot_be_acted_on(client, cast):
    signed_in(client, cast.admin)
    zed = cast.student2.user
    client.post(
        url("accounts_user_changelist"),
        {"action": "deactivate_users", "_selected_action": [str(zed.pk)], "index": 0},
    )
    zed.refresh_from_db()
    assert zed.is_active is True


def test_autocomplete_offers_only_own_school_parents(client, cast):
    signed_in(client, cast.admin)
    UserFactory(school=cast.school2, role=Role.PARENT, full_name="Pia Parent", email="pia@bob.test")
    response = client.get(
        url("autocomplete"),
        {
            "app_label": "accounts",
            "model_name": "guardian",
            "field_name": "parent",
            "term": "Pa",
        },
    )
    assert response.status_code == 200
    names = [r["text"] for r in response.json()["results"]]
    assert any("Pat Parent" in n for n in names)
    assert not any("Pia Parent" in n for n in names)


# --- What a school admin may do ----------------------------------------------------------------
def _student_post(**overrides):
    data = {
        "full_name": "Nina New",
        "email": "Nina@Alice.test",
        "phone": "",
        "password": "",
        "admission_number": "ADM-NEW-1",
        "roll_number": "7",
        "admission_date": "2024-06-01",
        "date_of_birth": "2014-02-03",
        "gender": "female",
        "blood_group": "O+",
        "address": "",
        "emergency_contact_name": "",
        "emergency_contact_phone": "",
        "guardians-TOTAL_FORMS": "0",
        "guardians-INITIAL_FORMS": "0",
        "guardians-MIN_NUM_FORMS": "0",
        "guardians-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_school_admin_creates_student_in_own_school(client, cast):
    signed_in(client, cast.admin)
    # A forged school id is ignored: the school comes from the admin's account.
    response = client.post(
        url("accounts_studentprofile_add"),
        _student_post(school=str(cast.school2.pk)),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    student = StudentProfile.objects.select_related("user").get(admission_number="ADM-NEW-1")
    assert student.school == cast.school
    assert student.user.school == cast.school
    assert student.user.role == Role.STUDENT
    assert student.user.email == "nina@alice.test"
    assert not student.user.has_usable_password()  # no password given: reset link first
    actions = set(
        AuditLog.objects.filter(actor=cast.admin, school=cast.school).values_list(
            "action", flat=True
        )
    )
    assert {"user.create", "student.create"} <= actions


def test_student_with_guardian_inline_links_through_service(client, cast):
    signed_in(client, cast.admin)
    data = _student_post(
        **{
            "guardians-TOTAL_FORMS": "1",
            "guardians-0-parent": str(cast.parent.pk),
            "guardians-0-relation": "father",
            "guardians-0-is_primary": "on",
        }
    )
    response = client.post(url("accounts_studentprofile_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    student = StudentProfile.objects.get(admission_number="ADM-NEW-1")
    link = Guardian.objects.get(student=student)
    assert link.parent == cast.parent and link.is_primary and link.school == cast.school
    assert AuditLog.objects.filter(action="guardian.link", object_id=str(link.pk)).exists()


def test_duplicate_admission_number_is_a_form_error(client, cast):
    signed_in(client, cast.admin)
    response = client.post(
        url("accounts_studentprofile_add"),
        _student_post(admission_number=cast.student.admission_number),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert StudentProfile.objects.filter(school=cast.school).count() == 3


def test_same_admission_number_allowed_in_another_school(client, cast):
    signed_in(client, cast.admin)
    response = client.post(
        url("accounts_studentprofile_add"),
        _student_post(admission_number=cast.student2.admission_number),
    )
    assert response.status_code == 302


def test_school_admin_changes_student_details_through_service(client, cast):
    signed_in(client, cast.admin)
    student = cast.other_student
    page = html(client.get(url("accounts_studentprofile_change", student.pk)))
    assert 'value="oscar@alice.test"' in page and 'value="Oscar Other"' in page
    data = _student_post(
        full_name="Oscar Renamed",
        email=student.user.email,
        admission_number=student.admission_number,
        roll_number="42",
    )
    data.pop("password")
    response = client.post(url("accounts_studentprofile_change", student.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    student.refresh_from_db()
    student.user.refresh_from_db()
    assert student.roll_number == "42"
    assert student.user.full_name == "Oscar Renamed"
    update = AuditLog.objects.get(action="student.update", object_id=str(student.pk))
    assert update.before["roll_number"] != "42" and update.after["roll_number"] == "42"


def _user_post(user: User, **overrides):
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "phone": user.phone,
        "is_active": "on" if user.is_active else "",
        "email_verified": "on" if user.email_verified else "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


def test_school_admin_changes_user_school_stays(client, cast):
    signed_in(client, cast.admin)
    parent = cast.parent
    response = client.post(
        url("accounts_user_change", parent.pk),
        _user_post(parent, full_name="Pat Renamed", school=str(cast.school2.pk), role="admin"),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    parent.refresh_from_db()
    assert parent.full_name == "Pat Renamed"
    assert parent.school == cast.school
    assert parent.role == Role.PARENT
    entry = AuditLog.objects.get(action="user.update", object_id=str(parent.pk))
    assert entry.actor == cast.admin
    assert entry.after == {"full_name": "Pat Renamed"}


def test_school_admin_creates_user_in_own_school(client, cast):
    signed_in(client, cast.admin)
    response = client.post(
        url("accounts_user_add"),
        {
            "email": "newstaff@alice.test",
            "full_name": "Neha Staff",
            "role": "staff",
            "school": str(cast.school2.pk),
            "usable_password": "true",
            "password1": "a-very-long-passphrase-1",
            "password2": "a-very-long-passphrase-1",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="newstaff@alice.test")
    assert user.school == cast.school
    assert user.is_staff is True  # staff may use the admin (the service decides)
    assert user.check_password("a-very-long-passphrase-1")
    assert AuditLog.objects.filter(action="user.create", object_id=str(user.pk)).exists()


def test_school_admin_cannot_grant_superuser_or_permissions(client, cast):
    signed_in(client, cast.admin)
    staff = cast.accountant.user
    form_page = client.get(url("accounts_user_change", staff.pk))
    form = form_page.context["adminform"].form
    assert "is_superuser" not in form.fields
    assert "user_permissions" not in form.fields
    assert "is_staff" not in form.fields
    assert set(form.fields["groups"].queryset.values_list("name", flat=True)) <= {
        "Accountant",
        "Transport manager",
        "Store manager",
    }
    transport = Group.objects.get(name="Transport manager")
    response = client.post(
        url("accounts_user_change", staff.pk),
        _user_post(staff, is_superuser="on", is_staff="", groups=[str(transport.pk)]),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    staff.refresh_from_db()
    assert staff.is_superuser is False
    assert staff.is_staff is True
    assert list(staff.groups.values_list("name", flat=True)) == ["Transport manager"]
    duties = AuditLog.objects.get(action="user.duties", object_id=str(staff.pk))
    assert duties.before["groups"] == [ACCOUNTANT]
    assert duties.after["groups"] == ["Transport manager"]


def test_duties_only_for_staff(client, cast):
    signed_in(client, cast.admin)
    accountant = Group.objects.get(name=ACCOUNTANT)
    response = client.post(
        url("accounts_user_change", cast.parent.pk),
        _user_post(cast.parent, groups=[str(accountant.pk)]),
    )
    assert response.status_code == 200
    assert "groups" in response.context["adminform"].form.errors
    assert not cast.parent.groups.exists()


def test_school_admin_edits_own_school_but_cannot_add_or_delete_schools(client, cast):
    signed_in(client, cast.admin)
    body = html(client.get(url("accounts_school_changelist")))
    assert "Alice Public School" in body and "Bob International" not in body
    assert client.get(url("accounts_school_add")).status_code == 403
    assert client.post(url("accounts_school_delete", cast.school.pk)).status_code == 403
    response = client.post(
        url("accounts_school_change", cast.school.pk),
        {
            "name": "Alice Public School, Indiranagar",
            "timezone": "Asia/Kolkata",
            "address": "",
            "contact_email": "office@alice.test",
            "contact_phone": "",
            "code": "hijack",
            "is_active": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    cast.school.refresh_from_db()
    assert cast.school.name == "Alice Public School, Indiranagar"
    assert cast.school.code == "alice" and cast.school.is_active  # the platform's fields
    assert AuditLog.objects.filter(action="school.update", school=cast.school).exists()


def test_school_admin_reads_own_audit_log_only_and_cannot_edit_it(client, cast):
    from apps.core import audit

    audit.record(actor=cast.admin, action="test.alice", instance=cast.student.user)
    entry2 = audit.record(actor=cast.admin2, action="test.bob", instance=cast.student2.user)
    signed_in(client, cast.admin)
    body = html(client.get(url("core_auditlog_changelist")))
    assert "test.alice" in body and "test.bob" not in body
    assert client.get(url("core_auditlog_add")).status_code == 403
    assert client.get(url("core_auditlog_change", entry2.pk)).status_code == 302
    own = AuditLog.objects.get(action="test.alice")
    page = client.get(url("core_auditlog_change", own.pk))
    assert page.status_code == 200
    assert client.post(url("core_auditlog_change", own.pk), {}).status_code == 403
    assert client.post(url("core_auditlog_delete", own.pk), {"post": "yes"}).status_code == 403
    assert AuditLog.objects.filter(pk=own.pk).exists()


def test_nobody_changes_the_audit_log_not_even_superusers(client, cast, root):
    from apps.core import audit

    entry = audit.record(actor=cast.admin, action="test.alice", instance=cast.student.user)
    signed_in(client, root)
    assert client.get(url("core_auditlog_add")).status_code == 403
    assert client.post(url("core_auditlog_delete", entry.pk), {"post": "yes"}).status_code == 403
    assert client.get(url("core_auditlog_change", entry.pk)).status_code == 200


# --- Staff: by permission --------------------------------------------------------------------
def test_accountant_views_students_but_cannot_change_them(client, cast):
    signed_in(client, cast.accountant.user)
    response = client.get(url("accounts_studentprofile_changelist"))
    assert response.status_code == 200
    body = html(response)
    assert "Sam Student" in body and "Zed Student" not in body

    page = client.get(url("accounts_studentprofile_change", cast.student.pk))
    assert page.status_code == 200
    assert "Sam Student" in html(page)  # read-only view shows the person
    data = _student_post(
        full_name="Changed",
        email=cast.student.user.email,
        admission_number=cast.student.admission_number,
    )
    response = client.post(url("accounts_studentprofile_change", cast.student.pk), data)
    assert response.status_code == 403
    cast.student.user.refresh_from_db()
    assert cast.student.user.full_name == "Sam Student"

    assert client.get(url("accounts_studentprofile_add")).status_code == 403
    assert client.post(url("accounts_user_change", cast.parent.pk), {}).status_code == 403


def test_accountant_has_no_screens_without_permission(client, cast):
    signed_in(client, cast.accountant.user)
    assert client.get(url("accounts_teacherprofile_changelist")).status_code == 403
    assert client.get(url("core_auditlog_changelist")).status_code == 403
    index = html(client.get("/admin/"))
    assert reverse("admin:accounts_studentprofile_changelist") in index
    assert reverse("admin:accounts_teacherprofile_changelist") not in index


def test_accountant_sees_no_actions(client, cast):
    signed_in(client, cast.accountant.user)
    response = client.get(url("accounts_user_changelist"))
    assert response.status_code == 200
    assert "Sam Student" in html(response)  # the list is there, without the action
    assert "deactivate_users" not in html(response)
    client.post(
        url("accounts_user_changelist"),
        {"action": "deactivate_users", "_selected_action": [str(cast.parent.pk)], "index": 0},
    )
    cast.parent.refresh_from_db()
    assert cast.parent.is_active


# --- Platform superuser ----------------------------------------------------------------------
def test_superuser_sees_both_schools(client, cast, root):
    signed_in(client, root)
    body = html(client.get(url("accounts_studentprofile_changelist")))
    assert "Sam Student" in body and "Zed Student" in body
    body = html(client.get(url("accounts_school_changelist")))
    assert "Alice Public School" in body and "Bob International" in body
    assert client.get(url("accounts_school_add")).status_code == 200
    assert client.get(url("accounts_studentprofile_change", cast.student2.pk)).status_code == 200


def test_superuser_adds_school(client, root):
    signed_in(client, root)
    response = client.post(
        url("accounts_school_add"),
        {"name": "Carol Convent", "code": "carol", "timezone": "Asia/Kolkata", "is_active": "on"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    school = School.objects.get(code="carol")
    assert AuditLog.objects.filter(action="school.create", object_id=str(school.pk)).exists()


def test_superuser_cannot_link_parent_across_schools(client, cast, root):
    signed_in(client, root)
    response = client.post(
        url("accounts_guardian_add"),
        {
            "student": str(cast.student2.pk),
            "parent": str(cast.parent.pk),
            "relation": "father",
        },
    )
    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    assert not Guardian.objects.filter(student=cast.student2).exists()


# --- Actions -------------------------------------------------------------------------------------
def test_deactivate_and_activate_actions(client, cast):
    signed_in(client, cast.admin)
    targets = [cast.parent, cast.teacher.user]
    ids = [str(u.pk) for u in targets]
    response = client.post(
        url("accounts_user_changelist"),
        {"action": "deactivate_users", "_selected_action": ids, "index": 0},
    )
    assert response.status_code == 302
    for user in targets:
        user.refresh_from_db()
        assert user.is_active is False
    rows = AuditLog.objects.filter(action="user.deactivate", actor=cast.admin)
    assert {r.object_id for r in rows} == set(ids)
    assert all(r.before == {"is_active": True} and r.after == {"is_active": False} for r in rows)

    client.post(
        url("accounts_user_changelist"),
        {"action": "activate_users", "_selected_action": ids, "index": 0},
    )
    for user in targets:
        user.refresh_from_db()
        assert user.is_active is True
    assert AuditLog.objects.filter(action="user.activate", actor=cast.admin).count() == 2


def test_deactivate_action_on_student_profiles(client, cast):
    signed_in(client, cast.admin)
    client.post(
        url("accounts_studentprofile_changelist"),
        {"action": "deactivate_users", "_selected_action": [str(cast.sibling.pk)], "index": 0},
    )
    cast.sibling.user.refresh_from_db()
    assert cast.sibling.user.is_active is False
    assert AuditLog.objects.filter(
        action="user.deactivate", object_id=str(cast.sibling.user.pk)
    ).exists()


def test_admin_cannot_deactivate_self(client, cast):
    signed_in(client, cast.admin)
    response = client.post(
        url("accounts_user_changelist"),
        {"action": "deactivate_users", "_selected_action": [str(cast.admin.pk)], "index": 0},
        follow=True,
    )
    cast.admin.refresh_from_db()
    assert cast.admin.is_active is True
    assert "cannot deactivate your own account" in html(response)


def test_password_reset_action_sends_email(client, cast, django_capture_on_commit_callbacks):
    signed_in(client, cast.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("accounts_user_changelist"),
            {
                "action": "send_password_reset",
                "_selected_action": [str(cast.parent.pk)],
                "index": 0,
            },
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [cast.parent.email]
    assert "reset-password?uid=" in message.body


def test_admin_sets_password_signs_out_and_is_logged(client, cast):
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
    from rest_framework_simplejwt.tokens import RefreshToken

    session = RefreshToken.for_user(cast.parent)
    signed_in(client, cast.admin)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[cast.parent.pk]),
        {
            "usable_password": "true",
            "password1": "another-long-passphrase-9",
            "password2": "another-long-passphrase-9",
        },
    )
    assert response.status_code == 302
    cast.parent.refresh_from_db()
    assert cast.parent.check_password("another-long-passphrase-9")
    assert AuditLog.objects.filter(action="user.password_set", object_id=str(cast.parent.pk))
    assert BlacklistedToken.objects.filter(token__jti=session["jti"]).exists()


# --- Every screen renders, for each kind of admin user ------------------------------------------
SCREENS = ["school", "user", "studentprofile", "teacherprofile", "staffprofile", "guardian"]


@pytest.mark.parametrize("who", ["admin", "root"])
@pytest.mark.parametrize("model", [*SCREENS, "auditlog"])
def test_every_screen_renders(client, cast, root, who, model):
    from apps.core import audit

    audit.record(actor=cast.admin, action="test.render", instance=cast.student.user)
    user = root if who == "root" else cast.admin
    app = "core" if model == "auditlog" else "accounts"
    signed_in(client, user)
    assert client.get(url(f"{app}_{model}_changelist")).status_code == 200
    objects = {
        "school": cast.school,
        "user": cast.parent,
        "studentprofile": cast.student,
        "teacherprofile": cast.teacher,
        "staffprofile": cast.accountant,
        "guardian": Guardian.objects.filter(student=cast.student).first(),
        "auditlog": AuditLog.objects.filter(action="test.render").first(),
    }
    assert client.get(url(f"{app}_{model}_change", objects[model].pk)).status_code == 200
    if model not in ("auditlog",) and not (model == "school" and who == "admin"):
        assert client.get(url(f"{app}_{model}_add")).status_code == 200


# --- No N+1 on changelists -----------------------------------------------------------------------
def _changelist_queries(client, name: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url(name))
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "name",
    [
        "accounts_studentprofile_changelist",
        "accounts_user_changelist",
        "accounts_guardian_changelist",
        "accounts_staffprofile_changelist",
        "core_auditlog_changelist",
    ],
)
def test_changelist_query_count_does_not_grow_with_rows(
    client, cast, django_assert_max_num_queries, name
):
    from apps.accounts.tests.factories import GuardianFactory, StaffFactory
    from apps.core import audit

    signed_in(client, cast.admin)

    def grow(n):
        for _ in range(n):
            student = StudentFactory(school=cast.school)
            GuardianFactory(student=student)
            StaffFactory(school=cast.school, user__duties=[ACCOUNTANT])
            audit.record(actor=cast.admin, action="test.grow", instance=student)

    grow(3)
    few = _changelist_queries(client, name)
    grow(27)
    with django_assert_max_num_queries(few):
        response = client.get(url(name))
    assert response.status_code == 200


def test_service_refusal_rolls_back_and_shows_message(client, cast):
    """A rule only the service knows (no self-deactivation) undoes the whole save."""
    signed_in(client, cast.admin)
    change = url("accounts_user_change", cast.admin.pk)
    response = client.post(change, _user_post(cast.admin, full_name="Alice Renamed", is_active=""))
    assert response.status_code == 302
    assert response["Location"] == change
    cast.admin.refresh_from_db()
    assert cast.admin.is_active is True
    assert cast.admin.full_name == "Alice Admin"  # the rename rolled back with it
    assert not AuditLog.objects.filter(action="user.update", object_id=str(cast.admin.pk))
    page = client.get(change)
    assert "cannot deactivate your own account" in html(page)


def test_guardian_inline_updates_and_unlinks_through_services(client, cast):
    signed_in(client, cast.admin)
    student = cast.student
    link = Guardian.objects.get(student=student, parent=cast.parent)
    data = _student_post(
        full_name=student.user.full_name,
        email=student.user.email,
        admission_number=student.admission_number,
        roll_number=student.roll_number,
        gender=student.gender,
        admission_date="",
        date_of_birth="",
        blood_group="",
        **{
            "guardians-TOTAL_FORMS": "1",
            "guardians-INITIAL_FORMS": "1",
            "guardians-0-id": str(link.pk),
            "guardians-0-student": str(student.pk),
            "guardians-0-parent": str(cast.parent.pk),
            "guardians-0-relation": "father",
            "guardians-0-is_primary": "on",
        },
    )
    data.pop("password")
    response = client.post(url("accounts_studentprofile_change", student.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    link.refresh_from_db()
    assert link.relation == "father"
    assert AuditLog.objects.filter(action="guardian.update", object_id=str(link.pk)).exists()

    data["guardians-0-DELETE"] = "on"
    response = client.post(url("accounts_studentprofile_change", student.pk), data)
    assert response.status_code == 302
    assert not Guardian.objects.filter(pk=link.pk).exists()
    assert AuditLog.objects.filter(action="guardian.unlink", object_id=str(link.pk)).exists()


def test_view_only_user_page_hides_password_hash(client, cast):
    signed_in(client, cast.accountant.user)
    response = client.get(url("accounts_user_change", cast.parent.pk))
    assert response.status_code == 200
    body = html(response)
    assert "Pat Parent" in body
    assert cast.parent.password not in body
    assert "md5$" not in body
