"""The /api/v1/ router: every app's API urls, in one place, and a root that lists them."""

from django.urls import include, path, reverse
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from apps.academics.api.urls import router as academics_router
from apps.accounts.api.urls import router as accounts_router
from apps.attendance.api.urls import router as attendance_router
from apps.calendar.api.urls import router as calendar_router
from apps.core.api.urls import router as core_router
from apps.fees.api.urls import router as fees_router
from apps.notifications.api.urls import router as notifications_router
from apps.payments.api.urls import router as payments_router
from apps.quizzes.api.urls import router as quizzes_router

app_name = "api"


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([AllowAny])
def api_root(request):
    """Where to start: the documentation, sign-in and every collection of this version."""
    collections = sorted(
        prefix
        for router in (
            accounts_router,
            academics_router,
            attendance_router,
            calendar_router,
            core_router,
            fees_router,
            notifications_router,
            payments_router,
            quizzes_router,
        )
        for prefix, _, _ in router.registry
    )
    base = request.build_absolute_uri(reverse("api:root"))
    return Response(
        {
            "version": "v1",
            "docs": request.build_absolute_uri(reverse("swagger-ui")),
            "schema": request.build_absolute_uri(reverse("schema")),
            "auth": {"token": f"{base}auth/token/", "refresh": f"{base}auth/token/refresh/"},
            "collections": {prefix: f"{base}{prefix}/" for prefix in collections},
        }
    )


urlpatterns = [
    path("", api_root, name="root"),
    path("", include("apps.accounts.api.urls")),
    path("", include("apps.academics.api.urls")),
    path("", include("apps.attendance.api.urls")),
    path("", include("apps.calendar.api.urls")),
    path("", include("apps.core.api.urls")),
    path("", include("apps.fees.api.urls")),
    path("", include("apps.notifications.api.urls")),
    path("", include("apps.payments.api.urls")),
    path("", include("apps.quizzes.api.urls")),
]
