"""Who may see what of the fee office (see apps.core.access for the rules per role).

- school admins: everything of their school (scope_queryset);
- staff with the Accountant duty: everything of their school, by the fee permissions the duty
  holds (apps.fees.apps.accountant_permissions);
- parents: their own children's invoices, payments, receipts and credit notes, ledgers and dues;
- students: their own;
- teachers: nothing (no rule is registered for them).
"""

from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.models import Role
from apps.accounts.scopes import child_student_ids
from apps.core.access import is_platform_superuser, register_scope, scope_queryset

from .models import (
    AdvanceMovement,
    Concession,
    CreditNote,
    DocumentSequence,
    FeeCategoryMember,
    FeeHead,
    FeeReminder,
    FeeSettings,
    FeeStructure,
    FeeStructureLine,
    Installment,
    Invoice,
    InvoiceLine,
    LateFineRule,
    Payment,
    PaymentAllocation,
    Receipt,
    Refund,
)


def family_student_ids(user) -> QuerySet:
    """The students whose fees `user` sees as family: a parent's children, a student themself;
    nobody for other roles."""
    from apps.accounts.models import StudentProfile

    if user.role == Role.PARENT:
        return child_student_ids(user)
    if user.role == Role.STUDENT:
        return StudentProfile.objects.filter(user=user, school_id=user.school_id).values("pk")
    return StudentProfile.objects.none().values("pk")


def _by_student(path: str):
    def rule(qs, user):
        if user.role in (Role.PARENT, Role.STUDENT):
            return qs.filter(**{f"{path}__in": family_student_ids(user)})
        return qs.none()  # teachers see nothing of fees

    return rule


# The school's own settings and price lists are for the fee office only.
for _model in (
    FeeSettings,
    FeeHead,
    FeeStructure,
    FeeStructureLine,
    Installment,
    LateFineRule,
    FeeCategoryMember,
    DocumentSequence,
):
    register_scope(_model)
register_scope(Concession, _by_student("student"))
register_scope(Invoice, _by_student("student"))
register_scope(InvoiceLine, _by_student("invoice__student"))
register_scope(Payment, _by_student("student"))
register_scope(PaymentAllocation, _by_student("payment__student"))
register_scope(AdvanceMovement, _by_student("student"))
register_scope(Receipt, _by_student("payment__student"))
register_scope(Refund, _by_student("payment__student"))
register_scope(CreditNote, _by_student("student"))
register_scope(FeeReminder, _by_student("invoice__student"))


def manages_fees(user) -> bool:
    """A school admin, a platform superuser, or staff holding the fee office's permission."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if is_platform_superuser(user):
        return True
    if user.school_id is None:
        return False
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.STAFF and user.has_perm("fees.change_invoice")


def readable_invoices(user) -> QuerySet:
    return scope_queryset(Invoice.objects.all(), user)


def readable_students(user) -> QuerySet:
    """Students whose ledger and dues `user` reads: the whole school for the fee office, the
    family for parents and students, nobody for teachers."""
    from apps.accounts.models import StudentProfile

    qs = StudentProfile.objects.all()
    if manages_fees(user):
        return qs if is_platform_superuser(user) else qs.filter(school_id=user.school_id)
    return qs.filter(pk__in=family_student_ids(user))


def can_waive_fine(user) -> bool:
    """Waiving a late fine is a school admin's decision (not the accountant's)."""
    return bool(
        user.is_authenticated
        and (is_platform_superuser(user) or (user.role == Role.ADMIN and user.school_id))
    )
