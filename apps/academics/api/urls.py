from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("academic-years", views.AcademicYearViewSet, basename="academic-year")
router.register("terms", views.TermViewSet, basename="term")
router.register("classes", views.SchoolClassViewSet, basename="school-class")
router.register("sections", views.SectionViewSet, basename="section")
router.register("subjects", views.SubjectViewSet, basename="subject")
router.register(
    "teaching-assignments", views.TeachingAssignmentViewSet, basename="teaching-assignment"
)
router.register("enrollments", views.EnrollmentViewSet, basename="enrollment")
router.register("timetable", views.TimetableEntryViewSet, basename="timetable-entry")

urlpatterns = router.urls
