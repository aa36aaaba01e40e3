from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "apps.dashboard"
    label = "dashboard"
    verbose_name = _("Dashboards")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from apps.core.signals import school_data_changed

        from .cache import on_school_data_changed

        # Each installed app's `dashboard` module registers its sections.
        autodiscover_modules("dashboard")
        school_data_changed.connect(on_school_data_changed, dispatch_uid="dashboard.generation")
