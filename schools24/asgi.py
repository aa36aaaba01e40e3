import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schools24.settings.production")
application = get_asgi_application()

# A web process bounds every PostgreSQL round trip of a request (see apps/core/pgtimeout.py).
from django.conf import settings  # noqa: E402

from apps.core import pgtimeout  # noqa: E402

pgtimeout.install_for_web(settings.DATABASE_SOCKET_TIMEOUT)
