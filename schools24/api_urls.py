"""The /api/v1/ router: every app's API urls, in one place, and a root that lists them."""

from django.urls import path, reverse
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from apps.academics.api import urls as academics_urls
from apps.academics.api.urls import router as academics_router
from apps.accounts.api import urls as accounts_urls
from apps.accounts.api.urls import router as accounts_router
from apps.analytics.api import urls as analytics_urls
from apps.attendance.api import urls as attendance_urls
from apps.attendance.api.urls import router as attendance_router
from apps.calendar.api import urls as calendar_urls
from apps.calendar.api.urls import router as calendar_router
from apps.core.api import urls as core_urls
from apps.core.api.routing import indexed
from apps.core.api.urls import router as core_router
from apps.dashboard.api import urls as dashboard_urls
from apps.exams.api import urls as exams_urls
from apps.exams.api.urls import router as exams_router
from apps.fees.api import urls as fees_urls
from apps.fees.api.urls import router as fees_router
from apps.homework.api import urls as homework_urls
from apps.homework.api.urls import router as homework_router
from apps.inventory.api import urls as inventory_urls
from apps.inventory.api.urls import router as inventory_router
from apps.notifications.api import urls as notifications_urls
from apps.notifications.api.urls import router as notifications_router
from apps.payments.api import urls as payments_urls
from apps.payments.api.urls import router as payments_router
from apps.quizzes.api import urls as quizzes_urls
from apps.quizzes.api.urls import router as quizzes_router
from apps.transport.api import urls as transport_urls
from apps.transport.api.urls import router as transport_router

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
            exams_router,
            fees_router,
            homework_router,
            inventory_router,
            notifications_router,
            payments_router,
            quizzes_router,
            transport_router,
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


# Every app's URL module, its patterns tried in this order.
URL_MODULES = (
    accounts_urls,
    academics_urls,
    analytics_urls,
    attendance_urls,
    calendar_urls,
    core_urls,
    dashboard_urls,
    exams_urls,
    fees_urls,
    homework_urls,
    inventory_urls,
    notifications_urls,
    payments_urls,
    quizzes_urls,
    transport_urls,
)

# The patterns grouped by their first path segment so a path is matched against its own
# collection's patterns only (`apps.core.api.routing`: the same routes, resolved in a fraction
# of the time).
urlpatterns = [
    path("", api_root, name="root"),
    *indexed([pattern for module in URL_MODULES for pattern in module.urlpatterns]),
]
