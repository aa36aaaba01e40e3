"""Guardian links between parents and students, and the audit log."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.core.api.views import (
    EVERYONE,
    ScopedModelViewSet,
    ScopedReadOnlyViewSet,
)
from apps.core.models import AuditLog

from ... import services
from ...models import Guardian, Role
from .. import serializers as s
from ..filters import AuditLogFilter, GuardianFilter

A, SF = Role.ADMIN, Role.STAFF


# --- Guardians ---------------------------------------------------------------------------------------
@extend_schema(tags=["guardians"])
class GuardianViewSet(ScopedModelViewSet):
    """Parent-student links. Admins manage; parents see their own links; students theirs;
    teachers those of students they teach; staff with the permission read."""

    serializer_class = s.GuardianSerializer
    filterset_class = GuardianFilter
    ordering_fields = ["created_at", "relation"]
    ordering = ["student__admission_number", "-is_primary"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    roles = {
        "list": EVERYONE,
        "retrieve": EVERYONE,
        "create": {A},
        "partial_update": {A},
        "destroy": {A},
    }
    permission_model = Guardian

    def base_queryset(self):
        return Guardian.objects.select_related("parent__school", "student__user")

    @extend_schema(
        request=s.GuardianCreateSerializer,
        responses={201: s.GuardianSerializer},
        description="Roles: school admin. Link an existing parent or create one.",
    )
    def create(self, request):
        data = s.GuardianCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        link = services.guardian_link(
            student=v["student"],
            actor=request.user,
            parent=v.get("parent"),
            parent_data=v.get("new_parent"),
            relation=v["relation"],
            is_primary=v["is_primary"],
        )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=link.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=s.GuardianUpdateSerializer,
        responses=s.GuardianSerializer,
        description="Roles: school admin.",
    )
    def partial_update(self, request, pk=None):
        link = self.get_object()
        data = s.GuardianUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.guardian_update(link=link, actor=request.user, data=data.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=link.pk)).data)

    @extend_schema(description="Roles: school admin. Removes the link, not the accounts.")
    def destroy(self, request, pk=None):
        services.guardian_unlink(link=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Audit log ------------------------------------------------------------------------------------
@extend_schema(tags=["audit"], description="Roles: school admin; staff with the permission.")
class AuditLogViewSet(ScopedReadOnlyViewSet):
    serializer_class = None
    filterset_class = AuditLogFilter
    ordering = ["-created_at", "-id"]
    roles = {"list": {A, SF}, "retrieve": {A, SF}}
    permission_model = AuditLog

    def get_serializer_class(self):
        from apps.core.api.serializers import AuditLogSerializer

        return AuditLogSerializer

    def base_queryset(self):
        return AuditLog.objects.select_related("actor")
