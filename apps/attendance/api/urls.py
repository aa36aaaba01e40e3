from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("attendance", views.AttendanceViewSet, basename="attendance")

urlpatterns = [
    path(
        "attendance/register.csv",
        views.RegisterCSVView.as_view({"get": "register"}),
        {"format": "csv"},
        name="attendance-register-csv",
    ),
    *router.urls,
]
