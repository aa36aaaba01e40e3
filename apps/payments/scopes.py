"""Who may see and start online payments (see apps.core.access for the rules per role).

- school admins: every order and webhook event of their school;
- staff with the Accountant duty: the same, by the payments permissions the duty holds;
- parents: the orders for their children's invoices, and they may start one;
- students: the orders for their own invoices (reading only);
- teachers: nothing.
"""

from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.models import Role
from apps.core.access import register_scope, scope_queryset
from apps.fees.scopes import family_student_ids, manages_fees, readable_invoices

from .models import PaymentOrder, PaymentOrderInvoice, WebhookEvent


def _by_student(path: str):
    def rule(qs, user):
        if user.role in (Role.PARENT, Role.STUDENT):
            return qs.filter(**{f"{path}__in": family_student_ids(user)})
        return qs.none()

    return rule


register_scope(PaymentOrder, _by_student("student"))
register_scope(PaymentOrderInvoice, _by_student("order__student"))
register_scope(WebhookEvent)  # the fee office's only


def readable_orders(user) -> QuerySet:
    return scope_queryset(PaymentOrder.objects.all(), user)


def payable_invoices(user) -> QuerySet:
    """Invoices `user` may pay online: the fee office's whole school, a parent's children's.
    Students read their dues but do not pay (the family does)."""
    if manages_fees(user) or user.role == Role.PARENT:
        return readable_invoices(user)
    return readable_invoices(user).none()


def can_start_payment(user) -> bool:
    return bool(
        user.is_authenticated
        and user.school_id
        and (manages_fees(user) or user.role == Role.PARENT)
    )
