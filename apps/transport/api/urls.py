from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("transport/vehicles", views.VehicleViewSet, basename="transport-vehicle")
router.register("transport/crew", views.CrewViewSet, basename="transport-crew")
router.register("transport/routes", views.RouteViewSet, basename="transport-route")
router.register("transport/stops", views.StopViewSet, basename="transport-stop")
router.register("transport/trips", views.TripViewSet, basename="transport-trip")
router.register("transport/assignments", views.AssignmentViewSet, basename="transport-assignment")
router.register("transport/runs", views.RunViewSet, basename="transport-run")
router.register("transport/marks", views.BoardingMarkViewSet, basename="transport-mark")
router.register("transport/devices", views.DeviceViewSet, basename="transport-device")
router.register("transport/fee-rules", views.FeeRuleViewSet, basename="transport-fee-rule")

urlpatterns = [
    path("transport/pings/", views.PingView.as_view(), name="transport-pings"),
    path(
        "transport/trips/<str:pk>/position/",
        views.PositionView.as_view(),
        name="transport-trip-position",
    ),
    path("transport/fee-quote/", views.FeeQuoteView.as_view(), name="transport-fee-quote"),
    *router.urls,
]
