"""The staff admin, tenant-aware: every ModelAdmin in the product derives from `SchoolScopedAdmin`.

Who gets in (`Schools24AdminSite.has_permission`): active users with admin-site access who are
platform superusers, school admins or staff. Teachers, students and parents never do, even if
someone ticked `is_staff` on them.

What they see and may do (`SchoolScopedAdmin`):
- rows: `apps.core.access.scope_queryset`, the same rule the API uses, so another school's row
  is simply not found (the admin answers "does not exist" and redirects);
- permissions: platform superuser everything; a school admin everything on school-scoped models
  (those registered with `register_scope`); staff what their Django permissions (duty groups)
  allow; models that are not school-scoped are the platform's alone;
- forms: foreign-key and many-to-many choices are cut to rows of the user's school; the `school`
  field is hidden from school users and set from their account, and it is in place *before*
  validation so unique constraints such as (school, admission_number) are checked by the form;
- writes: a model without a service is saved by the form and audit-logged here (who, before,
  after); an admin whose model has services overrides `save_model`/`delete_model` to call them.
  A service refusing (`ApplicationError`) rolls the request back and shows the message.

This module imports no models at import time: `Schools24AdminConfig` lives here and is loaded
from INSTALLED_APPS before the app registry is ready.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.http import HttpResponseRedirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .access import (
    is_platform_superuser,
    is_school_scoped,
    model_perm,
    school_field_of,
    scope_queryset,
)
from .roles import ADMIN_SITE_ROLES, Role

ROLE_ADMIN = Role.ADMIN
ROLE_STAFF = Role.STAFF


# --- Who may use the admin, and what ---------------------------------------------------------
def may_use_admin_site(user) -> bool:
    """Platform superusers, school admins and staff with admin-site access; nobody else."""
    if not (user and user.is_authenticated and user.is_active and user.is_staff):
        return False
    if is_platform_superuser(user):
        return True
    return bool(user.school_id) and user.role in ADMIN_SITE_ROLES


def admin_access(user, model: type[models.Model], action: str) -> bool:
    """May `user` perform `action` (view/add/change/delete) on `model` in the admin at all?"""
    if not may_use_admin_site(user):
        return False
    if is_platform_superuser(user):
        return True
    if not is_school_scoped(model):
        return False  # platform tables (groups, beat schedules, ...) are the superuser's
    if user.role == ROLE_ADMIN:
        return True
    return user.has_perm(model_perm(model, action))


def direct_school_field(model: type[models.Model]) -> models.ForeignKey | None:
    """The model's own FK to School, if its scope is declared on one (not `pk`, not a path)."""
    if not is_school_scoped(model):
        return None
    name = school_field_of(model)
    if name == "pk" or "__" in name:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.ForeignKey) else None


def school_id_of(obj: models.Model) -> Any:
    """The school an object belongs to, or None when it cannot be read off the row itself."""
    model = type(obj)
    if not is_school_scoped(model):
        return None
    if school_field_of(model) == "pk":
        return obj.pk
    field = direct_school_field(model)
    return getattr(obj, field.attname) if field is not None else None


def in_user_school(user, obj: models.Model) -> bool:
    """Object-level check behind the permission methods (the queryset already enforces it)."""
    if is_platform_superuser(user):
        return True
    school_id = school_id_of(obj)
    if school_id is not None:
        return str(school_id) == str(user.school_id)
    model = type(obj)
    return scope_queryset(model._default_manager.filter(pk=obj.pk), user).exists()


def school_choices(model: type[models.Model], user, queryset=None):
    """Rows of `model` a school user may pick in a form: those of their school."""
    qs = queryset if queryset is not None else model._default_manager.all()
    if is_platform_superuser(user) or not is_school_scoped(model):
        return qs
    if not user.school_id:
        return qs.none()
    return qs.filter(**{school_field_of(model): user.school_id})


def application_error_text(exc: Exception) -> str:
    """One line for the admin's message bar from a service's ApplicationError/ValidationError
    (or a delete refused by a protecting foreign key)."""
    from django.db.models import ProtectedError, RestrictedError

    if isinstance(exc, ProtectedError | RestrictedError):
        from .exceptions import in_use_message

        return in_use_message(exc)
    message = getattr(exc, "message", None)
    details: list[str] = []
    fields = getattr(exc, "fields", None)
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            fields = exc.message_dict
        else:
            return " ".join(exc.messages)
        message = None
    for name, errors in (fields or {}).items():
        errors = errors if isinstance(errors, list | tuple) else [errors]
        details.append(f"{name}: {' '.join(str(e) for e in errors)}")
    parts = [str(message)] if message else []
    if details and (not message or not any(str(message) in d for d in details)):
        parts.append("; ".join(details))
    return " — ".join(parts) or gettext("The change was refused.")


def _service_errors():
    from django.db.models import ProtectedError, RestrictedError

    from .exceptions import ApplicationError

    return (ApplicationError, ValidationError, ProtectedError, RestrictedError)


# --- The admin site ---------------------------------------------------------------------------
@cache
def authentication_form():
    """The admin login form, refusing accounts that may not use the admin with the usual message.
    The lockout itself is the authentication backend's, shared with the API's sign-in.

        Built on first use: Django's admin forms import the auth models, and this module is loaded
        from INSTALLED_APPS before models may be imported.
    """
    from django.contrib.admin.forms import AdminAuthenticationForm

    from .exceptions import ApplicationError

    class Schools24AuthenticationForm(AdminAuthenticationForm):
        def clean(self):
            # The authentication backend refuses with an ApplicationError when the account or
            # the client is locked out (or the address is not plain ASCII): show its message.
            try:
                return super().clean()
            except ApplicationError as exc:
                raise ValidationError(exc.message, code=exc.code) from exc

        def confirm_login_allowed(self, user):
            super().confirm_login_allowed(user)
            if not may_use_admin_site(user):
                raise ValidationError(
                    self.error_messages["invalid_login"],
                    code="invalid_login",
                    params={"username": self.username_field.verbose_name},
                )

    return Schools24AuthenticationForm


class Schools24AdminSite(admin.AdminSite):
    site_header = _("Schools24 administration")
    site_title = _("Schools24")
    index_title = _("School administration")

    @property
    def login_form(self):
        return authentication_form()

    @property
    def site_url(self):
        # "View site" leads to the product's web app, not to this API server's root.
        from django.conf import settings

        return getattr(settings, "FRONTEND_URL", "/") or "/"

    def has_permission(self, request) -> bool:
        return may_use_admin_site(request.user)

    def get_urls(self):
        from django.urls import path

        return [
            path("write-buffer/", self.admin_view(self.write_buffer_view), name="write-buffer"),
            *super().get_urls(),
        ]

    def write_buffer_view(self, request):
        """Platform operators: pending writes per buffered kind, their age, and a flush button."""
        from django.core.exceptions import PermissionDenied
        from django.shortcuts import redirect
        from django.template.response import TemplateResponse

        from . import buffer
        from .tasks import flush_write_buffer

        if not request.user.is_superuser:
            raise PermissionDenied
        if request.method == "POST":
            flush_write_buffer.delay()
            messages.success(request, _("A flush of every buffered kind was queued."))
            return redirect("admin:write-buffer")
        rows = [{"kind": kind, **figures} for kind, figures in sorted(buffer.stats().items())]
        context = {
            **self.each_context(request),
            "title": _("Write-behind buffer"),
            "rows": rows,
            "stale_after": settings.REDIS_WRITE_BUFFER_TTL,
        }
        return TemplateResponse(request, "admin/write_buffer.html", context)


class Schools24AdminConfig(AdminConfig):
    """Use in INSTALLED_APPS instead of "django.contrib.admin" to make `admin.site` ours."""

    default_site = "apps.core.admin.Schools24AdminSite"


# --- Forms ------------------------------------------------------------------------------------
class SchoolBoundFormMixin:
    """A ModelForm that knows the school it is filled in for (set per request by the admin).

    For school users the school FK is not on the form; it is set on a new instance here, and
    kept out of the validation exclusions so constraints involving it are checked. For
    superusers it checks that every school-scoped choice belongs to the row's school.
    """

    bound_school_id: Any = None
    school_fk_name: str | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fk = self._school_fk()
        if self.bound_school_id and fk is not None and self.instance._state.adding:
            setattr(self.instance, fk.attname, self.bound_school_id)

    def _school_fk(self):
        if not self.school_fk_name:
            return None
        return self._meta.model._meta.get_field(self.school_fk_name)

    def _get_validation_exclusions(self):
        exclude = super()._get_validation_exclusions()
        fk = self._school_fk()
        if fk is not None and getattr(self.instance, fk.attname, None) is not None:
            exclude.discard(fk.name)
        return exclude

    def _row_school_id(self):
        fk = self._school_fk()
        if fk is None:
            return None
        if self.bound_school_id:
            return self.bound_school_id
        chosen = self.cleaned_data.get(fk.name) if fk.name in self.fields else None
        if chosen is not None:
            return chosen.pk
        return getattr(self.instance, fk.attname, None)

    def clean(self):
        cleaned = super().clean()
        school_id = self._row_school_id()
        if school_id is None:
            return cleaned
        for name, value in list(cleaned.items()):
            try:
                field = self._meta.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if not field.is_relation or field.name == self.school_fk_name or value is None:
                continue
            related = field.related_model
            if related is None or not is_school_scoped(related):
                continue
            values = value if isinstance(value, list | tuple | models.QuerySet) else [value]
            for item in values:
                other = school_id_of(item)
                if other is not None and str(other) != str(school_id):
                    self.add_error(name, gettext("Choose a record of the same school."))
                    break
        return cleaned


def bind_form_to_school(form_class, request, model, readonly_fields=()):
    """A subclass of `form_class` bound to the request user's school (see SchoolBoundFormMixin)."""
    fk = direct_school_field(model)
    attrs: dict[str, Any] = {
        "bound_school_id": None if is_platform_superuser(request.user) else request.user.school_id,
        "school_fk_name": fk.name if fk is not None else None,
    }
    declared = getattr(form_class, "declared_fields", {})
    attrs.update(dict.fromkeys(f for f in readonly_fields if f in declared))
    bases = (form_class,)
    if not issubclass(form_class, SchoolBoundFormMixin):
        bases = (SchoolBoundFormMixin, form_class)
    return type(form_class.__name__, bases, attrs)


# --- The ModelAdmin base ----------------------------------------------------------------------
class SchoolScopedPermissionsMixin:
    """Permissions, queryset and form-field scoping shared by ModelAdmins and inlines."""

    # Rows -------------------------------------------------------------------------------------
    def get_queryset(self, request):
        qs = super().get_queryset(request)
        user = request.user
        if is_platform_superuser(user):
            return qs
        if not may_use_admin_site(user) or not is_school_scoped(self.model):
            return qs.none()
        action = "view"
        if user.role == ROLE_STAFF and not user.has_perm(model_perm(self.model, "view")):
            action = "change"  # Django lets change imply view; so do we
        return scope_queryset(qs, user, action=action)

    # Choices ----------------------------------------------------------------------------------
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            related = db_field.remote_field.model
            if not is_platform_superuser(request.user) and is_school_scoped(related):
                base = self.get_field_queryset(None, db_field, request)
                kwargs["queryset"] = school_choices(related, request.user, base)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            related = db_field.remote_field.model
            if not is_platform_superuser(request.user) and is_school_scoped(related):
                base = self.get_field_queryset(None, db_field, request)
                kwargs["queryset"] = school_choices(related, request.user, base)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    # The school field -------------------------------------------------------------------------
    def _hidden_school_field(self, request) -> str | None:
        if is_platform_superuser(request.user):
            return None
        fk = direct_school_field(self.model)
        return fk.name if fk is not None else None

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        hidden = self._hidden_school_field(request)
        if hidden and hidden not in exclude:
            exclude.append(hidden)
        return exclude or None

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        hidden = self._hidden_school_field(request)
        return [f for f in fields if f != hidden] if hidden else fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        hidden = self._hidden_school_field(request)
        if not hidden:
            return fieldsets
        return strip_fieldsets(fieldsets, {hidden})

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        hidden = self._hidden_school_field(request)
        return [f for f in readonly if f != hidden] if hidden else readonly


def strip_fieldsets(fieldsets, names: set[str]):
    """`fieldsets` without the fields in `names` (and without sections left empty)."""
    result = []
    for title, options in fieldsets:
        kept = []
        for entry in options.get("fields", ()):
            if isinstance(entry, list | tuple):
                row = [f for f in entry if f not in names]
                if row:
                    kept.append(tuple(row))
            elif entry not in names:
                kept.append(entry)
        if kept:
            result.append((title, {**options, "fields": tuple(kept)}))
    return result


class SchoolScopedAdmin(SchoolScopedPermissionsMixin, admin.ModelAdmin):
    """Base of every ModelAdmin in the product (see the module docstring).

    Subclasses set `list_display`, `list_select_related` (so changelists never run a query per
    row), `search_fields` and `list_filter` as usual. A `school` list filter is shown to
    platform superusers only, and other related-model filters are cut to the rows in scope.
    """

    audit_admin_writes = True

    # Permissions ------------------------------------------------------------------------------
    def _allowed(self, request, action: str, obj=None) -> bool:
        if not admin_access(request.user, self.model, action):
            return False
        return obj is None or in_user_school(request.user, obj)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, "view", obj) or self._allowed(request, "change", obj)

    def has_add_permission(self, request):
        return self._allowed(request, "add")

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, "delete", obj)

    def has_module_permission(self, request):
        return may_use_admin_site(request.user) and any(self.get_model_perms(request).values())

    # Changelist -------------------------------------------------------------------------------
    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if is_platform_superuser(request.user):
            return filters
        fk = direct_school_field(self.model)
        result = []
        for entry in filters:
            if isinstance(entry, str):
                if fk is not None and entry == fk.name:
                    continue  # one school: nothing to filter, and other schools' names stay hidden
                field = _last_field_of_path(self.model, entry)
                if (
                    field is not None
                    and field.is_relation
                    and is_school_scoped(field.related_model)
                ):
                    # The default filter lists every row of the related table, across schools.
                    entry = (entry, admin.RelatedOnlyFieldListFilter)
            result.append(entry)
        return result

    # Forms ------------------------------------------------------------------------------------
    def default_form(self, request, obj=None):
        """The form class get_form starts from (UserAdmin picks its add form here)."""
        return self.form

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = kwargs.pop("form", None) or self.default_form(request, obj)
        kwargs["form"] = bind_form_to_school(
            base, request, self.model, self.get_readonly_fields(request, obj)
        )
        return super().get_form(request, obj, change=change, **kwargs)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _service_errors() as exc:
            # The transaction around the view has rolled back; say why and show the page again.
            self.message_user(request, application_error_text(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except _service_errors() as exc:
            self.message_user(request, application_error_text(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    # Writes -----------------------------------------------------------------------------------
    def bind_school(self, request, obj) -> None:
        """School users' rows always belong to their school, whatever was posted."""
        hidden = self._hidden_school_field(request)
        if hidden:
            fk = self.model._meta.get_field(hidden)
            setattr(obj, fk.attname, request.user.school_id)

    def audited_fields(self, form) -> list[str]:
        names = []
        for name in form.changed_data:
            field = _field_or_none(self.model, name)
            if field is not None and field.concrete and not field.many_to_many:
                if name != "password":
                    names.append(name)
        return names

    def save_model(self, request, obj, form, change):
        from . import audit

        self.bind_school(request, obj)
        fields = self.audited_fields(form)
        before = None
        if change and self.audit_admin_writes and fields:
            original = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = snapshot(original, fields) if original is not None else None
        super().save_model(request, obj, form, change)
        if self.audit_admin_writes and (fields or not change):
            audit_fields = fields if change else _concrete_field_names(obj)
            audit.record(
                actor=request.user,
                action=f"{obj._meta.model_name}.{'update' if change else 'create'}",
                instance=obj,
                before=before,
                after=snapshot(obj, audit_fields),
                school=_school_for_audit(obj),
            )

    def delete_model(self, request, obj):
        self._audit_delete(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._audit_delete(request, obj)
        super().delete_queryset(request, queryset)

    def _audit_delete(self, request, obj) -> None:
        if not self.audit_admin_writes:
            return
        from . import audit

        audit.record(
            actor=request.user,
            action=f"{obj._meta.model_name}.delete",
            instance=obj,
            before=snapshot(obj, _concrete_field_names(obj)),
            school=_school_for_audit(obj),
        )

    def save_formset(self, request, form, formset, change):
        """Inline rows belong to their parent's school (or the user's, for school users)."""
        instances = formset.save(commit=False)
        parent_school = school_id_of(form.instance)
        for instance in instances:
            fk = direct_school_field(type(instance))
            if fk is not None:
                if not is_platform_superuser(request.user):
                    setattr(instance, fk.attname, request.user.school_id)
                elif getattr(instance, fk.attname, None) is None and parent_school is not None:
                    setattr(instance, fk.attname, parent_school)
            instance.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


class SchoolScopedInline(SchoolScopedPermissionsMixin, admin.TabularInline):
    """Base of inlines: same row scoping, choices and school field as `SchoolScopedAdmin`."""

    extra = 0

    def has_view_permission(self, request, obj=None):
        return admin_access(request.user, self.model, "view") or admin_access(
            request.user, self.model, "change"
        )

    def has_add_permission(self, request, obj=None):
        return admin_access(request.user, self.model, "add")

    def has_change_permission(self, request, obj=None):
        return admin_access(request.user, self.model, "change")

    def has_delete_permission(self, request, obj=None):
        return admin_access(request.user, self.model, "delete")

    def get_formset(self, request, obj=None, **kwargs):
        base = kwargs.pop("form", None) or self.form
        kwargs["form"] = bind_form_to_school(
            base, request, self.model, self.get_readonly_fields(request, obj)
        )
        return super().get_formset(request, obj, **kwargs)


class ReadOnlyAdminMixin:
    """For records nobody edits in the admin (the audit log): view only, for everyone."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- helpers ----------------------------------------------------------------------------------
def _last_field_of_path(model, path: str):
    """The field a list filter path such as "section__school_class" ends at, or None."""
    from django.contrib.admin.utils import NotRelationField, get_fields_from_path

    try:
        return get_fields_from_path(model, path)[-1]
    except (FieldDoesNotExist, NotRelationField):
        return None


def _field_or_none(model, name: str):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """`audit.snapshot`, with file fields recorded by their stored name (an empty file field
    has no url, which audit's own file check trips over)."""
    from . import audit

    files = {f for f in fields if isinstance(obj._meta.get_field(f), models.FileField)}
    data = audit.snapshot(obj, [f for f in fields if f not in files])
    for name in files:
        data[name] = getattr(obj, name).name or ""
    return dict(sorted(data.items()))


def _concrete_field_names(obj) -> list[str]:
    return [
        f.name
        for f in obj._meta.concrete_fields
        if not f.primary_key and f.name not in ("password", "created_at", "updated_at")
    ]


def _school_for_audit(obj):
    from apps.accounts.models import School

    return obj if isinstance(obj, School) else None


def adopt(target: models.Model, saved: models.Model) -> None:
    """Make the admin's form instance *be* the row a service saved (same pk and values), so
    the admin's own steps after `save_model` (inlines, m2m, the change log) use that row."""
    target.__dict__.update(saved.__dict__)


# --- Admins whose writes are service calls ------------------------------------------------
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class ServiceAdmin(SchoolScopedAdmin):
    """A ModelAdmin whose writes are service calls.

    `create(request, school, data)`, `update(request, obj, data)` and `delete(request, obj)`
    receive the form's cleaned data (only the changed fields on update).
    """

    service_fields: tuple[str, ...] = ()

    def create(self, request, school, data):
        raise NotImplementedError

    def update(self, request, obj, data):
        raise NotImplementedError

    def delete(self, request, obj) -> None:
        raise NotImplementedError

    def _school(self, request, form):
        if is_platform_superuser(request.user):
            return form.cleaned_data.get("school")
        return request.user.school

    def save_model(self, request, obj, form, change):
        cd = form.cleaned_data
        if change:
            original = type(obj)._default_manager.get(pk=obj.pk)
            data = {f: cd[f] for f in self.service_fields if f in form.changed_data}
            saved = self.update(request, original, data) if data else original
        else:
            data = {f: cd[f] for f in self.service_fields if f in cd}
            saved = self.create(request, self._school(request, form), data)
        adopt(obj, saved)

    def delete_model(self, request, obj):
        self.delete(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            try:
                self.delete(request, obj)
            except _service_errors() as exc:
                self.message_user(request, f"{obj}: {application_error_text(exc)}", messages.ERROR)
