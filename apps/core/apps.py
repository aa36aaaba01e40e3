from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.core.signals import request_started
        from django.db.models.signals import post_migrate

        from . import (
            checks,  # noqa: F401  (registers system checks)
            periodic,
            pgtimeout,
        )
        from .admin import jobs as jobs_admin  # noqa: F401  (registers the Job admin)
        from .buffer.observability import install as install_buffer_observability
        from .logging import install_celery_signals
        from .queue_metrics import install as install_queue_metrics
        from .tasks import FLUSH_SCHEDULE

        _register_job_scope()

        # Every app's periodic tasks follow the current settings after every migrate (a fresh
        # deploy too); apps register theirs in ready().
        periodic.register(FLUSH_SCHEDULE)
        post_migrate.connect(
            periodic.install_after_migrate,
            sender=self,
            dispatch_uid="core.install_periodic_tasks",
        )
        # A request that found PostgreSQL hanging fails fast; the next one tries again.
        request_started.connect(pgtimeout.request_started, dispatch_uid="core.pgtimeout")
        install_buffer_observability()  # /metrics gauges and the /readyz buffer figures
        install_queue_metrics()  # Celery queue depth on /metrics
        install_celery_signals()  # task_id and the queuing request's id on task log lines


def _register_job_scope() -> None:
    """Jobs in the admin: school admins see their school's; others only jobs they started
    (staff by permission, as for every model). The API reads through `jobs.readable_jobs`."""
    from .access import register_scope
    from .models import Job

    register_scope(Job, lambda qs, user: qs.filter(requested_by=user))
