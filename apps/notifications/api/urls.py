from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("notifications/circulars", views.CircularViewSet, basename="notification-circular")
router.register("notifications", views.NotificationViewSet, basename="notification")

# Before the router's `notifications/{id}/`, which would otherwise swallow these names.
urlpatterns = [
    path("notifications/devices/", views.DeviceView.as_view(), name="notification-devices"),
    path(
        "notifications/school-settings/",
        views.SchoolSettingsView.as_view(),
        name="notification-school-settings",
    ),
    path(
        "notifications/preferences/",
        views.PreferencesView.as_view(),
        name="notification-preferences",
    ),
    path(
        "notifications/webhooks/twilio/",
        views.TwilioStatusWebhookView.as_view(),
        name="notification-webhook-twilio",
    ),
    path(
        "notifications/webhooks/msg91/",
        views.Msg91StatusWebhookView.as_view(),
        name="notification-webhook-msg91",
    ),
    path(
        "notifications/webhooks/sendgrid/",
        views.SendgridEventWebhookView.as_view(),
        name="notification-webhook-sendgrid",
    ),
    path(
        "notifications/unsubscribe/<str:token>/",
        views.UnsubscribeView.as_view(),
        name="notification-unsubscribe",
    ),
    *router.urls,
]
