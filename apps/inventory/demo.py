"""The demo school's stores (called by `seed_demo`, after academics): four stores, seven
categories with 60 items (the laptops included), five vendors, reorder rules for the consumables,
a store manager login, a year of movements (receipts, issues to sections, staff and rooms,
transfers), a few items left below their reorder level, and ten serial-numbered laptops of
which three are out past their due date.

The year of movements is valued by the ledger's own arithmetic (`ledger._apply` on in-memory
balances) and written with a handful of bulk INSERTs, so seeding stays fast and every balance
still equals the sum of its movements. Idempotent: catalogue rows are found or created; the
movements are seeded only into a school that has none.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.academics.models import Section
from apps.accounts.duties import STORE_MANAGER
from apps.accounts.models import Role, StaffProfile, User

from . import services
from .models import (
    Item,
    ItemCategory,
    ItemKind,
    ReorderRule,
    StockBalance,
    StockMovement,
    Store,
    Vendor,
    gstin_check_digit,
)
from .services.ledger import Leg, school_today

D = Decimal
STORE_LOGIN = "store@demo.schools24.test"
STORES = [("MAIN", "Main store", "main"), ("SCI", "Science lab", "lab"),
          ("SPORTS", "Sports room", "sports"), ("COMP", "Computer lab", "other")]  # fmt: skip
VENDORS = [("Vidya Stationers", "29ABCDE1234F1Z"), ("Bharat Uniforms", "29BHARU5678K1Z"),
           ("LabChem India", "27LABCH4321Q1Z"), ("Khel Sports", "07KHELS9876P1Z"),
           ("Digital Edge", "29DIGIT2468M1Z")]  # fmt: skip
CATALOGUE = {
    # category: (vendor index, unit, rate, store code, item names)
    "Stationery": (0, "piece", "25", "MAIN", [
        "Notebook 200 pages", "Notebook 100 pages", "Graph notebook", "Drawing book",
        "Blue pen", "Black pen", "Pencil HB", "Eraser", "Sharpener", "Chalk box", "Whiteboard marker",
        "Duster", "Stapler"]),
    "Paper": (0, "ream", "260", "MAIN", ["A4 paper", "A3 paper", "Chart paper", "Answer sheets"]),
    "Uniforms": (1, "piece", "450", "MAIN", [
        "Shirt size 28", "Shirt size 32", "Shirt size 36", "Trousers size 28", "Trousers size 32",
        "Skirt size 28", "Skirt size 32", "Tie", "Belt", "Sports T-shirt"]),
    "Lab chemicals": (2, "litre", "180", "SCI", [
        "Hydrochloric acid", "Sulphuric acid", "Sodium hydroxide", "Ethanol", "Distilled water",
        "Litmus solution", "Copper sulphate", "Phenolphthalein"]),
    "Lab equipment": (2, "piece", "120", "SCI", [
        "Test tube", "Beaker 250 ml", "Conical flask", "Burette", "Pipette", "Bunsen burner",
        "Microscope slide", "Petri dish"]),
    "Sports kit": (3, "piece", "350", "SPORTS", [
        "Football", "Cricket ball", "Cricket bat", "Badminton racket", "Shuttlecock box",
        "Basketball", "Skipping rope", "Cones set", "Volleyball", "Table tennis ball box"]),
    "IT equipment": (4, "piece", "1200", "COMP", [
        "Keyboard", "Mouse", "HDMI cable", "Pen drive 32 GB", "Headphones", "Webcam"]),
}  # fmt: skip
ASSETS = {"Cricket bat", "Badminton racket", "Microscope slide", "Bunsen burner", "Headphones"}
LAPTOP_SKU = "IT-LAPTOP"
LOW_ITEMS = ("Blue pen", "A4 paper", "Ethanol", "Shuttlecock box")


def gstin(first14: str) -> str:
    return first14 + gstin_check_digit(first14)


@transaction.atomic
def seed_inventory(*, report, school, rng: random.Random) -> None:
    manager = _manager(report, school)
    stores = {code: _get(report, "stores", Store, school, code=code,
                         defaults={"name": name, "kind": kind})
              for code, name, kind in STORES}  # fmt: skip
    vendors = [_get(report, "vendors", Vendor, school, name=name,
                    defaults={"gstin": gstin(first14), "phone": "+91 80 4000 0000"})
               for name, first14 in VENDORS]  # fmt: skip
    items: list[tuple[Item, Store]] = []
    for number, (category_name, (vendor, unit, rate, store, names)) in enumerate(CATALOGUE.items()):
        category = _get(report, "item categories", ItemCategory, school, name=category_name)
        for index, name in enumerate(names, start=1):
            asset = name in ASSETS
            item = _get(report, "items", Item, school, sku=f"{number + 1:02d}-{index:03d}",
                        defaults={"name": name, "category": category, "unit": unit,
                                  "kind": ItemKind.ASSET if asset else ItemKind.CONSUMABLE,
                                  "preferred_vendor": vendors[vendor],
                                  "standard_rate": D(rate)})  # fmt: skip
            items.append((item, stores[store]))
            if not asset:
                ReorderRule.objects.get_or_create(
                    item=item, store=stores[store],
                    defaults={"school": school, "reorder_level": D("20"),
                              "reorder_quantity": D("100")},
                )  # fmt: skip
    it = ItemCategory.objects.get(school=school, name="IT equipment")
    laptop = _get(report, "items", Item, school, sku=LAPTOP_SKU,
                  defaults={"name": "Laptop", "category": it, "kind": ItemKind.ASSET,
                            "serial_tracked": True, "preferred_vendor": vendors[4],
                            "standard_rate": D("42000")})  # fmt: skip
    if StockMovement.objects.filter(school=school).exists():
        return
    _year_of_movements(report, school, manager, items, stores, rng)
    _laptops(report, school, manager, laptop, stores["COMP"])


def _get(report, kind, model, school, defaults=None, **lookup):
    obj, created = model.objects.get_or_create(school=school, **lookup, defaults=defaults or {})
    report.add(kind, created)
    return obj


def _manager(report, school) -> User:
    from django.contrib.auth.models import Group

    from apps.accounts.demo import _user

    user = _user(report, school, STORE_LOGIN, "Suresh Storekeeper", Role.STAFF, login=True)
    StaffProfile.objects.get_or_create(
        user=user, defaults={"school": school, "employee_code": "S0002",
                             "designation": "Store manager"},
    )  # fmt: skip
    user.groups.add(Group.objects.get_or_create(name=STORE_MANAGER)[0])
    return user


def _year_of_movements(report, school, manager, items, stores, rng) -> None:
    """52 weeks: a receipt at the start of each month, issues every week, a transfer now and
    then, one stock-take adjustment per item; then the LOW_ITEMS are issued down below their
    reorder level."""
    start = timezone.now() - dt.timedelta(days=364)
    sections = list(Section.objects.filter(school=school).select_related("school_class")[:20])
    staff = list(User.objects.filter(school=school, role=Role.TEACHER, is_active=True)[:20])
    balances: dict = {}
    movements: list[StockMovement] = []

    def apply(kind, item, store, quantity, delta, when, rate=None, value_from=None, **fields):
        key = (item.pk, store.pk)
        balance = balances.setdefault(key, StockBalance(school=school, item=item, store=store))
        leg = Leg(kind, item, store, D(quantity), D(delta), rate=rate, value_from=value_from,
                  fields={"occurred_at": when, "recorded_by": manager, **fields})  # fmt: skip
        services.ledger._apply(leg, balance)
        movements.append(leg.movement)
        return leg

    for week in range(52):
        when = start + dt.timedelta(days=7 * week, hours=rng.randint(0, 6))
        for item, store in items:
            have = balances.get((item.pk, store.pk))
            have = have.quantity if have else D(0)
            if week % 4 == 0:
                quantity = rng.randint(40, 160) if item.kind == ItemKind.CONSUMABLE else 10
                if item.kind == ItemKind.CONSUMABLE or week == 0:
                    rate = item.standard_rate * D(rng.randint(90, 115)) / 100
                    apply(
                        "receipt",
                        item,
                        store,
                        quantity,
                        quantity,
                        when,
                        rate=rate.quantize(D("0.01")),
                    )
                    have += quantity
            if item.kind == ItemKind.CONSUMABLE and have > 30:
                quantity = min(have - 25, rng.randint(5, 30))
                target = rng.choice(["section", "staff", "location"])
                recipient = (
                    {"section": rng.choice(sections)} if target == "section" and sections
                    else {"staff": rng.choice(staff)} if target == "staff" and staff
                    else {"location": rng.choice(["Staff room", "Office", "Hall", "Library"])}
                )  # fmt: skip
                apply("issue", item, store, quantity, -quantity,
                      when + dt.timedelta(days=rng.randint(1, 5)), **recipient)  # fmt: skip
    when = timezone.now() - dt.timedelta(days=20)
    main, sci = stores["MAIN"], stores["SCI"]
    for item, store in items:
        balance = balances.get((item.pk, store.pk))
        if balance is None or balance.quantity < 2:
            continue
        if store == main and rng.random() < 0.2:  # a few boxes move to the lab
            out = apply("transfer_out", item, main, 1, -1, when, reason="For the science lab")
            into = apply("transfer_in", item, sci, 1, 1, when, value_from=out,
                         reason="For the science lab")  # fmt: skip
            out.movement.counterpart_id, into.movement.counterpart_id = into.id, out.id
        left = balances[(item.pk, store.pk)].quantity
        if item.name in LOW_ITEMS and left > 5:
            apply("issue", item, store, left - 5, -(left - 5), when + dt.timedelta(days=1),
                  location="Examination hall")  # fmt: skip
    StockMovement.objects.bulk_create(movements, batch_size=1000)
    StockBalance.objects.bulk_create(list(balances.values()), batch_size=1000)
    report.created["stock movements"] = len(movements)


def _laptops(report, school, manager, laptop, store) -> None:
    """Ten laptops received; five issued to teachers, three of them overdue."""
    serials = [f"DL-{n:03d}" for n in range(1, 11)]
    services.movement_record(school=school, actor=manager, kind="receipt", item=laptop,
                             store=store, data={"serials": serials, "rate": laptop.standard_rate,
                                                "reason": "Computer lab refresh"})  # fmt: skip
    teachers = list(User.objects.filter(school=school, role=Role.TEACHER, is_active=True)[:5])
    today = school_today(school)
    for index, teacher in enumerate(teachers):
        due = today - dt.timedelta(days=10 + index) if index < 3 else today + dt.timedelta(days=30)
        services.movement_record(school=school, actor=manager, kind="issue", item=laptop,
                                 store=store, data={"serials": [serials[index]], "staff": teacher,
                                                    "due_date": due})  # fmt: skip
    report.created["laptops"] = len(serials)
