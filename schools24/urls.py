from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.core import health
from apps.core.internal import internal_only
from apps.core.metrics import metrics_view

urlpatterns = [
    path("health", health.legacy_health, name="health"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # Internal addresses only (INTERNAL_IPS_CIDRS): outsiders get a 404.
    path("metrics", internal_only(metrics_view), name="prometheus-django-metrics"),
    path("api/v1/", include("schools24.api_urls", namespace="api")),
    path("api/schema/", internal_only(SpectacularAPIView.as_view()), name="schema"),
    path(
        "api/docs/",
        internal_only(SpectacularSwaggerView.as_view(url_name="schema")),
        name="swagger-ui",
    ),
    # The admin's language switcher posts here (Django's set_language view).
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
handler500 = "apps.core.middleware.server_error"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
