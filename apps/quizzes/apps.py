from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuizzesConfig(AppConfig):
    name = "apps.quizzes"
    label = "quizzes"
    verbose_name = _("Quizzes")

    def ready(self) -> None:
        from apps.core import periodic

        from . import (
            buffer_kinds,  # noqa: F401  (registers the "quiz_answer" write-buffer kind)
            scopes,  # noqa: F401  (registers the access rules)
        )
        from .tasks import AUTO_SUBMIT_SCHEDULE

        periodic.register(AUTO_SUBMIT_SCHEDULE)  # installed after every migrate
