from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core import uploads
from apps.core.api import rows
from apps.core.api.fields import SchoolRelatedField
from apps.core.api.serializers import BuiltOnceFieldsMixin
from apps.core.exceptions import ApplicationError

from ..models import (
    NAME_MAX_LENGTH,
    BloodGroup,
    Gender,
    Guardian,
    Language,
    Relation,
    Role,
    School,
    StaffProfile,
    StudentProfile,
    TeacherProfile,
    User,
    phone_validator,
    validate_person_name,
    validate_timezone,
)


class PersonNameField(serializers.CharField):
    """A person's full name (`validate_person_name`); surrounding spaces are dropped."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", NAME_MAX_LENGTH)
        super().__init__(**kwargs)
        self.validators.append(validate_person_name)


class CheckedImageField(serializers.ImageField):
    """An image upload within `UPLOAD_IMAGE_MAX_BYTES`, of an image type by its content
    (`apps.core.uploads.check_image`), checked before Pillow decodes it."""

    def to_internal_value(self, data):
        if hasattr(data, "read"):
            try:
                uploads.check_image(data)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.messages) from None
        return super().to_internal_value(data)


def _file_url(field_file, request) -> str | None:
    if not field_file:
        return None
    url = field_file.url
    return request.build_absolute_uri(url) if request is not None and url.startswith("/") else url


# --- Schools and users ---------------------------------------------------------------------------
class SchoolSerializer(BuiltOnceFieldsMixin, serializers.ModelSerializer):
    logo_url = serializers.SerializerMethodField()

    class Meta:
        model = School
        fields = [
            "id", "name", "code", "timezone", "language", "address", "contact_email",
            "contact_phone", "logo_url", "is_active", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "code", "is_active", "created_at", "updated_at"]

    def get_logo_url(self, obj) -> str | None:
        return _file_url(obj.logo, self.context.get("request"))


class UserSummarySerializer(serializers.ModelSerializer):
    school = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "role", "school"]

    def get_school(self, obj) -> dict | None:
        if obj.school_id is None:
            return None
        return {"id": str(obj.school_id), "name": obj.school.name, "code": obj.school.code}


class UserSerializer(serializers.ModelSerializer):
    profile_picture_url = serializers.SerializerMethodField()
    language = serializers.ChoiceField(
        choices=Language.choices,
        allow_blank=True,
        read_only=True,
        help_text=_("What notifications are written in; blank: the school's default."),
    )
    last_login_at = serializers.DateTimeField(source="last_login", read_only=True)
    school = serializers.UUIDField(source="school_id", read_only=True)
    time_zone = serializers.CharField(
        read_only=True,
        help_text=_("The user's IANA time zone for quiet hours; blank: the school's."),
    )

    class Meta:
        model = User
        fields = [
            "id", "email", "full_name", "role", "phone", "language", "time_zone", "school",
            "profile_picture_url", "is_active", "email_verified", "last_login_at", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_profile_picture_url(self, obj) -> str | None:
        return _file_url(obj.profile_picture, self.context.get("request"))


class UserCreateSerializer(serializers.Serializer):
    email = serializers.EmailField()
    full_name = PersonNameField()
    role = serializers.ChoiceField(choices=Role.choices)
    phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, validators=[phone_validator]
    )
    password = serializers.CharField(
        required=False, write_only=True, style={"input_type": "password"},
        help_text=_("Optional; without it the user sets one through a reset e-mail."),
    )  # fmt: skip


class UserUpdateSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False)
    full_name = PersonNameField(required=False)
    phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, validators=[phone_validator]
    )
    email_verified = serializers.BooleanField(required=False)


class MeUpdateSerializer(serializers.Serializer):
    full_name = PersonNameField(required=False)
    phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, validators=[phone_validator]
    )
    language = serializers.ChoiceField(
        choices=Language.choices,
        required=False,
        allow_blank=True,
        help_text=_("What notifications are written in: en or hi; blank: the school's default."),
    )
    time_zone = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text=_(
            "An IANA time zone name (Asia/Kolkata) quiet hours are read in; blank: the school's."
        ),
    )
    profile_picture = CheckedImageField(required=False, allow_null=True)

    def validate_time_zone(self, value: str) -> str:
        if value:
            try:
                validate_timezone(value)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.messages) from exc
        return value


class MeSerializer(BuiltOnceFieldsMixin, UserSerializer):
    school_detail = SchoolSerializer(source="school", read_only=True)
    children = serializers.SerializerMethodField()

    class Meta(UserSerializer.Meta):
        fields = UserSerializer.Meta.fields + ["school_detail", "children"]
        read_only_fields = fields

    def get_children(self, obj) -> list[dict]:
        if obj.role != Role.PARENT:
            return []
        links = obj.guardianships.select_related("student__user")
        return [
            {
                "student": str(link.student_id),
                "full_name": link.student.user.full_name,
                "admission_number": link.student.admission_number,
                "relation": link.relation,
            }
            for link in links
        ]


# --- Auth ------------------------------------------------------------------------------------------
class SignInEmailField(serializers.EmailField):
    """An address as typed at sign-in, in its normalised form (`services.email_normalise`):
    look-alike spellings become one address, and one still not plain ASCII is a field error."""

    def to_internal_value(self, data):
        from ..services import email_normalise

        value = super().to_internal_value(data)
        try:
            return email_normalise(value)
        except ApplicationError as exc:
            raise serializers.ValidationError(exc.fields["email"]) from exc


class TokenRequestSerializer(serializers.Serializer):
    email = SignInEmailField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenResponseSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    user = UserSummarySerializer()


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class TokenRefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField()
    access = serializers.CharField(read_only=True)


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(trim_whitespace=False)
    new_password = serializers.CharField(trim_whitespace=False)


class PasswordResetRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()


class PasswordResetConfirmSerializer(serializers.Serializer):
    uid = serializers.CharField()
    token = serializers.CharField()
    new_password = serializers.CharField(trim_whitespace=False)


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


# --- Profiles ------------------------------------------------------------------------------------
class GuardianOfStudentSerializer(serializers.ModelSerializer):
    parent = serializers.UUIDField(source="parent_id", read_only=True)
    full_name = serializers.CharField(source="parent.full_name", read_only=True)
    email = serializers.EmailField(source="parent.email", read_only=True)
    phone = serializers.CharField(source="parent.phone", read_only=True)

    class Meta:
        model = Guardian
        fields = ["id", "parent", "full_name", "email", "phone", "relation", "is_primary"]
        read_only_fields = fields


class ProfileUserFields(serializers.Serializer):
    """The user half of a profile, shown flat beside the profile's own fields."""

    user = serializers.UUIDField(source="user_id", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)
    phone = serializers.CharField(source="user.phone", read_only=True)
    is_active = serializers.BooleanField(source="user.is_active", read_only=True)


class NamedRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class CurrentEnrollmentSerializer(serializers.Serializer):
    """Where a student is this academic year."""

    academic_year = NamedRefSerializer()
    school_class = NamedRefSerializer()
    section = NamedRefSerializer(help_text=_("The section with its class, e.g. 5-A."))
    roll_number = serializers.IntegerField(help_text=_("Roll number in the section."))


class StudentListItemSerializer(serializers.Serializer):
    """A student in a list: who and where, without guardians or personal details (those are
    on the student's detail)."""

    id = serializers.UUIDField()
    user = serializers.UUIDField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    is_active = serializers.BooleanField()
    admission_number = serializers.CharField()
    roll_number = serializers.CharField()
    gender = serializers.ChoiceField(choices=Gender.choices, allow_blank=True)
    admission_date = serializers.DateField(allow_null=True)
    photo_url = serializers.CharField(allow_null=True)
    current_enrollment = CurrentEnrollmentSerializer(allow_null=True)


def _named(ref: dict | None) -> dict | None:
    return None if ref is None else {"id": rows.text(ref["id"]), "name": rows.text(ref["name"])}


def student_list_rows(students: list[dict]) -> list[dict]:
    """`StudentListItemSerializer(students, many=True).data` for `selectors.student_summaries`
    rows, built directly (`apps.core.api.rows`); the tests check that both give the same."""
    out = []
    for row in students:
        enrollment = row["current_enrollment"]
        out.append(
            {
                "id": rows.text(row["id"]),
                "user": rows.text(row["user"]),
                "email": rows.text(row["email"]),
                "full_name": rows.text(row["full_name"]),
                "is_active": rows.boolean(row["is_active"]),
                "admission_number": rows.text(row["admission_number"]),
                "roll_number": rows.text(row["roll_number"]),
                "gender": row["gender"],
                "admission_date": rows.iso_date(row["admission_date"]),
                "photo_url": rows.text(row["photo_url"]),
                "current_enrollment": None
                if enrollment is None
                else {
                    "academic_year": _named(enrollment["academic_year"]),
                    "school_class": _named(enrollment["school_class"]),
                    "section": _named(enrollment["section"]),
                    "roll_number": rows.integer(enrollment["roll_number"]),
                },
            }
        )
    return out


class StudentSerializer(ProfileUserFields, serializers.ModelSerializer):
    # Declared so the schema's enums say what is stored: a choice, or blank when not given.
    gender = serializers.ChoiceField(choices=Gender.choices, allow_blank=True, read_only=True)
    blood_group = serializers.ChoiceField(
        choices=BloodGroup.choices, allow_blank=True, read_only=True
    )
    guardians = GuardianOfStudentSerializer(many=True, read_only=True)
    photo_url = serializers.SerializerMethodField()
    current_enrollment = serializers.SerializerMethodField(
        help_text=_("Academic year, class, section and roll number this year; null if none.")
    )

    class Meta:
        model = StudentProfile
        fields = [
            "id", "user", "email", "full_name", "phone", "is_active", "admission_number",
            "roll_number", "date_of_birth", "gender", "blood_group", "address",
            "emergency_contact_name", "emergency_contact_phone", "admission_date", "photo_url",
            "current_enrollment", "guardians", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_photo_url(self, obj) -> str | None:
        return _file_url(obj.photo, self.context.get("request"))

    @extend_schema_field(CurrentEnrollmentSerializer(allow_null=True))
    def get_current_enrollment(self, obj) -> dict | None:
        from apps.academics.selectors import current_enrollment_summaries

        return current_enrollment_summaries([obj.pk]).get(obj.pk)


class PersonInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    full_name = PersonNameField()
    phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, validators=[phone_validator]
    )
    password = serializers.CharField(required=False, write_only=True, trim_whitespace=False)

    USER_FIELDS = ("email", "full_name", "phone", "password")

    def split(self) -> tuple[dict, dict]:
        data = dict(self.validated_data)
        user_data = {k: data.pop(k) for k in self.USER_FIELDS if k in data}
        return user_data, data


class StudentInputSerializer(PersonInputSerializer):
    admission_number = serializers.CharField(max_length=32)
    roll_number = serializers.CharField(max_length=16, required=False, allow_blank=True)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, allow_blank=True)
    blood_group = serializers.ChoiceField(
        choices=BloodGroup.choices, required=False, allow_blank=True
    )
    address = serializers.CharField(required=False, allow_blank=True)
    emergency_contact_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    emergency_contact_phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, validators=[phone_validator]
    )
    admission_date = serializers.DateField(required=False, allow_null=True)
    photo = CheckedImageField(required=False, allow_null=True)

    def validate(self, attrs):
        dob, admitted = attrs.get("date_of_birth"), attrs.get("admission_date")
        if dob and admitted and admitted < dob:
            raise serializers.ValidationError(
                {"admission_date": [_("The admission date cannot be before the date of birth.")]}
            )
        return attrs


class TeacherSerializer(ProfileUserFields, serializers.ModelSerializer):
    class Meta:
        model = TeacherProfile
        fields = [
            "id", "user", "email", "full_name", "phone", "is_active", "employee_code",
            "qualification", "joining_date", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class TeacherInputSerializer(PersonInputSerializer):
    employee_code = serializers.CharField(max_length=32)
    qualification = serializers.CharField(max_length=200, required=False, allow_blank=True)
    joining_date = serializers.DateField(required=False, allow_null=True)


class StaffSerializer(ProfileUserFields, serializers.ModelSerializer):
    class Meta:
        model = StaffProfile
        fields = [
            "id", "user", "email", "full_name", "phone", "is_active", "employee_code",
            "designation", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class StaffInputSerializer(PersonInputSerializer):
    employee_code = serializers.CharField(max_length=32)
    designation = serializers.CharField(max_length=100, required=False, allow_blank=True)


# --- Guardians -----------------------------------------------------------------------------------
class GuardianSerializer(serializers.ModelSerializer):
    parent = UserSummarySerializer(read_only=True)
    student_name = serializers.CharField(source="student.user.full_name", read_only=True)
    admission_number = serializers.CharField(source="student.admission_number", read_only=True)

    class Meta:
        model = Guardian
        fields = [
            "id", "student", "student_name", "admission_number", "parent", "relation",
            "is_primary", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class NewParentSerializer(serializers.Serializer):
    email = serializers.EmailField()
    full_name = PersonNameField()
    phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, validators=[phone_validator]
    )


class GuardianCreateSerializer(serializers.Serializer):
    student = SchoolRelatedField(queryset=StudentProfile.objects.all())
    parent = SchoolRelatedField(
        queryset=User.objects.all(), required=False, help_text=_("An existing parent account.")
    )
    new_parent = NewParentSerializer(required=False, help_text=_("Or create the parent account."))
    relation = serializers.ChoiceField(choices=Relation.choices, default=Relation.GUARDIAN)
    is_primary = serializers.BooleanField(default=False)

    def validate(self, attrs):
        if bool(attrs.get("parent")) == bool(attrs.get("new_parent")):
            raise serializers.ValidationError(
                {"parent": [_("Give either an existing parent or a new parent, not both.")]}
            )
        return attrs


class GuardianUpdateSerializer(serializers.Serializer):
    relation = serializers.ChoiceField(choices=Relation.choices, required=False)
    is_primary = serializers.BooleanField(required=False)


# --- Import ------------------------------------------------------------------------------------------
class StudentImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=_("CSV in the export's layout (UTF-8)."),
        validators=[uploads.check_text_upload],
    )
    dry_run = serializers.BooleanField(default=False)


class SessionSerializer(serializers.Serializer):
    """One signed-in device of the caller."""

    id = serializers.UUIDField()
    signed_in_at = serializers.DateTimeField(help_text=_("When the password was entered."))
    last_used_at = serializers.DateTimeField(
        allow_null=True, help_text=_("The sign-in or the last token refresh.")
    )
    expires_at = serializers.DateTimeField(
        help_text=_("When the session ends however often it is refreshed (JWT_EXPIRY_HOURS).")
    )
    client = serializers.CharField(help_text=_("The device's User-Agent at sign-in."))
    ip_address = serializers.IPAddressField(allow_null=True)
    current = serializers.BooleanField(help_text=_("The session of this request's token."))
