"""Audit records: `record(...)` is called by services inside their transaction."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import models
from django.db.models.fields.files import FieldFile

from .clients import client_ip_var
from .logging import request_id_var
from .models import AuditLog


def _jsonable(value: Any) -> Any:
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, FieldFile):
        return value.name or ""
    return value


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    """The audited fields of `instance` as plain JSON values."""
    data = {}
    for name in fields:
        field = instance._meta.get_field(name)
        value = getattr(instance, field.attname)
        data[name] = _jsonable(value)
    return data


def record(
    *,
    actor,
    action: str,
    instance: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    school=None,
    ip_address: str | None = None,
) -> AuditLog | None:
    """Write one audit entry; with both `before` and `after`, only the changed keys are kept
    and nothing is written when nothing changed."""
    entry = _entry(
        actor=actor,
        action=action,
        instance=instance,
        before=before,
        after=after,
        school=school,
        ip_address=ip_address if ip_address is not None else client_ip_var.get(),
    )
    if entry is not None:
        entry.save()
    return entry


def record_many(entries: list[dict[str, Any]]) -> list[AuditLog]:
    """`record` for many changes at once (each dict holds `record`'s keyword arguments): one
    INSERT for all of them, e.g. when a whole register is re-marked."""
    rows = [row for row in (_entry(**entry) for entry in entries) if row is not None]
    return AuditLog.objects.bulk_create(rows)


def _entry(
    *,
    actor,
    action: str,
    instance: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    school=None,
    ip_address: str | None = None,
) -> AuditLog | None:
    if before is not None and after is not None:
        changed = {k for k in after if before.get(k) != after.get(k)}
        if not changed:
            return None
        before = {k: before.get(k) for k in sorted(changed)}
        after = {k: after[k] for k in sorted(changed)}
    if school is None:
        school = getattr(instance, "school", None)
    return AuditLog(
        school=school,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=instance._meta.label_lower,
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        before=before,
        after=after,
        request_id=request_id_var.get() if request_id_var.get() != "-" else "",
        ip_address=ip_address if ip_address is not None else client_ip_var.get(),
    )
