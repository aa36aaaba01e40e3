from rest_framework import serializers

from apps.core.models import AuditLog


class AuditLogSerializer(serializers.ModelSerializer):
    actor_email = serializers.EmailField(source="actor.email", read_only=True, default=None)

    class Meta:
        model = AuditLog
        fields = [
            "id", "action", "object_type", "object_id", "object_repr", "actor", "actor_email",
            "before", "after", "request_id", "created_at",
        ]  # fmt: skip
        read_only_fields = fields
