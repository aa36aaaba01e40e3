from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuizzesConfig(AppConfig):
    name = "apps.quizzes"
    label = "quizzes"
    verbose_name = _("Quizzes")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import (
            buffer_kinds,  # noqa: F401  (registers the "quiz_answer" write-buffer kind)
            scopes,  # noqa: F401  (registers the access rules)
        )
        from .tasks import install_periodic_tasks_after_migrate

        post_migrate.connect(
            install_periodic_tasks_after_migrate,
            sender=self,
            dispatch_uid="quizzes.install_periodic_tasks",
        )
