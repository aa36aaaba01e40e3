from __future__ import annotations

import factory
from django.utils import timezone

from apps.accounts.tests.factories import UserFactory
from apps.notifications.models import Device, Notification, SmsTemplate


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    school = factory.LazyAttribute(lambda o: o.recipient.school)
    kind = "general"
    title = factory.Sequence(lambda n: f"Notice {n}")
    body = "Details follow."
    data = factory.LazyFunction(dict)


class SmsTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SmsTemplate

    school = factory.SubFactory("apps.accounts.tests.factories.SchoolFactory")
    kind = "attendance.absent"
    language = "en"
    text = "Dear parent, {#var#} was absent on {#var#}. -Alice School"
    variables = factory.LazyFunction(lambda: ["student", "date"])
    dlt_template_id = "1107160000000000001"
    sender_header = "ALICES"
    category = "transactional"


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device

    user = factory.SubFactory(UserFactory)
    school = factory.LazyAttribute(lambda o: o.user.school)
    platform = "android"
    token = factory.Sequence(lambda n: f"token-{n}")
    last_seen_at = factory.LazyFunction(timezone.now)
