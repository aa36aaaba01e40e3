from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("calendar-events", views.CalendarEventViewSet, basename="calendar-event")
router.register("exam-schedule", views.ExamScheduleEntryViewSet, basename="exam-schedule-entry")
router.register(
    "calendar-feed-tokens", views.CalendarFeedTokenViewSet, basename="calendar-feed-token"
)

urlpatterns = [
    path("calendar/feed/<str:token>.ics", views.CalendarFeedView.as_view(), name="calendar-feed"),
    *router.urls,
]
