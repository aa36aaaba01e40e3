"""`/api/v1/exams/settings/`: the school's exam settings (rounding, absent and medical rules,
ranks, attendance minimum, compartment, report card language).

Roles: school admins read and replace them; teachers read them (they explain how a result was
computed); staff read them only with the `exams.view_examsettings` permission (no duty grants
it); students and parents: 403. A school without a row reads the defaults.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import Role

from .. import scopes, services
from ..models import ExamSettings
from ..services.config import SETTINGS_FIELDS, exam_settings_update


class ExamSettingsSerializer(serializers.ModelSerializer):
    """Every field is required on PUT (a full replacement)."""

    class Meta:
        model = ExamSettings
        fields = SETTINGS_FIELDS
        extra_kwargs = {name: {"required": True} for name in SETTINGS_FIELDS}


class ExamSettingsAccess(BasePermission):
    """Members of a school only; reads: admins, teachers, staff with the permission; writes:
    school admins."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user.school_id:
            return False  # a platform user has no school's settings
        if request.method not in SAFE_METHODS:
            return scopes.manages_exams(user)
        if scopes.is_school_admin(user) or user.role == Role.TEACHER:
            return True
        return user.role == Role.STAFF and user.has_perm("exams.view_examsettings")


@extend_schema(tags=["exams"])
class ExamSettingsView(APIView):
    """The signed-in user's school's exam settings."""

    permission_classes = [IsAuthenticated, ExamSettingsAccess]

    @extend_schema(
        operation_id="exams_settings_retrieve",
        responses=ExamSettingsSerializer,
        description="Roles: school admin and teachers; staff with the permission to view exam "
        "settings (else 403). The school's settings, or the defaults when it has none.",
    )
    def get(self, request):
        return Response(ExamSettingsSerializer(services.exam_settings(request.user.school)).data)

    @extend_schema(
        operation_id="exams_settings_update",
        request=ExamSettingsSerializer,
        responses=ExamSettingsSerializer,
        description="Roles: school admin (others: 403). Replaces the settings: every field is "
        "required; decimal places 0-2, minimum attendance 0-100, choices as listed (400 with "
        "field errors). Audited (before/after). Results already computed keep their numbers "
        "until they are computed again.",
    )
    def put(self, request):
        data = ExamSettingsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = exam_settings_update(
            school=request.user.school, actor=request.user, data=data.validated_data
        )
        return Response(ExamSettingsSerializer(row).data)
