"""The notifications' read rules: own rows for members, the school's for its admins."""

from __future__ import annotations

import pytest

from apps.core.access import scope_queryset
from apps.notifications.models import Delivery, Device, SmsTemplate
from apps.notifications.scopes import own_devices
from apps.notifications.services import notify

from .factories import DeviceFactory, SmsTemplateFactory

pytestmark = pytest.mark.django_db


def test_deliveries_are_the_recipients_and_the_school_admins(cast):
    notify(recipients=[cast.parent, cast.admin2], kind="general", title="T", body="B")
    mine = set(Delivery.objects.filter(recipient=cast.parent).values_list("pk", flat=True))
    assert (
        set(scope_queryset(Delivery.objects.all(), cast.parent).values_list("pk", flat=True))
        == mine
    )
    assert (
        set(scope_queryset(Delivery.objects.all(), cast.admin).values_list("pk", flat=True)) == mine
    )
    assert not scope_queryset(Delivery.objects.all(), cast.teacher.user).exists()
    assert not scope_queryset(Delivery.objects.all(), cast.accountant.user).exists()


def test_devices_and_templates(cast):
    DeviceFactory(user=cast.parent, token="p")
    DeviceFactory(user=cast.admin, token="a")
    SmsTemplateFactory(school=cast.school)
    assert list(own_devices(cast.parent).values_list("token", flat=True)) == ["p"]
    assert list(own_devices(cast.admin).values_list("token", flat=True)) == ["a"]
    assert scope_queryset(Device.objects.all(), cast.admin).count() == 2
    assert scope_queryset(SmsTemplate.objects.all(), cast.admin).count() == 1
    assert not scope_queryset(SmsTemplate.objects.all(), cast.admin2).exists()
    assert not scope_queryset(SmsTemplate.objects.all(), cast.parent).exists()
