"""Factories for the fee office. They write rows directly (no service rules), so tests can set
up any state quickly; tests of the rules go through the services, the API and the admin."""

from __future__ import annotations

from decimal import Decimal

import factory

from apps.accounts.tests.factories import SchoolFactory
from apps.fees.models import FeeHead, LateFineRule


class FeeHeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeeHead

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Head {n}")
    code = factory.Sequence(lambda n: f"H{n}")
    tax_class = "exempt"
    gst_rate = Decimal("0")


class LateFineRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LateFineRule

    school = factory.SubFactory(SchoolFactory)
    name = "Late fee"
    kind = "per_day"
    amount = Decimal("10.00")
    grace_days = 5
    cap = Decimal("500.00")
