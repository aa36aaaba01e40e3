from django.urls import path
from rest_framework.routers import DefaultRouter

from . import settings_views, views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("exams/grade-scales", views.GradeScaleViewSet, basename="grade-scale")
router.register("exams/plans", views.AssessmentPlanViewSet, basename="assessment-plan")
router.register("exams/exams", views.ExamViewSet, basename="exam")
router.register("exams/results", views.ResultViewSet, basename="exam-result")
router.register("exams/report-cards", views.ReportCardViewSet, basename="report-card")
# The gradebook (a paper's marks, remarks, co-scholastic grades) is not a collection.
gradebook = DefaultRouter(trailing_slash=True)
gradebook.include_root_view = False
gradebook.register("exams", views.GradebookViewSet, basename="gradebook")

urlpatterns = [
    path("exams/settings/", settings_views.ExamSettingsView.as_view(), name="exam-settings"),
    *router.urls,
    *gradebook.urls,
]
