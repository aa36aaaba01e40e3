"""Production settings: HTTPS only, strict hosts. Everything else comes from the environment."""

from environ import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEVELOPMENT_SECRET_KEY, PAYMENT_DEVELOPMENT_KEYS, SECRET_KEY, SIMPLE_JWT, env


def refuse_development_key(name: str, value: str) -> None:
    """Refuse to start with a key anyone can read in the repository (the development default,
    the test settings' key, Django's `django-insecure-` keys)."""
    if (
        value == DEVELOPMENT_SECRET_KEY
        or value.startswith(("insecure-", "django-insecure-"))
        or "not-for-production" in value
    ):
        raise ImproperlyConfigured(
            f"{name} is a development key; production needs its own secret (set {name} or "
            f"{name}_FILE to a long random value)."
        )


refuse_development_key("SECRET_KEY", SECRET_KEY)
refuse_development_key("JWT_SECRET", SIMPLE_JWT["SIGNING_KEY"])
for _name, _local_value in PAYMENT_DEVELOPMENT_KEYS.items():
    # The local gateway keys are public: webhooks signed with them would be forgeries.
    if _local_value in [part.strip() for part in globals()[_name].split(",")]:
        raise ImproperlyConfigured(
            f"{_name} holds a development key (the local default); set the gateway's real one."
        )
if env.bool("PAYMENTS_OFFLINE_GATEWAYS", default=False):
    raise ImproperlyConfigured("PAYMENTS_OFFLINE_GATEWAYS is for development only.")
PAYMENTS_OFFLINE_GATEWAYS = False

DEBUG = False
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
