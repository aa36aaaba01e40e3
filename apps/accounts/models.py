"""Schools (the tenant), users with one role each, their profiles and guardian links."""

from __future__ import annotations

import unicodedata
import zoneinfo

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.models import SchoolScopedModel, TimeStampedModel
from apps.core.roles import Role  # noqa: F401  (re-exported: accounts.models.Role)
from apps.core.uploads import ImageUpload

phone_validator = RegexValidator(
    regex=r"^\+?[0-9][0-9 \-]{6,18}[0-9]$",
    message=_("Enter a phone number of 8 to 20 digits, optionally starting with +."),
)


NAME_MAX_LENGTH = 150
# Zero-width non-joiner and joiner are "format" characters that Indic scripts need to spell
# names right; every other control, format or unassigned code point has no place in a name.
_NAME_JOINERS = {"\u200c", "\u200d"}


def validate_person_name(value: str) -> None:
    """A person's name as people type it: at least one letter, no markup brackets, no control
    or invisible formatting characters (line breaks, tabs, direction overrides). Names go into
    e-mails, notifications, CSV exports and other people's screens, always as plain text."""
    if any(ch in "<>" for ch in value):
        raise ValidationError(_("A name cannot contain < or >."), code="name_markup")
    if any(unicodedata.category(ch).startswith("C") and ch not in _NAME_JOINERS for ch in value):
        raise ValidationError(
            _(
                "A name cannot contain control or invisible characters "
                "(line breaks, tabs, direction marks)."
            ),
            code="name_control_character",
        )
    if not any(unicodedata.category(ch).startswith("L") for ch in value):
        raise ValidationError(_("A name needs at least one letter."), code="name_no_letter")


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class Language(models.TextChoices):
    """The languages messages are written in (settings.LANGUAGES)."""

    ENGLISH = "en", "English"
    HINDI = "hi", "हिन्दी (Hindi)"


class School(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(
        _("code"), max_length=32, unique=True, help_text=_("Short unique code, e.g. 'dps-blr'.")
    )
    timezone = models.CharField(
        _("timezone"), max_length=64, default="Asia/Kolkata", validators=[validate_timezone]
    )
    address = models.TextField(_("address"), blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(
        _("contact phone"), max_length=20, blank=True, validators=[phone_validator]
    )
    logo = models.ImageField(
        _("logo"), upload_to="schools/logos/", blank=True, validators=[ImageUpload()]
    )
    language = models.CharField(
        _("default language"),
        max_length=8,
        choices=Language.choices,
        blank=True,
        help_text=_("What the school's messages are written in when a user has not chosen."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("school")
        verbose_name_plural = _("schools")

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("role", Role.ADMIN)
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin, TimeStampedModel):
    """A person who signs in. Platform superusers have no school; everyone else has one."""

    school = models.ForeignKey(
        School,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        verbose_name=_("school"),
    )
    email = models.EmailField(_("e-mail"), max_length=254, unique=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, db_index=True)
    full_name = models.CharField(
        _("full name"), max_length=NAME_MAX_LENGTH, validators=[validate_person_name]
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[phone_validator])
    profile_picture = models.ImageField(
        _("profile picture"), upload_to="users/pictures/", blank=True, validators=[ImageUpload()]
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("admin site access"),
        default=False,
        help_text=_("Whether the user may sign in to the staff admin site."),
    )
    email_verified = models.BooleanField(_("e-mail verified"), default=False)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=Language.choices,
        blank=True,
        help_text=_("What messages to this user are written in; blank: the school's default."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_timezone],
        help_text=_(
            "An IANA name (Asia/Kolkata) for quiet hours and reminders; blank: the school's."
        ),
    )

    objects = UserManager()

    @property
    def effective_time_zone(self) -> str:
        """The user's own time zone, else the school's, else settings.TIME_ZONE."""
        from django.conf import settings

        school = self.school if self.school_id else None
        return self.time_zone or getattr(school, "timezone", "") or settings.TIME_ZONE

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(is_superuser=True) | models.Q(school__isnull=False),
                name="user_has_school_unless_superuser",
            ),
            # A platform superuser belongs to no school, so no school admin can ever list,
            # read or change one through the school's own screens.
            models.CheckConstraint(
                condition=models.Q(is_superuser=False) | models.Q(school__isnull=True),
                name="user_superuser_has_no_school",
            ),
        ]
        indexes = [models.Index(fields=["school", "role"], name="user_school_role")]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>" if self.full_name else self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    @property
    def last_login_at(self):
        return self.last_login

    def mark_login(self) -> None:
        self.last_login = timezone.now()
        self.save(update_fields=["last_login"])


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    OTHER = "other", _("Other")


class BloodGroup(models.TextChoices):
    A_POS = "A+", "A+"
    A_NEG = "A-", "A-"
    B_POS = "B+", "B+"
    B_NEG = "B-", "B-"
    AB_POS = "AB+", "AB+"
    AB_NEG = "AB-", "AB-"
    O_POS = "O+", "O+"
    O_NEG = "O-", "O-"


class StudentProfile(SchoolScopedModel):
    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="student_profile", verbose_name=_("user")
    )
    admission_number = models.CharField(_("admission number"), max_length=32)
    roll_number = models.CharField(_("roll number"), max_length=16, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    blood_group = models.CharField(
        _("blood group"), max_length=3, choices=BloodGroup.choices, blank=True
    )
    address = models.TextField(_("address"), blank=True)
    emergency_contact_name = models.CharField(_("emergency contact"), max_length=150, blank=True)
    emergency_contact_phone = models.CharField(
        _("emergency phone"), max_length=20, blank=True, validators=[phone_validator]
    )
    admission_date = models.DateField(_("admission date"), null=True, blank=True)
    photo = models.ImageField(
        _("photo"), upload_to="students/photos/", blank=True, validators=[ImageUpload()]
    )

    class Meta:
        ordering = ["admission_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "admission_number"], name="student_admission_unique"
            )
        ]
        verbose_name = _("student")
        verbose_name_plural = _("students")

    def __str__(self) -> str:
        return f"{self.user.full_name} ({self.admission_number})"


class TeacherProfile(SchoolScopedModel):
    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="teacher_profile", verbose_name=_("user")
    )
    employee_code = models.CharField(_("employee code"), max_length=32)
    qualification = models.CharField(_("qualification"), max_length=200, blank=True)
    joining_date = models.DateField(_("joining date"), null=True, blank=True)

    class Meta:
        ordering = ["employee_code"]
        constraints = [
            models.UniqueConstraint(fields=["school", "employee_code"], name="teacher_code_unique")
        ]
        verbose_name = _("teacher")
        verbose_name_plural = _("teachers")

    def __str__(self) -> str:
        return f"{self.user.full_name} ({self.employee_code})"


class StaffProfile(SchoolScopedModel):
    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="staff_profile", verbose_name=_("user")
    )
    employee_code = models.CharField(_("employee code"), max_length=32)
    designation = models.CharField(_("designation"), max_length=100, blank=True)

    class Meta:
        ordering = ["employee_code"]
        constraints = [
            models.UniqueConstraint(fields=["school", "employee_code"], name="staff_code_unique")
        ]
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self) -> str:
        return f"{self.user.full_name} ({self.designation or self.employee_code})"


class Relation(models.TextChoices):
    FATHER = "father", _("Father")
    MOTHER = "mother", _("Mother")
    GUARDIAN = "guardian", _("Guardian")
    GRANDPARENT = "grandparent", _("Grandparent")
    SIBLING = "sibling", _("Sibling")
    OTHER = "other", _("Other")


class Guardian(SchoolScopedModel):
    """Links a parent user to a student. A parent may have several children and vice versa."""

    parent = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="guardianships", verbose_name=_("parent")
    )
    student = models.ForeignKey(
        StudentProfile,
        on_delete=models.CASCADE,
        related_name="guardians",
        verbose_name=_("student"),
    )
    relation = models.CharField(
        _("relation"), max_length=16, choices=Relation.choices, default=Relation.GUARDIAN
    )
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        ordering = ["student__admission_number", "-is_primary"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "student"], name="guardian_unique_link"),
            models.UniqueConstraint(
                fields=["student"],
                condition=models.Q(is_primary=True),
                name="guardian_one_primary",
            ),
        ]
        verbose_name = _("guardian link")
        verbose_name_plural = _("guardian links")

    def __str__(self) -> str:
        return f"{self.parent.full_name} → {self.student.user.full_name} ({self.relation})"


class TokenFamily(TimeStampedModel):
    """The refresh tokens descended from one password sign-in (a device's session). Rotation
    keeps the family and its `signed_in_at`, which bounds the session (`JWT_EXPIRY_HOURS`);
    presenting an already-rotated token revokes the family, so a stolen token and its thief's
    or victim's descendants all stop at once."""

    CLAIM = "fam"  # the JWT claim (refresh and access tokens) naming a token's family

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="token_families", verbose_name=_("user")
    )
    signed_in_at = models.DateTimeField(_("signed in at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.CharField(_("revoked because"), max_length=32, blank=True)
    last_used_at = models.DateTimeField(
        _("last used at"), null=True, blank=True, help_text=_("The sign-in or the last refresh.")
    )
    client = models.CharField(
        _("client"), max_length=200, blank=True, help_text=_("The device's User-Agent.")
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["-signed_in_at"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="tokenfamily_user_revoked")]
        verbose_name = _("sign-in session")
        verbose_name_plural = _("sign-in sessions")

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.signed_in_at:%Y-%m-%d %H:%M}"
