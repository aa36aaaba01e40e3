"""The /api/v1/ router: every app's API urls, in one place."""

from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("", include("apps.accounts.api.urls")),
    path("", include("apps.academics.api.urls")),
]
