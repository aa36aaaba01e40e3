from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.core.access import scope_queryset


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id that must be visible to the requesting user (else: 'does not exist')."""

    def get_queryset(self):
        qs = super().get_queryset()
        request = self.context.get("request")
        if request is None:
            return qs.none()
        return scope_queryset(qs, request.user)


class SchoolRelatedField(ScopedPrimaryKeyRelatedField):
    """An id of a row the caller may see in their school; any other id is "not found", whether
    it exists in another school or not at all."""

    default_error_messages = {
        **ScopedPrimaryKeyRelatedField.default_error_messages,
        "does_not_exist": _("Not found in your school."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("pk_field", serializers.UUIDField())
        super().__init__(**kwargs)


class GrantedRelatedField(SchoolRelatedField):
    """An id among the rows a scope helper granted for this request, for callers who name rows
    they may not browse (an attendant names the riders of their run). The view sets
    `serializer.fields[name].queryset` from the app's `scopes.py`; until it does, no id is found."""

    def get_queryset(self):
        return self.queryset
