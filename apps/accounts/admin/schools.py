"""Schools: superusers manage all; a school admin edits their own school's details."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from apps.core import audit
from apps.core.access import is_platform_superuser
from apps.core.admin import SchoolScopedAdmin, adopt

from .. import services
from ..models import School
from ..services.people import SCHOOL_FIELDS
from .common import cleared_file, timezone_choices


class SchoolForm(forms.ModelForm):
    timezone = forms.ChoiceField(label=_("timezone"), choices=timezone_choices)

    class Meta:
        model = School
        fields = (
            "name",
            "code",
            "timezone",
            "is_active",
            "address",
            "contact_email",
            "contact_phone",
            "logo",
        )


@admin.register(School)
class SchoolAdmin(SchoolScopedAdmin):
    """Platform superusers manage every school; a school admin edits their own school's details."""

    form = SchoolForm
    list_display = ("name", "code", "timezone", "contact_email", "contact_phone", "is_active")
    list_filter = ("is_active", "timezone")
    search_fields = ("name", "code", "contact_email")
    ordering = ("name",)
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "code", "timezone", "is_active")}),
        (_("Contact"), {"fields": ("address", "contact_email", "contact_phone", "logo")}),
        (_("Record"), {"fields": ("created_at", "updated_at")}),
    )

    def get_list_filter(self, request):
        return super().get_list_filter(request) if is_platform_superuser(request.user) else ()

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not is_platform_superuser(request.user):
            readonly += ["code", "is_active"]  # the platform's, not the school's
        return readonly

    def has_add_permission(self, request):
        return is_platform_superuser(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_platform_superuser(request.user)

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        original = School.objects.get(pk=obj.pk)
        changed = set(form.changed_data)
        data = {f: form.cleaned_data[f] for f in SCHOOL_FIELDS if f in changed}
        if "logo" in changed:
            data["logo"] = cleared_file(form.cleaned_data["logo"])
        if data:
            services.school_update(school=original, actor=request.user, data=data)
        platform = [f for f in ("code", "is_active") if f in changed]
        if platform and is_platform_superuser(request.user):
            before = audit.snapshot(original, platform)
            for name in platform:
                setattr(original, name, form.cleaned_data[name])
            original.full_clean()
            original.save(update_fields=[*platform, "updated_at"])
            audit.record(
                actor=request.user,
                action="school.update",
                instance=original,
                school=original,
                before=before,
                after=audit.snapshot(original, platform),
            )
        adopt(obj, original)
