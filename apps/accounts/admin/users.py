"""User accounts: email login, one role, staff duties; writes through the services."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import (
    ReadOnlyPasswordHashField,
    SetPasswordMixin,
    SetUnusablePasswordMixin,
)
from django.contrib.auth.models import Group
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.core import audit
from apps.core.access import is_platform_superuser
from apps.core.admin import SchoolScopedAdmin, adopt, strip_fieldsets

from .. import services
from ..duties import DUTIES
from ..models import Role, User
from ..services.people import USER_WRITABLE
from .common import PeopleActionsMixin, cleared_file, rights_of


class UserCreationForm(SetUnusablePasswordMixin, SetPasswordMixin, forms.ModelForm):
    """A new account: who, which role and (optionally) a first password."""

    usable_password = SetUnusablePasswordMixin.create_usable_password_field(
        help_text=_(
            "Without a password the person cannot sign in until they use a password-reset link."
        )
    )
    password1, password2 = SetPasswordMixin.create_password_fields()

    class Meta:
        model = User
        fields = ("email", "full_name", "phone", "role", "school")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].required = False
        self.fields["password2"].required = False
        if "school" in self.fields:
            self.fields["school"].required = True
        self.fields["email"].widget.attrs["autofocus"] = True

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                gettext("A user with this e-mail already exists."), code="duplicate_email"
            )
        return email

    def clean(self):
        self.validate_passwords()
        return super().clean()

    def _post_clean(self):
        super()._post_clean()
        self.validate_password_for_user(self.instance)


class UserChangeForm(forms.ModelForm):
    password = ReadOnlyPasswordHashField(
        label=_("Password"),
        help_text=_(
            "Passwords are not stored, so nobody can see them. Set a new one with the button, "
            "or send the person a password-reset e-mail from the user list."
        ),
    )

    class Meta:
        model = User
        fields = (
            "email",
            "full_name",
            "phone",
            "profile_picture",
            "school",
            "role",
            "is_active",
            "email_verified",
            "is_staff",
            "is_superuser",
            "groups",
            "user_permissions",
        )

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(
                gettext("A user with this e-mail already exists."), code="duplicate_email"
            )
        return email

    def clean(self):
        cleaned = super().clean()
        groups = cleaned.get("groups")
        if groups and self.instance.role != Role.STAFF and "groups" in self.changed_data:
            self.add_error("groups", gettext("Duties can only be given to staff members."))
        return cleaned


@admin.register(User)
class UserAdmin(PeopleActionsMixin, SchoolScopedAdmin, DjangoUserAdmin):
    """Accounts of a school. School admins cannot grant superuser rights or raw permissions;
    the only rights they hand out are the staff duties."""

    form = UserChangeForm
    add_form = UserCreationForm
    list_display = (
        "email",
        "full_name",
        "role",
        "school",
        "is_active",
        "email_verified",
        "last_login",
    )
    list_display_links = ("email", "full_name")
    list_select_related = ("school",)
    list_filter = ("role", "is_active", "email_verified", "groups", "school")
    search_fields = ("email", "full_name", "phone")
    ordering = ("full_name", "email")
    filter_horizontal = ("groups", "user_permissions")
    readonly_fields = ("last_login", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("full_name", "phone", "profile_picture")}),
        (_("School and role"), {"fields": ("school", "role")}),
        (
            _("Access"),
            {
                "fields": (
                    "is_active",
                    "email_verified",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "phone", "role", "school")}),
        (
            _("Password"),
            {"classes": ("wide",), "fields": ("usable_password", "password1", "password2")},
        ),
    )
    PLATFORM_ONLY = ("is_staff", "is_superuser", "user_permissions")

    # Forms -------------------------------------------------------------------------------------
    def default_form(self, request, obj=None):
        return self.add_form if obj is None else self.form

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not is_platform_superuser(request.user):
            fieldsets = strip_fieldsets(fieldsets, set(self.PLATFORM_ONLY))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly += ["role", "school"]  # a person's role and school never change
        if not is_platform_superuser(request.user):
            readonly = [f for f in readonly if f != "school"]
        return readonly

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not is_platform_superuser(request.user):
            kwargs["queryset"] = Group.objects.filter(name__in=list(DUTIES))
            kwargs.setdefault("label", _("Duties"))
            kwargs.setdefault(
                "help_text", _("Staff duties decide what a staff member may see and change.")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # Guardian pickers (autocomplete) offer parent accounts only.
        if (
            request.GET.get("model_name") == "guardian"
            and request.GET.get("field_name") == "parent"
        ):
            queryset = queryset.filter(role=Role.PARENT)
        return queryset, may_have_duplicates

    # Permissions -------------------------------------------------------------------------------
    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not is_platform_superuser(request.user):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.pk == request.user.pk:
            return False  # deactivate instead; never lock yourself out by accident
        return super().has_delete_permission(request, obj)

    # Writes ------------------------------------------------------------------------------------
    def save_model(self, request, obj, form, change):
        cd = form.cleaned_data
        if not change:
            school = cd.get("school") if is_platform_superuser(request.user) else None
            user = services.user_create(
                school=school or request.user.school,
                actor=request.user,
                email=cd["email"],
                full_name=cd["full_name"],
                role=cd["role"],
                phone=cd.get("phone", ""),
                password=cd.get("password1") if cd.get("set_usable_password") else None,
            )
            adopt(obj, user)
            return
        original = User.objects.get(pk=obj.pk)
        changed = set(form.changed_data)
        data = {f: cd[f] for f in USER_WRITABLE if f in changed}
        if "profile_picture" in changed:
            data["profile_picture"] = cleared_file(cd["profile_picture"])
        if data:
            services.user_update(user=original, actor=request.user, data=data)
        if "is_active" in changed:
            services.user_set_active(user=original, actor=request.user, active=cd["is_active"])
        platform = [f for f in ("is_staff", "is_superuser") if f in changed]
        if platform and is_platform_superuser(request.user):
            before = audit.snapshot(original, platform)
            for name in platform:
                setattr(original, name, cd[name])
            original.full_clean(exclude=["password"])
            original.save(update_fields=[*platform, "updated_at"])
            audit.record(
                actor=request.user,
                action="user.access",
                instance=original,
                before=before,
                after=audit.snapshot(original, platform),
            )
        adopt(obj, original)

    def save_related(self, request, form, formsets, change):
        user = form.instance
        before = rights_of(user) if change else None
        kept = []
        if change and not is_platform_superuser(request.user):
            # School admins hand out duties only; other groups a superuser gave stay as they are.
            kept = list(user.groups.exclude(name__in=list(DUTIES)))
        super().save_related(request, form, formsets, change)
        if kept:
            user.groups.add(*kept)
        if change:
            after = rights_of(user)
            audit.record(
                actor=request.user, action="user.duties", instance=user, before=before, after=after
            )

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        changed = (
            request.method == "POST"
            and response.status_code == 302
            # A conflicting submission redirects back to this page; success goes to the user.
            and response["Location"] != request.get_full_path()
        )
        if changed:
            # Same consequences as any password change: every session signs out, and it is logged.
            user = User.objects.get(pk=unquote(id))
            services.sign_out_everywhere(user)
            audit.record(
                actor=request.user,
                action="user.password_set",
                instance=user,
                after={"password": "set by admin"},
            )
        return response
