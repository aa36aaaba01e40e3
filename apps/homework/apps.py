from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeworkConfig(AppConfig):
    name = "apps.homework"
    label = "homework"
    verbose_name = _("Homework")

    def ready(self) -> None:
        from apps.calendar.feed import register_source
        from apps.core import periodic

        from . import scopes  # noqa: F401  (registers the access rules)
        from .feed import homework_events
        from .tasks import DIGEST_SCHEDULE, PUBLISH_SCHEDULE

        periodic.register(PUBLISH_SCHEDULE)  # installed after every migrate
        periodic.register(DIGEST_SCHEDULE)
        register_source(homework_events)  # due dates in students' and parents' feeds
