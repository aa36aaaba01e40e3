"""Who may see and do what in the stores (see apps.core.access for the rules per role).

- school admins: everything of their school (scope_queryset);
- staff with the Store manager duty: everything of their school, by the inventory permissions
  the duty holds (apps.inventory.apps.store_manager_permissions); other staff (an accountant)
  nothing;
- teachers: the catalogue (categories, active items, stores) to ask for items, their own
  requests, and the movements issued to them or returned by them;
- students: the movements issued to them; parents: their children's;
- nobody else sees balances, vendors, purchase orders, serial units or alerts.
"""

from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.models import Role
from apps.accounts.scopes import child_student_ids
from apps.core.access import is_platform_superuser, register_scope, scope_queryset

from .models import (
    Item,
    ItemCategory,
    ItemRequest,
    LowStockAlert,
    MovementUnit,
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderRule,
    SerialUnit,
    StockBalance,
    StockMovement,
    Store,
    Vendor,
)

MANAGE_PERM = "inventory.add_stockmovement"


def _teachers_see_all(qs, user):
    return qs if user.role == Role.TEACHER else qs.none()


def _teachers_see_active(qs, user):
    return qs.filter(is_active=True) if user.role == Role.TEACHER else qs.none()


def _own_requests(qs, user):
    return qs.filter(requested_by=user) if user.role == Role.TEACHER else qs.none()


def _issued_to_me(qs, user):
    if user.role == Role.TEACHER:
        return qs.filter(staff=user)
    if user.role == Role.STUDENT:
        return qs.filter(student__user=user)
    if user.role == Role.PARENT:
        return qs.filter(student__in=child_student_ids(user))
    return qs.none()


register_scope(ItemCategory, _teachers_see_all)
register_scope(Item, _teachers_see_active)
register_scope(Store, _teachers_see_active)
register_scope(ItemRequest, _own_requests)
register_scope(StockMovement, _issued_to_me)
for _model in (
    Vendor,
    ReorderRule,
    PurchaseOrder,
    PurchaseOrderLine,
    StockBalance,
    SerialUnit,
    MovementUnit,
    LowStockAlert,
):
    register_scope(_model)


def manages_stores(user) -> bool:
    """A school admin, a platform superuser, or staff holding the Store manager duty."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if is_platform_superuser(user):
        return True
    if user.school_id is None:
        return False
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.STAFF and user.has_perm(MANAGE_PERM)


def may_request_items(user) -> bool:
    """Teachers ask the store for items (school admins and store managers may too)."""
    return bool(
        user and user.is_authenticated and user.school_id
        and (user.role == Role.TEACHER or manages_stores(user))
    )  # fmt: skip


def readable_movements(user) -> QuerySet:
    return scope_queryset(StockMovement.objects.all(), user)


def readable_requests(user) -> QuerySet:
    return scope_queryset(ItemRequest.objects.all(), user)


def store_managers(school) -> QuerySet:
    """Who is told about the school's stores: staff with the Store manager duty, or the school
    admins when nobody holds it."""
    from apps.accounts.duties import STORE_MANAGER
    from apps.accounts.models import User

    active = User.objects.filter(school=school, is_active=True)
    duty = active.filter(role=Role.STAFF, groups__name=STORE_MANAGER).distinct()
    return duty if duty.exists() else active.filter(role=Role.ADMIN)


def borrower_users(movement) -> list:
    """Whom an overdue issue is told to: the staff member, or the student (and their
    guardians); a section's class teacher; nobody for a location."""
    if movement.staff_id:
        return [movement.staff]
    if movement.student_id:
        return [movement.student.user]
    if movement.section_id and movement.section.class_teacher_id:
        return [movement.section.class_teacher.user]
    return []
