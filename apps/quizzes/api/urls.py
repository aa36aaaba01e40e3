from importlib.util import find_spec

from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("quizzes", views.QuizViewSet, basename="quiz")
router.register("attempts", views.AttemptViewSet, basename="attempt")

# The question bank's API is built alongside; registered once its module exists.
if find_spec("apps.quizzes.api.questions") is not None:
    from .questions import QuestionViewSet

    router.register("questions", QuestionViewSet, basename="question")

urlpatterns = router.urls
