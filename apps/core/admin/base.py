"""The ModelAdmin bases: rows, permissions, forms and audited writes scoped to a school."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import HttpResponseRedirect
from unfold.admin import ModelAdmin as UnfoldModelAdmin
from unfold.admin import TabularInline as UnfoldTabularInline

from ..access import (
    is_platform_superuser,
    is_school_scoped,
    model_perm,
    scope_queryset,
)
from .forms import bind_form_to_school
from .permissions import (
    ROLE_STAFF,
    _service_errors,
    admin_access,
    application_error_text,
    direct_school_field,
    in_user_school,
    may_use_admin_site,
    school_choices,
    school_id_of,
)


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


class SchoolScopedAdmin(SchoolScopedPermissionsMixin, UnfoldModelAdmin):
    """Base of every ModelAdmin in the product (see the module docstring).

    Subclasses set `list_display`, `list_select_related` (so changelists never run a query per
    row), `search_fields` and `list_filter` as usual. A `school` list filter is shown to
    platform superusers only, and other related-model filters are cut to the rows in scope.
    """

    audit_admin_writes = True
    # Pages of this admin listed under its domain in the sidebar (see navigation.py).
    sidebar_links: tuple = ()

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
        from .. import audit

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
        from .. import audit

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


class SchoolScopedInline(SchoolScopedPermissionsMixin, UnfoldTabularInline):
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
    from .. import audit

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
    """A school's own changes are audited under that school (the tenant model, by label, so
    core imports no domain app)."""
    return obj if obj._meta.label == "accounts.School" else None


def adopt(target: models.Model, saved: models.Model) -> None:
    """Make the admin's form instance *be* the row a service saved (same pk and values), so
    the admin's own steps after `save_model` (inlines, m2m, the change log) use that row."""
    target.__dict__.update(saved.__dict__)
