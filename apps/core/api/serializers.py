from __future__ import annotations

import copy

from rest_framework import serializers

from apps.core.access import is_platform_superuser
from apps.core.models import AuditLog


class BuiltOnceFieldsMixin:
    """For a ModelSerializer on a hot path: its fields are worked out from the model once per
    class (DRF redoes it, labels and validators included, for every instance), then copied as
    DRF copies declared fields. Only for a serializer whose fields do not depend on its
    context or instance (no `get_fields` of its own)."""

    def get_fields(self):
        built = type(self).__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            type(self)._built_fields = built
        return copy.deepcopy(built)


class AuditLogSerializer(serializers.ModelSerializer):
    actor_email = serializers.EmailField(source="actor.email", read_only=True, default=None)
    by_platform = serializers.SerializerMethodField(
        help_text="The change was made by the platform's operators (shown without who)."
    )

    class Meta:
        model = AuditLog
        fields = [
            "id", "action", "object_type", "object_id", "object_repr", "actor", "actor_email",
            "by_platform", "before", "after", "request_id", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_by_platform(self, obj) -> bool:
        actor = obj.actor
        return bool(actor is not None and actor.is_superuser and actor.school_id is None)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        viewer = getattr(request, "user", None)
        if data["by_platform"] and not (viewer is not None and is_platform_superuser(viewer)):
            # A school never sees who a platform superuser is (their account stays out of the
            # school's users too); that the platform made the change stays visible.
            data["actor"] = data["actor_email"] = None
        return data
