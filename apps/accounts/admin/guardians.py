"""Parent-student links."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.core.admin import SchoolScopedAdmin, adopt

from .. import services
from ..models import Guardian, Role


class GuardianForm(forms.ModelForm):
    class Meta:
        model = Guardian
        fields = ("student", "parent", "relation", "is_primary")

    def clean(self):
        cleaned = super().clean()
        parent, student = cleaned.get("parent"), cleaned.get("student")
        if parent is not None and parent.role != Role.PARENT:
            self.add_error("parent", gettext("Only a parent account can be linked."))
        elif parent is not None and student is not None and parent.school_id != student.school_id:
            self.add_error(
                "parent", gettext("Only a parent account of the same school can be linked.")
            )
        if (
            self.instance._state.adding
            and parent is not None
            and student is not None
            and Guardian.objects.filter(parent=parent, student=student).exists()
        ):
            self.add_error("parent", gettext("This parent is already linked to this student."))
        return cleaned


@admin.register(Guardian)
class GuardianAdmin(SchoolScopedAdmin):
    form = GuardianForm
    list_display = (
        "student_name",
        "admission_number",
        "parent_name",
        "parent_email",
        "relation",
        "is_primary",
        "school",
    )
    list_select_related = ("student__user", "parent", "school")
    list_filter = ("relation", "is_primary", "school")
    search_fields = (
        "student__admission_number",
        "student__user__full_name",
        "parent__full_name",
        "parent__email",
        "parent__phone",
    )
    ordering = ("student__admission_number", "-is_primary")
    autocomplete_fields = ("student", "parent")
    fields = ("student", "parent", "relation", "is_primary")

    @admin.display(description=_("student"), ordering="student__user__full_name")
    def student_name(self, obj):
        return obj.student.user.full_name

    @admin.display(description=_("admission number"), ordering="student__admission_number")
    def admission_number(self, obj):
        return obj.student.admission_number

    @admin.display(description=_("parent"), ordering="parent__full_name")
    def parent_name(self, obj):
        return obj.parent.full_name

    @admin.display(description=_("e-mail"), ordering="parent__email")
    def parent_email(self, obj):
        return obj.parent.email

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly += ["student", "parent"]  # a link changes its relation and primary flag only
        return readonly

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "parent":
            field.queryset = field.queryset.filter(role=Role.PARENT)
        elif db_field.name == "student":
            field.queryset = field.queryset.select_related("user")
        return field

    def save_model(self, request, obj, form, change):
        cd = form.cleaned_data
        if not change:
            link = services.guardian_link(
                student=cd["student"],
                actor=request.user,
                parent=cd["parent"],
                relation=cd["relation"],
                is_primary=cd["is_primary"],
            )
        else:
            link = Guardian.objects.select_related("student").get(pk=obj.pk)
            data = {f: cd[f] for f in ("relation", "is_primary") if f in form.changed_data}
            if data:
                services.guardian_update(link=link, actor=request.user, data=data)
        adopt(obj, link)

    def delete_model(self, request, obj):
        services.guardian_unlink(link=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for link in queryset:
            services.guardian_unlink(link=link, actor=request.user)
