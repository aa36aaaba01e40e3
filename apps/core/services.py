"""Plumbing every app's services share: refusing with field errors, saving with the model's
rules and a clear answer to a lost race, applying input, and audited updates and deletes.

    from apps.core.services import audited_change, audited_delete, refuse, save_checked

    @transaction.atomic
    def subject_update(*, subject, actor, data):
        with audited_change(subject, actor=actor, action="subject.update", fields=FIELDS):
            apply_fields(subject, FIELDS, data)
            save_checked(subject)
        return subject
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from . import audit
from .exceptions import ApplicationError


def refuse(
    message: str, *, code: str, fields: Iterable[str] = (), status_code: int | None = None
) -> ApplicationError:
    """An ApplicationError (to raise) whose message is also the error of each named field."""
    return ApplicationError(
        message, code=code, fields={name: [message] for name in fields}, status_code=status_code
    )


def save_checked(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """full_clean() then save(). A unique key or constraint lost to a concurrent write (after
    the checks passed) is a clear 400 `conflict`, not a 500, and leaves the surrounding
    transaction usable."""
    instance.full_clean(exclude=exclude)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise ApplicationError(
            _("This record clashes with an existing one; reload and try again."),
            code="conflict",
        ) from exc


def apply_fields(instance: models.Model, fields: Iterable[str], data: dict[str, Any]) -> None:
    """Set each of `fields` that `data` holds (a PATCH: absent fields stay as they are)."""
    for name in fields:
        if name in data:
            setattr(instance, name, data[name])


@contextmanager
def audited_change(
    instance: models.Model, *, actor, action: str, fields: list[str], school=None
) -> Iterator[None]:
    """Audit what the block changes in `fields` of `instance` (before/after; nothing is
    written when nothing changed). A block that raises records nothing."""
    before = audit.snapshot(instance, fields)
    yield
    audit.record(
        actor=actor,
        action=action,
        instance=instance,
        before=before,
        after=audit.snapshot(instance, fields),
        school=school,
    )


def audited_delete(
    instance: models.Model, *, actor, action: str, fields: list[str], school=None
) -> None:
    """Record what `instance` was, then delete it."""
    audit.record(
        actor=actor,
        action=action,
        instance=instance,
        before=audit.snapshot(instance, fields),
        school=school,
    )
    instance.delete()
