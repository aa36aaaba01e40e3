from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("homework", views.HomeworkViewSet, basename="homework")
router.register("homework-submissions", views.SubmissionViewSet, basename="homework-submission")
router.register("homework-files", views.SubmissionFileViewSet, basename="homework-file")
router.register("homework-attachments", views.AttachmentViewSet, basename="homework-attachment")

urlpatterns = router.urls
