"""The product's WSGI application plus `/bench/hello/`, the reference bench/hotpaths.py divides by.

Served by gunicorn exactly like `schools24.wsgi` (it is that module: same settings, middleware,
config and PostgreSQL round-trip limit); only the URLconf gains one route: a DRF APIView with no
authentication, permission or throttle.
"""

from __future__ import annotations

import os

import django
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schools24.settings.production")
django.setup()
settings.ROOT_URLCONF = "bench.hello_urls"

from schools24.wsgi import application  # noqa: E402

__all__ = ["application"]
