"""Helpers shared by the academics services."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from apps.core.exceptions import ApplicationError


def save(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """full_clean() then save(); a race on a unique key still comes back as a clear error."""
    instance.full_clean(exclude=exclude)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise ApplicationError(
            _("This record clashes with an existing one; reload and try again."),
            code="conflict",
        ) from exc


def apply(instance: models.Model, fields: list[str], data: dict[str, Any]) -> None:
    for name in fields:
        if name in data:
            setattr(instance, name, data[name])


def refuse(
    message: str, *, code: str, fields: list[str] | tuple[str, ...] = ()
) -> ApplicationError:
    """An ApplicationError whose message is also the error of each named field."""
    return ApplicationError(message, code=code, fields={name: [message] for name in fields})
