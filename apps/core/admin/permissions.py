"""Who may use the admin site, and what: the predicates every admin screen asks."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.translation import gettext

from ..access import (
    is_platform_superuser,
    is_school_scoped,
    model_perm,
    school_field_of,
    scope_queryset,
)
from ..roles import ADMIN_SITE_ROLES, Role

ROLE_ADMIN = Role.ADMIN
ROLE_STAFF = Role.STAFF


# --- Who may use the admin, and what ---------------------------------------------------------
def may_use_admin_site(user) -> bool:
    """Platform superusers, school admins and staff with admin-site access; nobody else."""
    if not (user and user.is_authenticated and user.is_active and user.is_staff):
        return False
    if is_platform_superuser(user):
        return True
    return bool(user.school_id) and user.role in ADMIN_SITE_ROLES


def admin_access(user, model: type[models.Model], action: str) -> bool:
    """May `user` perform `action` (view/add/change/delete) on `model` in the admin at all?"""
    if not may_use_admin_site(user):
        return False
    if is_platform_superuser(user):
        return True
    if not is_school_scoped(model):
        return False  # platform tables (groups, beat schedules, ...) are the superuser's
    if user.role == ROLE_ADMIN:
        return True
    return user.has_perm(model_perm(model, action))


def direct_school_field(model: type[models.Model]) -> models.ForeignKey | None:
    """The model's own FK to School, if its scope is declared on one (not `pk`, not a path)."""
    if not is_school_scoped(model):
        return None
    name = school_field_of(model)
    if name == "pk" or "__" in name:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.ForeignKey) else None


def school_id_of(obj: models.Model) -> Any:
    """The school an object belongs to, or None when it cannot be read off the row itself."""
    model = type(obj)
    if not is_school_scoped(model):
        return None
    if school_field_of(model) == "pk":
        return obj.pk
    field = direct_school_field(model)
    return getattr(obj, field.attname) if field is not None else None


def in_user_school(user, obj: models.Model) -> bool:
    """Object-level check behind the permission methods (the queryset already enforces it)."""
    if is_platform_superuser(user):
        return True
    school_id = school_id_of(obj)
    if school_id is not None:
        return str(school_id) == str(user.school_id)
    model = type(obj)
    return scope_queryset(model._default_manager.filter(pk=obj.pk), user).exists()


def school_choices(model: type[models.Model], user, queryset=None):
    """Rows of `model` a school user may pick in a form: those of their school."""
    qs = queryset if queryset is not None else model._default_manager.all()
    if is_platform_superuser(user) or not is_school_scoped(model):
        return qs
    if not user.school_id:
        return qs.none()
    return qs.filter(**{school_field_of(model): user.school_id})


def application_error_text(exc: Exception) -> str:
    """One line for the admin's message bar from a service's ApplicationError/ValidationError
    (or a delete refused by a protecting foreign key)."""
    from django.db.models import ProtectedError, RestrictedError

    if isinstance(exc, ProtectedError | RestrictedError):
        from ..exceptions import in_use_message

        return in_use_message(exc)
    message = getattr(exc, "message", None)
    details: list[str] = []
    fields = getattr(exc, "fields", None)
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            fields = exc.message_dict
        else:
            return " ".join(exc.messages)
        message = None
    for name, errors in (fields or {}).items():
        errors = errors if isinstance(errors, list | tuple) else [errors]
        details.append(f"{name}: {' '.join(str(e) for e in errors)}")
    parts = [str(message)] if message else []
    if details and (not message or not any(str(message) in d for d in details)):
        parts.append("; ".join(details))
    return " — ".join(parts) or gettext("The change was refused.")


def _service_errors():
    from django.db.models import ProtectedError, RestrictedError

    from ..exceptions import ApplicationError

    return (ApplicationError, ValidationError, ProtectedError, RestrictedError)
