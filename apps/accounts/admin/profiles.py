"""Student, teacher and staff profiles with their account details, and guardian inlines."""

from __future__ import annotations

from django import forms
from django.apps import apps as django_apps
from django.contrib import admin
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.db.models import Prefetch
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.core import audit
from apps.core.access import is_platform_superuser
from apps.core.admin import SchoolScopedAdmin, SchoolScopedInline, adopt

from .. import services
from ..duties import DUTIES
from ..models import (
    Guardian,
    Role,
    StaffProfile,
    StudentProfile,
    TeacherProfile,
    User,
    phone_validator,
)
from ..services.people import STAFF_FIELDS, STUDENT_FIELDS, TEACHER_FIELDS
from .common import DATE_WIDGET, PeopleActionsMixin, cleared_file, rights_of, user_link


class ProfileForm(forms.ModelForm):
    """A profile together with its person's account details, created/changed by the services."""

    email = forms.EmailField(label=_("e-mail"))
    full_name = forms.CharField(label=_("full name"), max_length=150)
    phone = forms.CharField(
        label=_("phone"), max_length=20, required=False, validators=[phone_validator]
    )
    password = forms.CharField(
        label=_("password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Optional. Without one, the person signs in after a password-reset e-mail."),
    )

    USER_FIELDS = ("email", "full_name", "phone")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            self.fields.pop("password", None)
            user = self.instance.user
            for name in self.USER_FIELDS:
                if name in self.fields:
                    self.fields[name].initial = getattr(user, name)
                    self.initial[name] = getattr(user, name)

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        taken = User.objects.filter(email__iexact=email)
        if not self.instance._state.adding:
            taken = taken.exclude(pk=self.instance.user_id)
        if taken.exists():
            raise forms.ValidationError(
                gettext("A user with this e-mail already exists."), code="duplicate_email"
            )
        return email

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            probe = User(email=cleaned.get("email", ""), full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(password, probe)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class StudentProfileForm(ProfileForm):
    class Meta:
        model = StudentProfile
        fields = ("school", *STUDENT_FIELDS, "photo")
        widgets = {
            "date_of_birth": DATE_WIDGET,
            "admission_date": DATE_WIDGET,
        }


class TeacherProfileForm(ProfileForm):
    class Meta:
        model = TeacherProfile
        fields = ("school", *TEACHER_FIELDS)
        widgets = {"joining_date": DATE_WIDGET}


class StaffProfileForm(ProfileForm):
    duties = forms.ModelMultipleChoiceField(
        label=_("Duties"),
        queryset=Group.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Staff duties decide what a staff member may see and change."),
    )

    class Meta:
        model = StaffProfile
        fields = ("school", *STAFF_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "duties" in self.fields:
            self.fields["duties"].queryset = Group.objects.filter(name__in=list(DUTIES))
            if not self.instance._state.adding:
                self.initial["duties"] = list(self.instance.user.groups.all())


class ProfileAdmin(PeopleActionsMixin, SchoolScopedAdmin):
    """Shared shape of the student/teacher/staff screens: the form feeds one create and one
    update service, which create the account, check uniqueness and write the audit record."""

    profile_fields: list[str] = []
    extra_profile_fields: tuple[str, ...] = ()  # file fields the update service takes
    create_service = None
    update_service = None
    update_kwarg = ""
    list_select_related = ("user", "school")
    PERSON_FIELDS = ("full_name", "email", "phone")

    @admin.display(description=_("name"), ordering="user__full_name")
    def person_name(self, obj):
        return obj.user.full_name

    @admin.display(description=_("e-mail"), ordering="user__email")
    def person_email(self, obj):
        return obj.user.email

    @admin.display(description=_("phone"))
    def person_phone(self, obj):
        return obj.user.phone

    @admin.display(description=_("active"), boolean=True, ordering="user__is_active")
    def person_active(self, obj):
        return obj.user.is_active

    @admin.display(description=_("account"))
    def account(self, obj):
        return user_link(obj.user) if obj.pk and obj.user_id else "-"

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            # Read-only view: the person's details come from the account, not from form fields.
            names = dict(
                zip(
                    self.PERSON_FIELDS,
                    ("person_name", "person_email", "person_phone"),
                    strict=True,
                )
            )
            fieldsets = [
                (
                    title,
                    {
                        **opts,
                        "fields": tuple(names.get(f, f) for f in opts["fields"] if f != "password"),
                    },
                )
                for title, opts in fieldsets
            ]
        else:
            # A new person has no account to link to yet; an existing one sets passwords from
            # the account page (or gets a reset e-mail).
            drop = "account" if obj is None else "password"
            fieldsets = [
                (title, {**opts, "fields": tuple(f for f in opts["fields"] if f != drop)})
                for title, opts in fieldsets
            ]
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        readonly += ["account", "person_name", "person_email", "person_phone"]
        if obj is not None and is_platform_superuser(request.user):
            readonly.append("school")  # moving a person between schools is not supported
        return readonly

    def _school(self, request, form):
        if is_platform_superuser(request.user):
            return form.cleaned_data["school"]
        return request.user.school

    def save_model(self, request, obj, form, change):
        cd = form.cleaned_data
        changed = set(form.changed_data)
        profile_data = {
            f: cd[f] for f in self.profile_fields if f in cd and (f in changed or not change)
        }
        for name in self.extra_profile_fields:
            if name in changed:
                profile_data[name] = cleared_file(cd[name])
        if not change:
            user_data = {f: cd.get(f, "") for f in self.PERSON_FIELDS}
            user_data["password"] = cd.get("password") or None
            profile = type(self).create_service(
                school=self._school(request, form),
                actor=request.user,
                user_data=user_data,
                profile_data={
                    k: v for k, v in profile_data.items() if k not in self.extra_profile_fields
                },
            )
            files = {k: v for k, v in profile_data.items() if k in self.extra_profile_fields and v}
            if files:
                type(self).update_service(
                    **{self.update_kwarg: profile},
                    actor=request.user,
                    user_data={},
                    profile_data=files,
                )
        else:
            profile = type(obj).objects.select_related("user").get(pk=obj.pk)
            user_data = {f: cd[f] for f in self.PERSON_FIELDS if f in changed}
            if user_data or profile_data:
                type(self).update_service(
                    **{self.update_kwarg: profile},
                    actor=request.user,
                    user_data=user_data,
                    profile_data=profile_data,
                )
        adopt(obj, profile)


class GuardianInlineForm(forms.ModelForm):
    class Meta:
        model = Guardian
        fields = ("parent", "relation", "is_primary")

    def clean(self):
        cleaned = super().clean()
        parent = cleaned.get("parent")
        student_id = self.instance.student_id
        if parent is not None and self.instance._state.adding and student_id:
            if Guardian.objects.filter(parent=parent, student_id=student_id).exists():
                self.add_error("parent", gettext("This parent is already linked to this student."))
        return cleaned


class GuardianInline(SchoolScopedInline):
    model = Guardian
    form = GuardianInlineForm
    fk_name = "student"
    fields = ("parent", "relation", "is_primary")
    autocomplete_fields = ("parent",)
    verbose_name = _("guardian")
    verbose_name_plural = _("guardians")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("parent", "student__user")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "parent":
            field.queryset = field.queryset.filter(role=Role.PARENT)
        return field


def save_guardian_formset(request, student: StudentProfile, formset) -> None:
    """Guardian rows edited inline are linked, updated and unlinked by the services."""
    formset.save(commit=False)
    for link in formset.deleted_objects:
        services.guardian_unlink(link=Guardian.objects.get(pk=link.pk), actor=request.user)
    for link, changed in formset.changed_objects:
        original = Guardian.objects.select_related("student").get(pk=link.pk)
        data = {f: getattr(link, f) for f in ("relation", "is_primary") if f in changed}
        if data:
            services.guardian_update(link=original, actor=request.user, data=data)
    for link in formset.new_objects:
        services.guardian_link(
            student=student,
            actor=request.user,
            parent=link.parent,
            relation=link.relation,
            is_primary=link.is_primary,
        )


class _CurrentEnrollmentFilter(admin.SimpleListFilter):
    """Students by where they are enrolled this academic year; the choices are the current
    year's classes or sections of the user's school (of every school for platform users)."""

    def _sections(self, request):
        section = django_apps.get_model("academics", "Section")
        qs = section.objects.filter(year__is_current=True).select_related("school_class")
        if not is_platform_superuser(request.user):
            qs = qs.filter(school_id=request.user.school_id)
        return qs.order_by("school_class__order", "school_class__name", "name")


class CurrentClassFilter(_CurrentEnrollmentFilter):
    title = _("class")
    parameter_name = "class"

    def lookups(self, request, model_admin):
        seen = {}
        for section in self._sections(request):
            seen.setdefault(str(section.school_class_id), section.school_class.name)
        return list(seen.items())

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(
            enrollments__year__is_current=True,
            enrollments__section__school_class_id=_uuid_or_none(self.value()),
        )


class CurrentSectionFilter(_CurrentEnrollmentFilter):
    title = _("section")
    parameter_name = "section"

    def lookups(self, request, model_admin):
        sections = self._sections(request)
        chosen_class = _uuid_or_none(request.GET.get(CurrentClassFilter.parameter_name))
        if chosen_class is not None:
            sections = sections.filter(school_class_id=chosen_class)
        return [(str(section.pk), section.display_name) for section in sections]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(
            enrollments__year__is_current=True,
            enrollments__section_id=_uuid_or_none(self.value()),
        )


def _uuid_or_none(value):
    """A list filter's value as a UUID; anything else matches nothing rather than erroring."""
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@admin.register(StudentProfile)
class StudentProfileAdmin(ProfileAdmin):
    form = StudentProfileForm
    inlines = [GuardianInline]
    profile_fields = STUDENT_FIELDS
    extra_profile_fields = ("photo",)
    create_service = staticmethod(services.student_create)
    update_service = staticmethod(services.student_update)
    update_kwarg = "student"
    list_display = (
        "admission_number",
        "person_name",
        "current_class",
        "current_section",
        "current_roll_number",
        "guardian_phone",
        "gender",
        "person_active",
        "school",
    )
    list_display_links = ("admission_number", "person_name")
    list_filter = (
        CurrentClassFilter,
        CurrentSectionFilter,
        "gender",
        "blood_group",
        "user__is_active",
        "admission_date",
        "school",
    )
    search_fields = (
        "admission_number",
        "roll_number",
        "user__full_name",
        "user__email",
        "user__phone",
    )
    ordering = ("admission_number",)

    def get_queryset(self, request):
        # This year's enrollment of every row on the page, in one query with its section, and
        # the guardians (primary contact first) in one more.
        enrollment = django_apps.get_model("academics", "Enrollment")
        current = enrollment.objects.filter(year__is_current=True).select_related(
            "section__school_class"
        )
        guardians = Guardian.objects.select_related("parent").order_by("-is_primary", "pk")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("enrollments", queryset=current, to_attr="current"),
                Prefetch("guardians", queryset=guardians, to_attr="guardian_links"),
            )
        )

    @admin.display(description=_("class"))
    def current_class(self, obj):
        return obj.current[0].section.school_class.name if obj.current else "-"

    @admin.display(description=_("section"))
    def current_section(self, obj):
        return obj.current[0].section.display_name if obj.current else "-"

    @admin.display(description=_("guardian phone"))
    def guardian_phone(self, obj):
        """The primary contact's phone, else the first guardian's that has one."""
        phones = [link.parent.phone for link in obj.guardian_links if link.parent.phone]
        return phones[0] if phones else "-"

    @admin.display(description=_("roll number"))
    def current_roll_number(self, obj):
        return obj.current[0].roll_number if obj.current else "-"

    fieldsets = (
        (
            _("Student"),
            {"fields": ("full_name", "email", "phone", "password", "account", "school")},
        ),
        (
            _("Enrolment"),
            {"fields": ("admission_number", "roll_number", "admission_date", "photo")},
        ),
        (
            _("Personal details"),
            {"fields": ("date_of_birth", "gender", "blood_group", "address")},
        ),
        (_("Emergency contact"), {"fields": ("emergency_contact_name", "emergency_contact_phone")}),
    )

    def save_formset(self, request, form, formset, change):
        if formset.model is Guardian:
            save_guardian_formset(request, form.instance, formset)
        else:
            super().save_formset(request, form, formset, change)


@admin.register(TeacherProfile)
class TeacherProfileAdmin(ProfileAdmin):
    form = TeacherProfileForm
    profile_fields = TEACHER_FIELDS
    create_service = staticmethod(services.teacher_create)
    update_service = staticmethod(services.teacher_update)
    update_kwarg = "teacher"
    list_display = (
        "employee_code",
        "person_name",
        "person_email",
        "qualification",
        "joining_date",
        "person_active",
        "school",
    )
    list_display_links = ("employee_code", "person_name")
    list_filter = ("user__is_active", "joining_date", "school")
    search_fields = ("employee_code", "user__full_name", "user__email", "qualification")
    ordering = ("employee_code",)
    fieldsets = (
        (
            _("Teacher"),
            {"fields": ("full_name", "email", "phone", "password", "account", "school")},
        ),
        (_("Employment"), {"fields": ("employee_code", "qualification", "joining_date")}),
    )


@admin.register(StaffProfile)
class StaffProfileAdmin(ProfileAdmin):
    form = StaffProfileForm
    profile_fields = STAFF_FIELDS
    create_service = staticmethod(services.staff_create)
    update_service = staticmethod(services.staff_update)
    update_kwarg = "staff"
    list_display = (
        "employee_code",
        "person_name",
        "person_email",
        "designation",
        "duty_names",
        "person_active",
        "school",
    )
    list_display_links = ("employee_code", "person_name")
    list_filter = ("designation", "user__is_active", "school")
    search_fields = ("employee_code", "user__full_name", "user__email", "designation")
    ordering = ("employee_code",)
    fieldsets = (
        (
            _("Staff member"),
            {"fields": ("full_name", "email", "phone", "password", "account", "school")},
        ),
        (_("Employment"), {"fields": ("employee_code", "designation", "duties")}),
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("user__groups", queryset=Group.objects.order_by("name")))
        )

    @admin.display(description=_("Duties"))
    def duty_names(self, obj):
        return ", ".join(group.name for group in obj.user.groups.all()) or "-"

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            fieldsets = [
                (
                    t,
                    {
                        **o,
                        "fields": tuple("duty_names" if f == "duties" else f for f in o["fields"]),
                    },
                )
                for t, o in fieldsets
            ]
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "duty_names"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if "duties" in form.changed_data:
            user = form.instance.user
            before = rights_of(user)
            user.groups.set(form.cleaned_data["duties"])
            audit.record(
                actor=request.user,
                action="user.duties",
                instance=user,
                before=before,
                after=rights_of(user),
            )
