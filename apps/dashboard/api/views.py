from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.dashboard.payload import dashboard

from .serializers import DashboardSerializer


@extend_schema(tags=["dashboard"])
class DashboardView(APIView):
    """The signed-in user's dashboard."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "fresh", bool, description="1: compute the figures now instead of the cache."
            )
        ],
        responses={200: DashboardSerializer},
        description="Any signed-in member of a school. The caller's dashboard for their role: "
        "school admins see the whole school, teachers their sections, parents each of their "
        "children, students themselves, staff the figures of their duties (accountant: fees, "
        "transport manager: the fleet, store manager: the stores). Every figure is built only "
        "from rows the caller may read. Served from the cache until a write changes the "
        "school's figures (a register marked, a payment, results published, ...) or "
        "DASHBOARD_CACHE_TTL passes; `cached_at` says when it was computed.",
    )
    def get(self, request):
        if request.user.school_id is None:
            raise PermissionDenied
        fresh = request.query_params.get("fresh") in ("1", "true")
        return Response(DashboardSerializer(dashboard(request.user, fresh=fresh)).data)
