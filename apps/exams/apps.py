from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExamsConfig(AppConfig):
    name = "apps.exams"
    label = "exams"
    verbose_name = _("Exams and report cards")

    def ready(self) -> None:
        from . import scopes  # noqa: F401  (registers the access rules)
