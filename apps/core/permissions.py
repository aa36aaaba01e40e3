"""DRF permission: which roles may call which action of a view.

A view declares `roles = {"list": {...}, "create": {...}, ...}` (a `"*"` key is the default).
Staff members listed for an action must also hold the Django model permission for it, so an
accountant who may view students cannot edit them. Object visibility is then decided by
`scope_queryset` in the view's `get_queryset` (out-of-scope objects are 404s).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from .access import is_platform_superuser, model_perm

READ_ACTIONS = {"list", "retrieve", "metadata"}


def _perm_action(view_action: str | None, method: str) -> str:
    if view_action in READ_ACTIONS or method in ("GET", "HEAD", "OPTIONS"):
        return "view"
    if view_action == "create":
        return "add"
    if view_action == "destroy":
        return "delete"
    return "change"


def allowed_roles(view) -> set[str]:
    roles = getattr(view, "roles", None) or {}
    action = getattr(view, "action", None) or view.request.method.lower()
    return set(roles.get(action, roles.get("*", set())))


class RolePermission(BasePermission):
    message = _("Your role may not perform this action.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if is_platform_superuser(user):
            return True
        if user.school_id is None:
            return False
        if request.method.lower() not in view.http_method_names or (
            hasattr(view, "action") and view.action is None
        ):
            return True  # a method this view does not serve: let DRF answer 405
        roles = allowed_roles(view)
        if user.role not in roles:
            return False
        if user.role == "staff":
            model = getattr(view, "permission_model", None) or view.get_queryset().model
            perm = getattr(view, "staff_perms", {}).get(view.action) or model_perm(
                model, _perm_action(view.action, request.method)
            )
            return user.has_perm(perm)
        return True
