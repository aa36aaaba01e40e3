"""Creating and changing people: users, student/teacher/staff profiles, guardian links.

Each function is one transaction, validates with `full_clean()` before saving, keeps every row
inside the acting school, and writes an audit record of what changed.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from apps.core import audit
from apps.core.exceptions import ApplicationError
from apps.core.services import apply_fields, audited_change, save_checked

from ..models import Guardian, Role, School, StaffProfile, StudentProfile, TeacherProfile, User

USER_AUDIT_FIELDS = [
    "email", "full_name", "phone", "role", "is_active", "email_verified", "language",
    "time_zone",
]  # fmt: skip
STUDENT_FIELDS = [
    "admission_number",
    "roll_number",
    "date_of_birth",
    "gender",
    "blood_group",
    "address",
    "emergency_contact_name",
    "emergency_contact_phone",
    "admission_date",
]
TEACHER_FIELDS = ["employee_code", "qualification", "joining_date"]
STAFF_FIELDS = ["employee_code", "designation"]
USER_WRITABLE = ["email", "full_name", "phone", "email_verified", "language", "time_zone"]


def _email_taken(email: str, exclude_pk=None) -> bool:
    qs = User.objects.filter(email__iexact=email)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def user_create(
    *,
    school: School,
    email: str,
    full_name: str,
    role: str,
    actor: User | None = None,
    phone: str = "",
    password: str | None = None,
    is_active: bool = True,
    email_verified: bool = False,
) -> User:
    """Create a user of `school`. E-mail is unique across the platform, case-insensitively.

    Admins and staff may sign in to the staff admin site; without a password the account
    cannot sign in until a reset link is used.
    """
    if role not in Role.values:
        raise ApplicationError(_("Unknown role."), fields={"role": [_("Unknown role.")]})
    email = User.objects.normalize_email(email).lower()
    if _email_taken(email):
        raise ApplicationError(
            _("A user with this e-mail already exists."),
            code="duplicate_email",
            fields={"email": [_("A user with this e-mail already exists.")]},
        )
    user = User(
        school=school,
        email=email,
        full_name=full_name,
        role=role,
        phone=phone,
        is_active=is_active,
        email_verified=email_verified,
        is_staff=role in (Role.ADMIN, Role.STAFF),
    )
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ApplicationError(
                _("The password is too weak."), fields={"password": list(exc.messages)}
            ) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    save_checked(user, exclude=["password"])
    audit.record(
        actor=actor,
        action="user.create",
        instance=user,
        after=audit.snapshot(user, USER_AUDIT_FIELDS),
    )
    return user


def user_update(*, user: User, actor: User | None, data: dict[str, Any]) -> User:
    """Change a user's own details. Role and school never change through here."""
    with audited_change(user, actor=actor, action="user.update", fields=USER_AUDIT_FIELDS):
        apply_fields(user, USER_WRITABLE, data)
        if "email" in data:
            user.email = User.objects.normalize_email(user.email).lower()
            if _email_taken(user.email, exclude_pk=user.pk):
                raise ApplicationError(
                    _("A user with this e-mail already exists."),
                    code="duplicate_email",
                    fields={"email": [_("A user with this e-mail already exists.")]},
                )
        if "profile_picture" in data:
            user.profile_picture = data["profile_picture"]
        save_checked(user, exclude=["password"])
    return user


@transaction.atomic
def user_set_active(*, user: User, actor: User | None, active: bool) -> User:
    """Activate or deactivate. A deactivated user cannot sign in; their refresh tokens die."""
    if actor is not None and user.pk == actor.pk and not active:
        raise ApplicationError(_("You cannot deactivate your own account."), code="self_deactivate")
    if user.is_active == active:
        return user
    before = audit.snapshot(user, USER_AUDIT_FIELDS)
    user.is_active = active
    user.save(update_fields=["is_active", "updated_at"])
    if not active:
        from .auth import sign_out_everywhere

        sign_out_everywhere(user)
    audit.record(
        actor=actor,
        action="user.activate" if active else "user.deactivate",
        instance=user,
        before=before,
        after=audit.snapshot(user, USER_AUDIT_FIELDS),
    )
    return user


def _create_with_profile(
    *,
    school: School,
    actor: User | None,
    role: str,
    user_data: dict[str, Any],
    profile_model,
    profile_fields: list[str],
    profile_data: dict[str, Any],
    action: str,
):
    user = user_create(
        school=school,
        actor=actor,
        role=role,
        email=user_data["email"],
        full_name=user_data["full_name"],
        phone=user_data.get("phone", ""),
        password=user_data.get("password"),
    )
    profile = profile_model(school=school, user=user)
    apply_fields(profile, profile_fields, profile_data)
    if profile_data.get("photo"):
        profile.photo = profile_data["photo"]
    save_checked(profile)
    audit.record(
        actor=actor, action=action, instance=profile, after=audit.snapshot(profile, profile_fields)
    )
    return profile


def _update_with_profile(
    *,
    profile,
    actor: User | None,
    user_data: dict[str, Any],
    fields: list[str],
    data: dict,
    action: str,
):
    if user_data:
        user_update(user=profile.user, actor=actor, data=user_data)
    with audited_change(profile, actor=actor, action=action, fields=fields):
        apply_fields(profile, fields, data)
        if "photo" in data:
            profile.photo = data["photo"]
        save_checked(profile)
    return profile


@transaction.atomic
def student_create(
    *, school: School, actor: User | None, user_data: dict[str, Any], profile_data: dict[str, Any]
) -> StudentProfile:
    """A student user and profile; the admission number is unique within the school."""
    if StudentProfile.objects.filter(
        school=school, admission_number=profile_data.get("admission_number", "")
    ).exists():
        raise ApplicationError(
            _("A student with this admission number already exists."),
            code="duplicate_admission_number",
            fields={
                "admission_number": [_("A student with this admission number already exists.")]
            },
        )
    return _create_with_profile(
        school=school,
        actor=actor,
        role=Role.STUDENT,
        user_data=user_data,
        profile_model=StudentProfile,
        profile_fields=STUDENT_FIELDS,
        profile_data=profile_data,
        action="student.create",
    )


@transaction.atomic
def student_update(
    *, student: StudentProfile, actor: User | None, user_data: dict[str, Any], profile_data: dict
) -> StudentProfile:
    number = profile_data.get("admission_number")
    if (
        number
        and StudentProfile.objects.filter(school_id=student.school_id, admission_number=number)
        .exclude(pk=student.pk)
        .exists()
    ):
        raise ApplicationError(
            _("A student with this admission number already exists."),
            code="duplicate_admission_number",
            fields={
                "admission_number": [_("A student with this admission number already exists.")]
            },
        )
    return _update_with_profile(
        profile=student,
        actor=actor,
        user_data=user_data,
        fields=STUDENT_FIELDS,
        data=profile_data,
        action="student.update",
    )


def _unique_code(model, school: School, code: str, exclude_pk=None) -> None:
    qs = model.objects.filter(school=school, employee_code=code)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if code and qs.exists():
        raise ApplicationError(
            _("This employee code is already in use."),
            code="duplicate_employee_code",
            fields={"employee_code": [_("This employee code is already in use.")]},
        )


@transaction.atomic
def teacher_create(
    *, school: School, actor: User | None, user_data: dict[str, Any], profile_data: dict[str, Any]
) -> TeacherProfile:
    _unique_code(TeacherProfile, school, profile_data.get("employee_code", ""))
    return _create_with_profile(
        school=school,
        actor=actor,
        role=Role.TEACHER,
        user_data=user_data,
        profile_model=TeacherProfile,
        profile_fields=TEACHER_FIELDS,
        profile_data=profile_data,
        action="teacher.create",
    )


@transaction.atomic
def teacher_update(
    *, teacher: TeacherProfile, actor: User | None, user_data: dict[str, Any], profile_data: dict
) -> TeacherProfile:
    _unique_code(TeacherProfile, teacher.school, profile_data.get("employee_code", ""), teacher.pk)
    return _update_with_profile(
        profile=teacher,
        actor=actor,
        user_data=user_data,
        fields=TEACHER_FIELDS,
        data=profile_data,
        action="teacher.update",
    )


@transaction.atomic
def staff_create(
    *, school: School, actor: User | None, user_data: dict[str, Any], profile_data: dict[str, Any]
) -> StaffProfile:
    _unique_code(StaffProfile, school, profile_data.get("employee_code", ""))
    return _create_with_profile(
        school=school,
        actor=actor,
        role=Role.STAFF,
        user_data=user_data,
        profile_model=StaffProfile,
        profile_fields=STAFF_FIELDS,
        profile_data=profile_data,
        action="staff.create",
    )


@transaction.atomic
def staff_update(
    *, staff: StaffProfile, actor: User | None, user_data: dict[str, Any], profile_data: dict
) -> StaffProfile:
    _unique_code(StaffProfile, staff.school, profile_data.get("employee_code", ""), staff.pk)
    return _update_with_profile(
        profile=staff,
        actor=actor,
        user_data=user_data,
        fields=STAFF_FIELDS,
        data=profile_data,
        action="staff.update",
    )


GUARDIAN_FIELDS = ["parent", "student", "relation", "is_primary"]


@transaction.atomic
def guardian_link(
    *,
    student: StudentProfile,
    actor: User | None,
    parent: User | None = None,
    parent_data: dict[str, Any] | None = None,
    relation: str = "guardian",
    is_primary: bool = False,
) -> Guardian:
    """Link a parent to a student of the same school, creating the parent account if needed.

    A student has at most one primary contact: making a new one primary demotes the old one.
    """
    school = student.school
    if parent is None:
        parent_data = parent_data or {}
        email = User.objects.normalize_email(parent_data.get("email", "")).lower()
        parent = User.objects.filter(email__iexact=email).first() if email else None
        if parent is None:
            parent = user_create(
                school=school,
                actor=actor,
                role=Role.PARENT,
                email=email,
                full_name=parent_data.get("full_name", ""),
                phone=parent_data.get("phone", ""),
            )
    if parent.school_id != school.pk or parent.role != Role.PARENT:
        raise ApplicationError(
            _("Only a parent account of the same school can be linked."),
            code="invalid_parent",
            fields={"parent": [_("Only a parent account of the same school can be linked.")]},
        )
    if Guardian.objects.filter(parent=parent, student=student).exists():
        raise ApplicationError(
            _("This parent is already linked to this student."),
            code="duplicate_link",
            fields={"parent": [_("This parent is already linked to this student.")]},
        )
    if is_primary:
        Guardian.objects.filter(student=student, is_primary=True).update(is_primary=False)
    link = Guardian(
        school=school, parent=parent, student=student, relation=relation, is_primary=is_primary
    )
    save_checked(link)
    audit.record(
        actor=actor,
        action="guardian.link",
        instance=link,
        after=audit.snapshot(link, GUARDIAN_FIELDS),
    )
    return link


@transaction.atomic
def guardian_update(*, link: Guardian, actor: User | None, data: dict[str, Any]) -> Guardian:
    with audited_change(link, actor=actor, action="guardian.update", fields=GUARDIAN_FIELDS):
        if data.get("is_primary"):
            Guardian.objects.filter(student=link.student, is_primary=True).exclude(
                pk=link.pk
            ).update(is_primary=False)
        apply_fields(link, ["relation", "is_primary"], data)
        save_checked(link)
    return link


@transaction.atomic
def guardian_unlink(*, link: Guardian, actor: User | None) -> None:
    audit.record(
        actor=actor,
        action="guardian.unlink",
        instance=link,
        before=audit.snapshot(link, GUARDIAN_FIELDS),
    )
    link.delete()


SCHOOL_FIELDS = ["name", "timezone", "address", "contact_email", "contact_phone", "language"]


@transaction.atomic
def school_update(*, school: School, actor: User | None, data: dict[str, Any]) -> School:
    """Admins edit their school's details; code and active flag are the platform's."""
    before = audit.snapshot(school, SCHOOL_FIELDS)
    apply_fields(school, SCHOOL_FIELDS, data)
    if "logo" in data:
        school.logo = data["logo"]
    save_checked(school)
    audit.record(
        actor=actor,
        action="school.update",
        instance=school,
        school=school,
        before=before,
        after=audit.snapshot(school, SCHOOL_FIELDS),
    )
    return school
