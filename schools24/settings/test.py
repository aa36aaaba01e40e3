"""Test settings: the real Postgres and Redis named by the environment, fast hashing, eager Celery."""

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")

from .base import *  # noqa: E402,F403
from .base import CACHES, REST_FRAMEWORK  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
NOTIFICATIONS_SMS_BACKEND = "locmem"
NOTIFICATIONS_PUSH_BACKEND = "locmem"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# Each xdist worker gets its own cache namespace so parallel tests never see each other's keys.
CACHES["default"]["KEY_PREFIX"] = f"s24test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
# Throttles are exercised by their own tests; ordinary tests must not trip them.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
    "anon": "100000/min",
    "user": "100000/min",
    "login": "100000/min",
    "password_reset": "100000/min",
}
MEDIA_ROOT = "/tmp/schools24-test-media"  # noqa: S108 - tests point it at a tmp_path
LOG_FORMAT = "plain"
LOGGING["handlers"]["console"]["formatter"] = "plain"  # noqa: F405
# Static files are not collected in tests; WhiteNoise would only warn about the missing folder.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405
STORAGES = {  # noqa: F405
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}  # noqa: F405

# Queries stay readable in the tests' SQL assertions; apps/core/tests/test_compiled.py and the
# compiled lists' tests run with prepared statements on.
DATABASE_PREPARED_STATEMENTS = False
