"""Admins whose writes are service calls (the rules live in the services)."""

from __future__ import annotations

from django import forms
from django.contrib import messages

from ..access import (
    is_platform_superuser,
)
from .base import SchoolScopedAdmin, adopt
from .permissions import _service_errors, application_error_text

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
