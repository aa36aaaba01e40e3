"""Notifications are output only (raised by `services.notify`); clients write their push devices
and their preferences."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..kinds import kind_validator
from ..models import (
    Category,
    Channel,
    Circular,
    CircularAudience,
    Notification,
    Platform,
)


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "data", "is_read", "read_at", "created_at"]
        read_only_fields = fields


class UnreadCountSerializer(serializers.Serializer):
    unread_count = serializers.IntegerField()


class ReadAllResultSerializer(serializers.Serializer):
    updated = serializers.IntegerField(help_text="How many notifications were marked read.")
    unread_count = serializers.IntegerField()


class DeviceSerializer(serializers.Serializer):
    platform = serializers.ChoiceField(choices=Platform.choices)
    token = serializers.CharField(max_length=512, trim_whitespace=True)
    id = serializers.UUIDField(read_only=True)
    last_seen_at = serializers.DateTimeField(read_only=True)


class DeviceTokenSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=512, trim_whitespace=True)


class PreferenceRuleSerializer(serializers.Serializer):
    key = serializers.CharField(
        max_length=64,
        validators=[kind_validator],
        help_text=_("A category (critical, transactional, promotional) or a kind."),
    )
    channel = serializers.ChoiceField(choices=Channel.choices)
    enabled = serializers.BooleanField()


class QuietHoursSerializer(serializers.Serializer):
    start = serializers.TimeField(format="%H:%M")
    end = serializers.TimeField(format="%H:%M")


class CategoryInfoSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=Category.choices)
    label = serializers.CharField()
    can_opt_out = serializers.BooleanField()


class KindInfoSerializer(serializers.Serializer):
    kind = serializers.CharField()
    category = serializers.ChoiceField(choices=Category.choices)
    channels = serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices))


class PreferencesSerializer(serializers.Serializer):
    rules = PreferenceRuleSerializer(many=True)
    quiet_hours = QuietHoursSerializer(allow_null=True)
    categories = CategoryInfoSerializer(many=True, read_only=True)
    kinds = KindInfoSerializer(many=True, read_only=True)


class DeliveryWebhookAnswerSerializer(serializers.Serializer):
    updated = serializers.IntegerField(help_text=_("How many deliveries the report changed."))


class UnsubscribeAnswerSerializer(serializers.Serializer):
    unsubscribed = serializers.BooleanField()


class SchoolNotificationSettingsSerializer(serializers.Serializer):
    email_enabled = serializers.BooleanField(required=False)
    sms_enabled = serializers.BooleanField(required=False)
    push_enabled = serializers.BooleanField(required=False)
    sms_monthly_limit = serializers.IntegerField(
        min_value=0, allow_null=True, required=False, help_text=_("Segments a month; null: none.")
    )
    sms_monthly_budget_rupees = serializers.IntegerField(
        min_value=0, allow_null=True, required=False, help_text=_("Rupees a month; null: none.")
    )
    promotional_start = serializers.TimeField(format="%H:%M", allow_null=True, required=False)
    promotional_end = serializers.TimeField(format="%H:%M", allow_null=True, required=False)
    dlt_entity_id = serializers.CharField(
        max_length=32, allow_blank=True, required=False, help_text=_("Digits only.")
    )
    sms_budget_segments = serializers.IntegerField(read_only=True, allow_null=True)
    sms_used_segments = serializers.IntegerField(read_only=True)
    sms_cost_paise = serializers.IntegerField(
        read_only=True, help_text=_("What one SMS segment costs.")
    )
    promotional_window = serializers.CharField(
        read_only=True, help_text=_("The window in force (the school's or the default).")
    )

    def validate_dlt_entity_id(self, value: str) -> str:
        if value and not value.isdigit():
            raise serializers.ValidationError(_("A DLT entity id is digits only."))
        return value


class CircularSerializer(serializers.ModelSerializer):
    class Meta:
        model = Circular
        fields = [
            "id", "title", "body", "language", "audience", "target_id", "attendance_status",
            "channels", "status", "scheduled_at", "sent_at", "recipient_count",
            "delivery_count", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class CircularInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=10000)
    language = serializers.CharField(max_length=8, default="en")
    audience = serializers.ChoiceField(choices=CircularAudience.choices)
    target_id = serializers.UUIDField(required=False, allow_null=True)
    attendance_status = serializers.CharField(
        max_length=16, required=False, allow_blank=True, help_text=_("absent or late")
    )
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=Channel.choices), max_length=4, default=list
    )


class CircularScheduleSerializer(serializers.Serializer):
    scheduled_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text=_("When to send; now when left out.")
    )


class CircularChannelCountsSerializer(serializers.Serializer):
    in_app = serializers.IntegerField()
    email = serializers.IntegerField()
    sms = serializers.IntegerField()
    push = serializers.IntegerField()


class CircularPreviewSerializer(serializers.Serializer):
    recipients = serializers.IntegerField()
    by_channel = CircularChannelCountsSerializer()
    sms_segments = serializers.IntegerField(help_text=_("Segments of one SMS."))
    sms_cost_paise = serializers.IntegerField(
        help_text=_("Segments x SMS recipients x the cost of a segment.")
    )
    sms_budget_segments = serializers.IntegerField(allow_null=True)
    sms_used_segments = serializers.IntegerField(allow_null=True)
