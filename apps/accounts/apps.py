from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = _("Schools and people")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from apps.core import periodic

        from . import principal_cache, scopes  # noqa: F401  (scopes registers access rules)
        from .duties import install_duty_groups
        from .tasks import PURGE_SESSIONS_SCHEDULE

        post_migrate.connect(install_duty_groups, dispatch_uid="accounts.install_duty_groups")
        principal_cache.connect()
        periodic.register(PURGE_SESSIONS_SCHEDULE)  # installed after every migrate
