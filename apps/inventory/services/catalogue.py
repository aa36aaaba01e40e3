"""Catalogue writes: categories, stores, vendors, items and reorder rules.

Rules: names, codes and SKUs are unique in the school (a clash is a 400 on the field); a vendor's
GSTIN is checked (format and check character); only a returnable asset is serial-tracked, and an
item with stock or units cannot stop being serial-tracked; an item, store or vendor with history
is deactivated, not deleted (a delete is refused while movements or orders refer to it).
Every write is audit-logged.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.services import apply_fields, audited_change, audited_delete, refuse, save_checked

from ..models import Item, ItemCategory, ReorderRule, SerialUnit, Store, Vendor
from .ledger import same_school

FIELDS = {
    ItemCategory: ["name", "description"],
    Store: ["name", "code", "kind", "is_active"],
    Vendor: ["name", "gstin", "contact_name", "phone", "email", "address", "is_active"],
    Item: ["category", "name", "sku", "unit", "kind", "serial_tracked", "preferred_vendor",
           "standard_rate", "is_active"],
    ReorderRule: ["item", "store", "reorder_level", "reorder_quantity"],
}  # fmt: skip
RELATED = ("category", "preferred_vendor", "item", "store")


def _label(model) -> str:
    return model._meta.model_name


def _check(obj) -> None:
    same_school(obj.school, **{n: getattr(obj, n, None) for n in RELATED
                               if n in FIELDS[type(obj)]})  # fmt: skip
    if isinstance(obj, Vendor) and obj.gstin:
        obj.gstin = obj.gstin.strip().upper()
    if isinstance(obj, Item) and obj.pk and not obj.serial_tracked:
        if SerialUnit.objects.filter(item=obj).exists():
            raise refuse(_("This item has serial units: it stays serial-tracked."),
                         code="has_units", fields=["serial_tracked"])  # fmt: skip


@transaction.atomic
def catalogue_create(*, model, school, actor, data: dict):
    obj = model(school=school)
    with audited_change(obj, actor=actor, action=f"inventory.{_label(model)}.create",
                        fields=FIELDS[model], school=school):  # fmt: skip
        apply_fields(obj, FIELDS[model], data)
        _check(obj)
        save_checked(obj)
    return obj


@transaction.atomic
def catalogue_update(*, obj, actor, data: dict):
    model = type(obj)
    obj = model.objects.select_for_update().get(pk=obj.pk)
    with audited_change(obj, actor=actor, action=f"inventory.{_label(model)}.update",
                        fields=FIELDS[model], school=obj.school):  # fmt: skip
        apply_fields(obj, FIELDS[model], data)
        _check(obj)
        save_checked(obj)
    return obj


@transaction.atomic
def catalogue_delete(*, obj, actor) -> None:
    model = type(obj)
    audited_delete(obj, actor=actor, action=f"inventory.{_label(model)}.delete",
                   fields=FIELDS[model], school=obj.school)  # fmt: skip
