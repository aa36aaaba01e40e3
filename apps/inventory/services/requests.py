"""Item requests: a teacher asks the store for an item; the store manager approves it into an
issue to the teacher (or rejects it); the teacher may cancel a pending request.

Rules: only an active item of the school; a decided request is final; approving issues the
requested quantity (or less, when the manager says so) from the chosen store through the ledger,
so every ledger rule applies (a 409 when the store has too little, the request stays pending).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core import audit
from apps.core.services import refuse, save_checked

from ..models import ItemRequest, MovementKind, RequestStatus
from .ledger import same_school
from .movements import movement_record

FIELDS = ["item", "quantity", "status", "decision_note"]


@transaction.atomic
def request_create(*, school, actor, item, quantity, purpose: str = "",
                   needed_by=None) -> ItemRequest:  # fmt: skip
    same_school(school, item=item)
    if not item.is_active:
        raise refuse(_("This item is no longer stocked."), code="inactive_item", fields=["item"])
    row = ItemRequest(school=school, item=item, quantity=quantity, purpose=purpose,
                      needed_by=needed_by, requested_by=actor)  # fmt: skip
    save_checked(row)
    audit.record(actor=actor, action="inventory.request.create", instance=row, school=school,
                 after=audit.snapshot(row, FIELDS))  # fmt: skip
    return row


def _pending(request: ItemRequest) -> ItemRequest:
    locked = ItemRequest.objects.select_for_update().select_related("item", "requested_by")
    request = locked.get(pk=request.pk)
    if request.status != RequestStatus.PENDING:
        raise refuse(_("This request has already been decided."), code="already_decided")
    return request


def _decide(request, actor, status, note, issue=None) -> ItemRequest:
    before = audit.snapshot(request, FIELDS)
    request.status, request.decided_by, request.decided_at = status, actor, timezone.now()
    request.decision_note, request.issue = note, issue
    request.save()
    audit.record(actor=actor, action=f"inventory.request.{status}", instance=request,
                 school=request.school, before=before, after=audit.snapshot(request, FIELDS))  # fmt: skip
    return request


@transaction.atomic
def request_approve(*, request: ItemRequest, actor, store, quantity=None, due_date=None,
                    serials=None, note: str = "") -> ItemRequest:  # fmt: skip
    request = _pending(request)
    data = {"quantity": quantity or request.quantity, "staff": request.requested_by,
            "due_date": due_date, "serials": serials or [], "request": request,
            "reason": request.purpose}  # fmt: skip
    if request.item.serial_tracked:
        data["quantity"] = quantity
    posted = movement_record(school=request.school, actor=actor, kind=MovementKind.ISSUE,
                             item=request.item, store=store, data=data)  # fmt: skip
    return _decide(request, actor, RequestStatus.APPROVED, note, posted.first)


@transaction.atomic
def request_reject(*, request: ItemRequest, actor, note: str = "") -> ItemRequest:
    return _decide(_pending(request), actor, RequestStatus.REJECTED, note)


@transaction.atomic
def request_cancel(*, request: ItemRequest, actor) -> ItemRequest:
    request = _pending(request)
    if request.requested_by_id != actor.pk:
        raise refuse(_("Only the person who asked can cancel a request."), code="not_yours",
                     status_code=403)  # fmt: skip
    return _decide(request, actor, RequestStatus.CANCELLED, "")
