"""Who may see what: the one place tenant and role scoping is decided.

Model-level reads are cut by `scope_queryset` (the scoped ViewSet base in `apps.core.api.views`
and `SchoolScopedAdmin` apply it for their subclasses); reads whose rule needs more than a model
rule (attendance marks, quiz results) use their app's `scopes.py` helpers, which build on the
ones here. Nothing looks an object up by id outside a scoped queryset, so an object outside the
caller's scope is simply not found (404).

Rules, per role (ARCHITECTURE.md):
- platform superuser (no school): everything;
- school admin: every row of their school;
- staff: every row of their school for models their Django permissions allow (accountant,
  transport, store duties are groups of permissions), nothing else;
- teacher, student, parent: what the model's registered rule allows (own sections' students,
  self, own children), never beyond their school.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404

from .roles import Role

ScopeRule = Callable[[QuerySet, "object"], QuerySet]

_RULES: dict[type[Model], ScopeRule] = {}
_SCHOOL_FIELDS: dict[type[Model], str] = {}

ACTION_PERMS = {"view": "view", "add": "add", "change": "change", "delete": "delete"}


def register_scope(
    model: type[Model], rule: ScopeRule | None = None, *, school_field: str = "school"
):
    """Declare how `model` is tied to its school and what teachers/students/parents may see.

    `rule(qs, user)` receives a queryset already limited to the user's school and returns the
    rows that role may see. Without a rule those roles see nothing.
    """
    _SCHOOL_FIELDS[model] = school_field
    if rule is not None:
        _RULES[model] = rule


def scope_rule(model: type[Model], *, school_field: str = "school"):
    """Decorator form of `register_scope`."""

    def decorator(rule: ScopeRule) -> ScopeRule:
        register_scope(model, rule, school_field=school_field)
        return rule

    return decorator


def is_platform_superuser(user) -> bool:
    return bool(user.is_authenticated and user.is_superuser and user.school_id is None)


def model_perm(model: type[Model], action: str) -> str:
    return f"{model._meta.app_label}.{ACTION_PERMS[action]}_{model._meta.model_name}"


def scope_queryset(qs: QuerySet, user, *, action: str = "view") -> QuerySet:
    """`qs` cut down to the rows `user` may see (or act on, for staff permissions)."""
    if not (user and user.is_authenticated and user.is_active):
        return qs.none()
    if is_platform_superuser(user):
        return qs
    if user.school_id is None:
        return qs.none()
    model = qs.model
    if model not in _SCHOOL_FIELDS:
        raise LookupError(f"{model._meta.label} has no registered scope; call register_scope()")
    qs = qs.filter(**{_SCHOOL_FIELDS[model]: user.school_id})

    if user.role == Role.ADMIN:
        return qs
    if user.role == Role.STAFF:
        return qs if user.has_perm(model_perm(model, action)) else qs.none()
    rule = _RULES.get(model)
    return rule(qs, user) if rule else qs.none()


def get_scoped_object_or_404(qs: QuerySet, user, **lookup) -> Model:
    return get_object_or_404(scope_queryset(qs, user), **lookup)


def is_school_scoped(model: type[Model]) -> bool:
    return model in _SCHOOL_FIELDS


def school_field_of(model: type[Model]) -> str:
    return _SCHOOL_FIELDS[model]
