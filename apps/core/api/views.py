"""Base ViewSet: scoped querysets, role permissions, one place for both."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.response import Response

from apps.core.access import scope_queryset
from apps.core.permissions import RolePermission
from apps.core.roles import Role


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


EVERYONE = {Role.ADMIN, Role.TEACHER, Role.STUDENT, Role.PARENT, Role.STAFF}
READ_ALL = (
    "Roles: every member of the school (school admin, teacher, student, parent); staff with "
    "the view permission."
)
ADMIN_ONLY = "Roles: school admin."
CRUD_ROLES = {
    "list": EVERYONE,
    "retrieve": EVERYONE,
    "create": {Role.ADMIN},
    "partial_update": {Role.ADMIN},
    "destroy": {Role.ADMIN},
}


def crud_schema(
    *,
    tag: str,
    output,
    create_input,
    update_input=None,
    read: str = READ_ALL,
    create: str = ADMIN_ONLY,
    update: str = ADMIN_ONLY,
    destroy: str = ADMIN_ONLY,
):
    """The documented shape of a ServiceModelViewSet: who may call each operation, and with what."""
    operations = {
        "list": extend_schema(description=read),
        "retrieve": extend_schema(description=read),
        "create": extend_schema(request=create_input, responses={201: output}, description=create),
        "destroy": extend_schema(responses={204: None}, description=destroy),
    }
    if update_input is not None:
        operations["partial_update"] = extend_schema(
            request=update_input, responses=output, description=update
        )

    def decorate(view):
        return extend_schema(tags=[tag])(extend_schema_view(**operations)(view))

    return decorate


class ServiceModelViewSet(ScopedModelViewSet):
    """CRUD where every write is one service call: input serializer -> service -> output.

    Subclasses set the input serializers and implement `create_object`, `update_object` and
    `delete_object`; reading is the scoped queryset of `base_queryset()`.
    """

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    roles = CRUD_ROLES
    create_serializer_class = None
    update_serializer_class = None

    def create_object(self, data: dict):
        raise NotImplementedError

    def update_object(self, obj, data: dict):
        raise NotImplementedError

    def delete_object(self, obj) -> None:
        raise NotImplementedError

    def validated(self, serializer_class, **kwargs) -> dict:
        data = serializer_class(
            data=self.request.data, context=self.get_serializer_context(), **kwargs
        )
        data.is_valid(raise_exception=True)
        return data.validated_data

    def respond(self, obj, code: int = status.HTTP_200_OK) -> Response:
        obj = self.get_queryset().get(pk=obj.pk)  # reloaded with the list's joins and annotations
        return Response(self.get_serializer(obj).data, status=code)

    def create(self, request, *args, **kwargs):
        obj = self.create_object(self.validated(self.create_serializer_class))
        return self.respond(obj, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        obj = self.get_object()
        obj = self.update_object(obj, self.validated(self.update_serializer_class, partial=True))
        return self.respond(obj)

    def destroy(self, request, *args, **kwargs):
        self.delete_object(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @property
    def actor(self):
        return self.request.user
