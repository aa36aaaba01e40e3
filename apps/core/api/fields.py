from __future__ import annotations

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
