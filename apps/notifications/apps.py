from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from apps.core import periodic

        from . import scopes  # noqa: F401  (registers access rules)
        from .tasks import DIGEST_SCHEDULE, PRUNE_SCHEDULE, SWEEP_SCHEDULE

        periodic.register(SWEEP_SCHEDULE)  # installed after every migrate
        periodic.register(PRUNE_SCHEDULE)
        periodic.register(DIGEST_SCHEDULE)
