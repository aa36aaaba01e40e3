"""Notifications are output only (raised by `services.notify`); clients write their push devices
and their preferences."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..kinds import kind_validator
from ..models import Category, Channel, Notification, Platform


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
