from __future__ import annotations

import factory

from apps.accounts.tests.factories import UserFactory
from apps.notifications.models import Notification


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    school = factory.LazyAttribute(lambda o: o.recipient.school)
    kind = "general"
    title = factory.Sequence(lambda n: f"Notice {n}")
    body = "Details follow."
    data = factory.LazyFunction(dict)
