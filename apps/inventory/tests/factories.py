"""Factories for the stores. They write catalogue rows directly; stock only ever enters through
the ledger service (`receive` below), so balances always match their movements."""

from __future__ import annotations

from decimal import Decimal

import factory

from apps.accounts.tests.factories import SchoolFactory
from apps.inventory.models import Item, ItemCategory, ReorderRule, Store, Vendor


class ItemCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ItemCategory

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Category {n}")


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Store {n}")
    code = factory.Sequence(lambda n: f"S{n}")


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Vendor {n}")
    gstin = "27AAPFU0939F1ZV"


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    school = factory.SubFactory(SchoolFactory)
    category = factory.SubFactory(ItemCategoryFactory, school=factory.SelfAttribute("..school"))
    name = factory.Sequence(lambda n: f"Item {n}")
    sku = factory.Sequence(lambda n: f"SKU{n:04d}")
    standard_rate = Decimal("10.00")


class ReorderRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReorderRule

    school = factory.SelfAttribute("item.school")
    reorder_level = Decimal("10")
    reorder_quantity = Decimal("50")


def receive(school, actor, item, store, quantity, rate, **data):
    """Stock in through the ledger."""
    from apps.inventory.services import movement_record

    return movement_record(school=school, actor=actor, kind="receipt", item=item, store=store,
                           data={"quantity": Decimal(quantity), "rate": Decimal(rate), **data}).first  # fmt: skip
