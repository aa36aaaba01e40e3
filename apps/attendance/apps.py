from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttendanceConfig(AppConfig):
    name = "apps.attendance"
    label = "attendance"
    verbose_name = _("Attendance")

    def ready(self) -> None:
        from . import (
            buffer_kinds,  # noqa: F401  (registers the "attendance" write-buffer kind)
            scopes,  # noqa: F401  (registers the access rules)
        )
