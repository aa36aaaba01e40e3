"""The product's WSGI application plus `/bench/hello/`, the reference bench/hotpaths.py divides by.

Served by gunicorn exactly like `schools24.wsgi` (same settings, middleware and config); only
the URLconf gains one route: a DRF APIView with no authentication, permission or throttle.
"""

from __future__ import annotations

import os

import django
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schools24.settings.production")
django.setup()
settings.ROOT_URLCONF = "bench.hello_urls"

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
