"""The stores of the cast's school: a main store and a lab, notebooks (consumable), a
serial-tracked laptop (returnable asset), a vendor; a store manager (staff with the duty)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from apps.accounts.duties import STORE_MANAGER
from apps.accounts.tests.factories import StaffFactory
from apps.inventory.tests.factories import (
    ItemCategoryFactory,
    ItemFactory,
    StoreFactory,
    VendorFactory,
)


@dataclass
class Stores:
    manager: object  # User: a storekeeper (staff with the Store manager duty)
    main: object
    lab: object
    vendor: object
    notebook: object
    laptop: object
    stationery: object


@pytest.fixture
def stores(cast) -> Stores:
    school = cast.school
    manager = StaffFactory(school=school, user__full_name="Sunil Store",
                           user__email="sunil@alice.test", user__duties=[STORE_MANAGER]).user  # fmt: skip
    stationery = ItemCategoryFactory(school=school, name="Stationery")
    it = ItemCategoryFactory(school=school, name="IT")
    vendor = VendorFactory(school=school, name="Paper House")
    return Stores(
        manager=manager,
        main=StoreFactory(school=school, name="Main store", code="MAIN"),
        lab=StoreFactory(school=school, name="Science lab", code="LAB", kind="lab"),
        vendor=vendor,
        notebook=ItemFactory(
            school=school,
            category=stationery,
            name="Notebook",
            sku="NB-100",
            preferred_vendor=vendor,
        ),  # fmt: skip
        laptop=ItemFactory(
            school=school,
            category=it,
            name="Laptop",
            sku="LT-1",
            kind="asset",
            serial_tracked=True,
            unit="piece",
        ),  # fmt: skip
        stationery=stationery,
    )
