"""The Celery app. Queues: default, notifications, buffer. Schedule: django-celery-beat."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schools24.settings.production")

app = Celery("schools24")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
