"""GET /api/v1/jobs/{id}/: how far a background job got."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import IsAuthenticated

from apps.core.jobs import readable_jobs
from apps.core.models import Job


class JobSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    result_file = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id", "kind", "status", "progress_done", "progress_total", "percent", "params",
            "result", "result_file", "error", "requested_by", "created_at", "started_at",
            "finished_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_result_file(self, obj) -> str | None:
        if not obj.result_file:
            return None
        request = self.context.get("request")
        url = obj.result_file.url
        return request.build_absolute_uri(url) if request else url


@extend_schema(
    tags=["jobs"],
    description="Roles: the member of the school who started the job, and the school's admins "
    "(any job of their school). Anyone else, another school included, gets a 404. Poll until "
    "`status` is `succeeded` or `failed`; `progress_done` of `progress_total` says how far it is.",
)
class JobViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = JobSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Job.objects.none()
        return readable_jobs(self.request.user)
