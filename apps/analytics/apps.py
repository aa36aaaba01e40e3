from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "apps.analytics"
    label = "analytics"
    verbose_name = _("Analytics and reports")

    def ready(self) -> None:
        from apps.core import periodic
        from apps.notifications.registry import EventKind, register

        from . import scopes  # noqa: F401  (registers the access rules)
        from .tasks import ROLLUP_SCHEDULE

        periodic.register(ROLLUP_SCHEDULE)  # installed after every migrate
        register(EventKind(REPORT_READY, channels=("in_app", "email"), audience=("admin", "staff")))


REPORT_READY = "reports.ready"
