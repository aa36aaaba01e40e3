"""Base ViewSet: scoped querysets, role permissions, one place for both."""

from __future__ import annotations

from rest_framework import viewsets

from apps.core.access import scope_queryset
from apps.core.permissions import RolePermission


class ScopedViewSetMixin:
    """`get_queryset()` = `base_queryset()` cut by `scope_queryset` for the caller.

    Subclasses set `roles` (action -> roles) and `base_queryset()`; nothing else may build the
    queryset, so every lookup by id is scoped and out-of-scope objects are 404s.
    """

    permission_classes = [RolePermission]
    roles: dict[str, set[str]] = {}
    permission_model = None

    def base_queryset(self):
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.base_queryset().none()
        action = {"create": "add", "destroy": "delete", "list": "view", "retrieve": "view"}.get(
            self.action, "view" if self.request.method in ("GET", "HEAD") else "change"
        )
        return scope_queryset(self.base_queryset(), self.request.user, action=action)


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    pass


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass
