"""Schools24 settings: everything an operator may change is read from the environment.

Every variable read here is listed in the README's configuration table. A `.env` file in the
project root is read if present; any secret may also be given as `NAME_FILE` (a path, as
Kubernetes secrets are mounted).
"""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def envsecret(name: str, default: str = "") -> str:
    """A secret from `NAME`, or from the file named by `NAME_FILE`."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return env.str(name, default=default)


# --- Core -----------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
DEVELOPMENT_SECRET_KEY = "insecure-development-key-change-me"  # production settings refuse it
SECRET_KEY = envsecret("SECRET_KEY", DEVELOPMENT_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
PORT = env.int("PORT", default=8080)
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    # The admin skin: its templates and static files come before Django's admin. The basic app
    # config leaves `admin.site` to Schools24AdminConfig (which builds on unfold's site).
    "unfold.apps.BasicAppConfig",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "apps.core.admin.Schools24AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "corsheaders",
    "django_celery_beat",
    "django_prometheus",
    "pgtrigger",
    "apps.core",
    "apps.accounts",
    "apps.academics",
    "apps.attendance",
    "apps.calendar.apps.CalendarConfig",
    "apps.notifications",
    "apps.quizzes",
    "apps.fees",
    "apps.payments",
    "apps.homework",
    "apps.transport",
    "apps.inventory",
    "apps.exams",
    "apps.dashboard",
    "apps.analytics",
    "apps.demo",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "apps.core.middleware.RequestIdMiddleware",
    "apps.core.clients.ClientIpMiddleware",
    "apps.core.middleware.StoreUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "schools24.urls"
WSGI_APPLICATION = "schools24.wsgi.application"
ASGI_APPLICATION = "schools24.asgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.dashboard.context_processors.admin_dashboard",
            ],
        },
    },
]

# --- PostgreSQL -----------------------------------------------------------------------------
# DATABASE_URL wins; otherwise the POSTGRES_* names operators already have are used.
POSTGRES_MAX_CONNECTIONS = env.int("POSTGRES_MAX_CONNECTIONS", default=100)
POSTGRES_IDLE_CONNECTIONS = env.int("POSTGRES_IDLE_CONNECTIONS", default=10)
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": env.str("POSTGRES_HOST", default="127.0.0.1"),
            "PORT": env.int("POSTGRES_PORT", default=5432),
            "USER": env.str("POSTGRES_USER", default="postgres"),
            "PASSWORD": envsecret("POSTGRES_PASSWORD"),
            "NAME": env.str("POSTGRES_DB", default="schools24"),
        }
    }
# Keep connections open between requests only when the operator allows idle connections.
DATABASES["default"]["CONN_MAX_AGE"] = 60 if POSTGRES_IDLE_CONNECTIONS > 0 else 0
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A PostgreSQL that hangs must give a prompt 503, never a hung worker (apps/core/pgtimeout.py):
# libpq's connect_timeout bounds connecting; DATABASE_SOCKET_TIMEOUT bounds each round trip a web
# request makes (client side: a stopped server never enforces statement_timeout, and its kernel
# keeps acknowledging, so keepalives and tcp_user_timeout only catch a vanished host or network).
DATABASE_CONNECT_TIMEOUT = env.int("DATABASE_CONNECT_TIMEOUT", default=3)
DATABASE_SOCKET_TIMEOUT = env.float("DATABASE_SOCKET_TIMEOUT", default=3.0)
DATABASE_TCP_USER_TIMEOUT = env.int("DATABASE_TCP_USER_TIMEOUT", default=30)
DATABASE_STATEMENT_TIMEOUT = env.int("DATABASE_STATEMENT_TIMEOUT", default=0)
_db_options = DATABASES["default"].setdefault("OPTIONS", {})
_db_options.update(
    {
        "connect_timeout": max(DATABASE_CONNECT_TIMEOUT, 2),  # libpq treats 1 as 2
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 10,
        "keepalives_count": 3,
        "tcp_user_timeout": DATABASE_TCP_USER_TIMEOUT * 1000,
    }
)
if DATABASE_STATEMENT_TIMEOUT > 0:
    _db_options["options"] = (
        f"{_db_options.get('options', '')} -c statement_timeout={DATABASE_STATEMENT_TIMEOUT}s"
    ).strip()
# A reused connection PostgreSQL answered on less than this many seconds ago skips Django's
# `SELECT 1` health check (apps/core/postgresql/base.py); one idle longer is checked.
DATABASE_HEALTH_CHECK_IDLE = env.float("DATABASE_HEALTH_CHECK_IDLE", default=5.0)
# Compiled hot reads (apps/core/compiled.py) are PREPAREd once per connection, so PostgreSQL
# plans them once; turn off behind a pooler in transaction mode (PgBouncer).
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    from apps.core.pgtimeout import TimedConnection, TimedCursor

    DATABASES["default"]["ENGINE"] = "apps.core.postgresql"
    _db_options.setdefault("connection_factory", TimedConnection)
    _db_options.setdefault("cursor_factory", TimedCursor)

# --- Redis: cache, throttles, broker ---------------------------------------------------------
# REDIS_URL wins; otherwise REDIS_HOST/PORT/PASSWORD/DB.
if env.str("REDIS_URL", default=""):
    REDIS_URL = env.str("REDIS_URL")
else:
    _redis_password = envsecret("REDIS_PASSWORD")
    _auth = f":{quote(_redis_password, safe='')}@" if _redis_password else ""
    REDIS_URL = (
        f"redis://{_auth}{env.str('REDIS_HOST', default='127.0.0.1')}:"
        f"{env.int('REDIS_PORT', default=6379)}/{env.int('REDIS_DB', default=0)}"
    )
REDIS_POOL_SIZE = env.int("REDIS_POOL_SIZE", default=100)
REDIS_COMPRESSION_ENABLED = env.bool("REDIS_COMPRESSION_ENABLED", default=True)
REDIS_COMPRESSION_ALGORITHM = env.str("REDIS_COMPRESSION_ALGORITHM", default="snappy").lower()
REDIS_COMPRESSION_MIN_BYTES = env.int("REDIS_COMPRESSION_MIN_BYTES", default=256)
REDIS_DEFAULT_TTL = env.int("REDIS_DEFAULT_TTL", default=3600)
# Seconds a dashboard payload stays cached; writes that change its figures invalidate it sooner.
DASHBOARD_CACHE_TTL = env.int("DASHBOARD_CACHE_TTL", default=900)
REDIS_WRITE_BUFFER_TTL = env.int("REDIS_WRITE_BUFFER_TTL", default=7200)
# Seconds to wait for Redis (cache, throttles, write buffer) to connect and to answer a command;
# past them the request answers 503 (or a buffered write goes straight to Postgres).
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=2.0)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=2.0)

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "TIMEOUT": REDIS_DEFAULT_TTL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="s24"),
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            # Always the tagged codec: with compression off it writes raw values but still reads
            # entries compressed before the switch.
            "COMPRESSOR": "apps.core.codecs.CacheCompressor",
            "CONNECTION_POOL_KWARGS": {"max_connections": REDIS_POOL_SIZE},
            "SOCKET_CONNECT_TIMEOUT": REDIS_CONNECT_TIMEOUT,
            "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
        },
    }
}

# --- Readiness ----------------------------------------------------------------------------------
# Each dependency's check gets READYZ_TIMEOUT_SECONDS unless READYZ_TIMEOUTS names its own
# (e.g. "postgres=1,redis=0.5,mongodb=1,broker=1,write_buffer=1"); they run at the same time.
READYZ_TIMEOUT_SECONDS = env.float("READYZ_TIMEOUT_SECONDS", default=1.0)
READYZ_TIMEOUTS = {
    name: float(value) for name, value in env.dict("READYZ_TIMEOUTS", default={}).items()
}
# Checks reported by /readyz but answering 200 "degraded" rather than 503 when down.
READINESS_NON_CRITICAL = env.list("READINESS_NON_CRITICAL", default=[])
# Client addresses served /metrics, the detailed /readyz body and the API docs and schema
# (apps/core/internal.py); anyone else gets a 404 (and only the status from /readyz).
INTERNAL_IPS_CIDRS = env.list(
    "INTERNAL_IPS_CIDRS",
    default=["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
)

# --- Batch processor (write-behind buffer) ---------------------------------------------------
BATCH_PROCESSOR_ENABLED = env.bool("BATCH_PROCESSOR_ENABLED", default=True)
BATCH_PROCESSOR_INTERVAL = env.int("BATCH_PROCESSOR_INTERVAL", default=3600)
BATCH_PROCESSOR_PARALLEL_WORKERS = env.int("BATCH_PROCESSOR_PARALLEL_WORKERS", default=10)
BATCH_PROCESSOR_THRESHOLD = env.int("BATCH_PROCESSOR_THRESHOLD", default=5000)  # 0 = off
BATCH_PROCESSOR_BATCH_SIZE = env.int("BATCH_PROCESSOR_BATCH_SIZE", default=5000)
BATCH_PROCESSOR_LOCK_TTL = env.int("BATCH_PROCESSOR_LOCK_TTL", default=120)
# Namespace of the buffer's keys (two deployments may share one Redis under different ones).
BATCH_PROCESSOR_KEY_PREFIX = env.str("BATCH_PROCESSOR_KEY_PREFIX", default="s24:wb")
# Seconds a size-threshold flush trigger suppresses further triggers of the same kind.
BATCH_PROCESSOR_TRIGGER_DEBOUNCE = env.int("BATCH_PROCESSOR_TRIGGER_DEBOUNCE", default=60)
# Optionally a separate Redis (AOF on, noeviction) for the buffer; the main Redis by default.
BATCH_PROCESSOR_REDIS_URL = env.str("BATCH_PROCESSOR_REDIS_URL", default="")

# --- Attendance -------------------------------------------------------------------------------
# Days after the date of a mark during which its teacher may still change it; after that only
# school admins may (and their changes are audit-logged).
ATTENDANCE_EDIT_WINDOW_DAYS = env.int("ATTENDANCE_EDIT_WINDOW_DAYS", default=3)

# --- Quizzes -------------------------------------------------------------------------------------
# Seconds past an attempt's deadline in which a save still counts (slow networks); 0 = none.
QUIZ_DEADLINE_GRACE_SECONDS = env.int("QUIZ_DEADLINE_GRACE_SECONDS", default=0)
# How often (seconds) beat submits attempts left open past their deadline.
QUIZ_AUTOSUBMIT_INTERVAL = env.int("QUIZ_AUTOSUBMIT_INTERVAL", default=60)

# --- Fees ------------------------------------------------------------------------------------------
# Cash accepted at the counter from one payer in one day must stay below this (rupees; the
# Income-tax Act's s. 269ST limit is 2,00,000, so that amount itself is refused).
FEES_CASH_DAILY_LIMIT = Decimal(env.str("FEES_CASH_DAILY_LIMIT", default="200000"))
# How often (seconds) beat brings the late fines of overdue invoices up to date.
FEES_LATE_FINE_INTERVAL = env.int("FEES_LATE_FINE_INTERVAL", default=86400)
# Fee reminders: days before the due date of the first one, the days between overdue ones,
# and how often (seconds) beat looks for reminders to send (each goes out once).
FEES_REMINDER_DAYS_BEFORE = env.int("FEES_REMINDER_DAYS_BEFORE", default=3)
FEES_OVERDUE_REMINDER_EVERY = env.int("FEES_OVERDUE_REMINDER_EVERY", default=7)
FEES_REMINDER_INTERVAL = env.int("FEES_REMINDER_INTERVAL", default=3600)

# --- Homework ------------------------------------------------------------------------------------
# The largest file a homework may accept (bytes; the platform's cap on every school's setting),
# the default for a new homework, and how many files one submission may hold.
HOMEWORK_MAX_FILE_BYTES = env.int("HOMEWORK_MAX_FILE_BYTES", default=25 * 1024 * 1024)
HOMEWORK_DEFAULT_FILE_BYTES = env.int("HOMEWORK_DEFAULT_FILE_BYTES", default=10 * 1024 * 1024)
HOMEWORK_MAX_FILES = env.int("HOMEWORK_MAX_FILES", default=10)
# How often (seconds) beat publishes scheduled homework, and marks missing work and sends the
# families' daily digest (once a day per family: the digest is deduplicated by date).
HOMEWORK_PUBLISH_INTERVAL = env.int("HOMEWORK_PUBLISH_INTERVAL", default=300)
HOMEWORK_DIGEST_INTERVAL = env.int("HOMEWORK_DIGEST_INTERVAL", default=3600)
# Seconds a signed S3 download link of a homework file stays valid.
HOMEWORK_FILE_URL_SECONDS = env.int("HOMEWORK_FILE_URL_SECONDS", default=300)
# --- Transport -----------------------------------------------------------------------------------
# Speed (km/h) above which the transport manager is alerted (school buses: 40).
TRANSPORT_SPEED_LIMIT_KMH = env.float("TRANSPORT_SPEED_LIMIT_KMH", default=40.0)
# Days the ping history is kept; older day partitions are dropped.
TRANSPORT_PING_RETENTION_DAYS = env.int("TRANSPORT_PING_RETENTION_DAYS", default=7)
# Day partitions of the ping history created ahead of today.
TRANSPORT_PING_PARTITIONS_AHEAD = env.int("TRANSPORT_PING_PARTITIONS_AHEAD", default=2)
# How often (seconds) beat writes buffered pings to PostgreSQL, and maintains the partitions.
TRANSPORT_PING_FLUSH_INTERVAL = env.int("TRANSPORT_PING_FLUSH_INTERVAL", default=30)
TRANSPORT_PARTITION_INTERVAL = env.int("TRANSPORT_PARTITION_INTERVAL", default=3600)
# A fix further in the future than this (seconds, clock skew) is refused.
TRANSPORT_PING_MAX_FUTURE_SECONDS = env.int("TRANSPORT_PING_MAX_FUTURE_SECONDS", default=120)
# Fixes in one batched ping request, at most.
TRANSPORT_PING_MAX_BATCH = env.int("TRANSPORT_PING_MAX_BATCH", default=100)
# The position is "stale" when the last fix is older than this (seconds).
TRANSPORT_POSITION_STALE_SECONDS = env.int("TRANSPORT_POSITION_STALE_SECONDS", default=180)
# Seconds a "may this user see this trip's position" answer is cached in Redis.
TRANSPORT_SCOPE_CACHE_SECONDS = env.int("TRANSPORT_SCOPE_CACHE_SECONDS", default=300)
# Average speed (km/h) assumed between the bus and its next stop for the ETA.
TRANSPORT_ETA_SPEED_KMH = env.float("TRANSPORT_ETA_SPEED_KMH", default=20.0)
# "Bus approaching" also fires when the ETA to a stop drops below this (minutes; 0: geofence only).
TRANSPORT_APPROACH_MINUTES = env.int("TRANSPORT_APPROACH_MINUTES", default=0)
# A bus reaching a stop more than this many minutes late tells the waiting parents (0: off).
TRANSPORT_DELAY_ALERT_MINUTES = env.int("TRANSPORT_DELAY_ALERT_MINUTES", default=15)
# How often (seconds) beat looks for vehicle papers and licences expiring in 30, 15 or 1 days.
TRANSPORT_EXPIRY_INTERVAL = env.int("TRANSPORT_EXPIRY_INTERVAL", default=86400)
# --- Inventory ---------------------------------------------------------------------------------
# How often (seconds) beat checks stock against reorder levels (opening draft purchase orders
# and telling the store manager once) and reports overdue returns to their borrowers.
INVENTORY_LOW_STOCK_INTERVAL = env.int("INVENTORY_LOW_STOCK_INTERVAL", default=86400)
# How stock is valued: "moving_average" (the average rate after each receipt) or "fifo" (the
# oldest receipts' rates go out first).
INVENTORY_VALUATION = env.str("INVENTORY_VALUATION", default="moving_average")
if INVENTORY_VALUATION not in ("moving_average", "fifo"):
    raise environ.ImproperlyConfigured("INVENTORY_VALUATION must be moving_average or fifo")

# --- Analytics and reports --------------------------------------------------------------------
# How often (seconds) beat upserts the daily rollups, and how many days back each run redoes
# (yesterday included), so a missed night is caught up.
ANALYTICS_ROLLUP_INTERVAL = env.int("ANALYTICS_ROLLUP_INTERVAL", default=86400)
ANALYTICS_ROLLUP_DAYS = env.int("ANALYTICS_ROLLUP_DAYS", default=3)
# A student attending less than this percentage of the marked days is a chronic absentee.
ANALYTICS_CHRONIC_ABSENCE_PERCENT = env.float("ANALYTICS_CHRONIC_ABSENCE_PERCENT", default=75.0)
# Exports with more rows than this run as a background job (download link and notification).
ANALYTICS_EXPORT_ASYNC_ROWS = env.int("ANALYTICS_EXPORT_ASYNC_ROWS", default=2000)

# --- Online payments ---------------------------------------------------------------------------
# The least an online payment may be (rupees), unless the invoices owe less in all.
PAYMENTS_MINIMUM_AMOUNT = Decimal(env.str("PAYMENTS_MINIMUM_AMOUNT", default="100"))
# An order still pending this many seconds after it was created is asked about at the gateway.
PAYMENTS_RECONCILE_AFTER = env.int("PAYMENTS_RECONCILE_AFTER", default=900)
# How often (seconds) beat reconciles pending orders.
PAYMENTS_RECONCILE_INTERVAL = env.int("PAYMENTS_RECONCILE_INTERVAL", default=600)
# A pending order with no payment at the gateway this many seconds after creation has expired.
PAYMENTS_ORDER_EXPIRY = env.int("PAYMENTS_ORDER_EXPIRY", default=86400)

# --- MongoDB (question bank) -----------------------------------------------------------------
MONGODB_URI = envsecret("MONGODB_URI", "mongodb://127.0.0.1:27017")
MONGODB_DATABASE = env.str("MONGODB_DATABASE", default="schools24_mongodb")
# Server selection and connect (MONGODB_TIMEOUT_MS), and waiting for an answer on an open
# connection (MONGODB_SOCKET_TIMEOUT_MS): past them the request answers 503.
MONGODB_TIMEOUT_MS = env.int("MONGODB_TIMEOUT_MS", default=3000)
MONGODB_SOCKET_TIMEOUT_MS = env.int("MONGODB_SOCKET_TIMEOUT_MS", default=3000)

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "apps.notifications.*": {"queue": "notifications"},
    "apps.accounts.tasks.send_*": {"queue": "notifications"},
    "apps.core.tasks.flush_*": {"queue": "buffer"},
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
# Workers log through LOGGING above (JSON lines with task_id and the queuing request's id).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web request that enqueues a task while the broker is unreachable fails within seconds
# instead of hanging its worker: bounded connect/socket timeouts and few publish retries.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=3.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}

# --- Auth -------------------------------------------------------------------------------------
# Argon2id first (apps/accounts/hashers.py); older PBKDF2 hashes still verify and are re-hashed
# with Argon2id at the user's next sign-in.
PASSWORD_HASHERS = [
    "apps.accounts.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# One backend for every door (API token endpoint, admin login): lockout and principal_may_act.
AUTHENTICATION_BACKENDS = ["apps.accounts.backends.SignInBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# JWT_EXPIRY_HOURS bounds the refresh token (how long a device stays signed in); access tokens
# stay short so a deactivated user or a stolen token loses access quickly.
JWT_EXPIRY_HOURS = env.int("JWT_EXPIRY_HOURS", default=24)
# Seconds between beat runs that delete sign-in sessions and refresh tokens past their limit.
SESSION_PURGE_INTERVAL = env.int("SESSION_PURGE_INTERVAL", default=6 * 3600)
JWT_ACCESS_MINUTES = env.int("JWT_ACCESS_MINUTES", default=15)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=JWT_ACCESS_MINUTES),
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=JWT_EXPIRY_HOURS),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": envsecret("JWT_SECRET") or SECRET_KEY,
    "ALGORITHM": "HS256",
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "USER_AUTHENTICATION_RULE": "apps.accounts.principals.principal_may_act",
}
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_CLIENT_FAILURE_LIMIT = env.int("LOGIN_CLIENT_FAILURE_LIMIT", default=20)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=900)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3 * 3600)
FRONTEND_URL = env.str("FRONTEND_URL", default="http://127.0.0.1:3000")

# How many reverse proxies in front of the app append to X-Forwarded-For (0: use the socket's
# address). Decides the client address of throttles, the sign-in lockout and the audit log.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- REST framework / API docs ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.StandardPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "apps.core.api.filters.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    # The API speaks JSON; the views that take a file add multipart themselves.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "apps.core.api.renderers.ORJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # drf-spectacular's, plus each operation's error answers in the one error shape.
    "DEFAULT_SCHEMA_CLASS": "apps.core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="60/min"),
        "user": env.str("THROTTLE_USER", default="600/min"),
        "login": env.str("THROTTLE_LOGIN", default="30/min"),
        "password_reset": env.str("THROTTLE_PASSWORD_RESET", default="5/hour"),
    },
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.core.throttling.AnonRateThrottle",
        "apps.core.throttling.UserRateThrottle",
    ],
    # Only for code that calls DRF's own get_ident; the project's throttles use apps.core.clients.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Schools24 API",
    "DESCRIPTION": (
        "The Schools24 school platform API. Authenticate with `POST /api/v1/auth/token/` and "
        "send `Authorization: Bearer <access>`. Each operation lists the roles allowed to call it; "
        "objects outside the caller's school or scope answer 404."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Several models have a `status` with different choices; name each enum after its set.
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "apps.attendance.models.Status",  # the name it had before quizzes
        "ConcessionCategoryEnum": "apps.fees.models.ConcessionCategory",
        "NotificationCategoryEnum": "apps.notifications.models.Category",
        "NotificationChannelEnum": "apps.notifications.models.Channel",
        "LanguageEnum": "apps.accounts.models.Language",
        "CardLanguageEnum": "apps.exams.models.CardLanguage",
        "QuizStatusEnum": "apps.quizzes.models.QuizStatus",
        "AttemptStatusEnum": "apps.quizzes.models.AttemptStatus",
        "KindEnum": "apps.calendar.models.EventKind",  # the name it had before fees
        "InvoiceKindEnum": "apps.fees.models.InvoiceKind",
        "InvoiceLineKindEnum": "apps.fees.models.LineKind",
        "ConcessionKindEnum": "apps.fees.models.ConcessionKind",
        "PaymentModeEnum": "apps.fees.models.PaymentMode",
        "HomeworkStatusEnum": "apps.homework.models.AssignmentStatus",
        "SubmissionStatusEnum": "apps.homework.models.SubmissionStatus",
        "LatePolicyEnum": "apps.homework.models.LatePolicy",
        "SubmissionTypeEnum": "apps.homework.models.SubmissionType",
        "FileKindEnum": "apps.homework.models.FileKind",
        "RoleEnum": "apps.core.roles.Role",  # the name it had before transport
        "AudienceEnum": "apps.calendar.models.Audience",  # the name it had before circulars
        "CircularAudienceEnum": "apps.notifications.models.CircularAudience",
        "CircularStatusEnum": "apps.notifications.models.CircularStatus",
        "VehicleKindEnum": "apps.transport.models.VehicleKind",
        "FeeRuleKindEnum": "apps.transport.models.FeeRuleKind",
        "CrewRoleEnum": "apps.transport.models.CrewRole",
        "ItemKindEnum": "apps.inventory.models.ItemKind",
        "StoreKindEnum": "apps.inventory.models.StoreKind",
        "MovementKindEnum": "apps.inventory.models.MovementKind",
        "MovementEntryKindEnum": "apps.inventory.api.serializers.ENTRY_KINDS",
        "ScaleKindEnum": "apps.exams.models.ScaleKind",
        "ComponentKindEnum": "apps.exams.models.ComponentKind",
        "AdjustmentKindEnum": "apps.exams.models.MarkAdjustment.Kind",
        "MarkStatusEnum": "apps.exams.models.MarkStatus",
        "MissingRuleEnum": "apps.exams.models.MissingRule",  # absent and medical rules
        "HeadPricingEnum": "apps.fees.models.HeadPricing",
    },
}
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])

# --- Files -------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / ".data" / "media")
AWS_S3_BUCKET = env.str("AWS_S3_BUCKET", default="")
AWS_REGION = env.str("AWS_REGION", default="")
if AWS_S3_BUCKET:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_S3_BUCKET,
            "region_name": AWS_REGION or None,
            "access_key": envsecret("AWS_ACCESS_KEY_ID") or None,
            "secret_key": envsecret("AWS_SECRET_ACCESS_KEY") or None,
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": True,
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Caps of what users upload (apps.core.uploads): pictures, photos and logos; CSV imports.
UPLOAD_IMAGE_MAX_BYTES = env.int("UPLOAD_IMAGE_MAX_BYTES", default=2 * 1024 * 1024)
UPLOAD_CSV_MAX_BYTES = env.int("UPLOAD_CSV_MAX_BYTES", default=5 * 1024 * 1024)

# --- E-mail and providers ----------------------------------------------------------------------
SENDGRID_API_KEY = envsecret("SENDGRID_API_KEY")
# SendGrid's signed event webhook: the verification key (base64 DER, as SendGrid shows it) of
# the ECDSA signature on delivery reports (apps/notifications/webhooks.py). Empty: refused.
SENDGRID_WEBHOOK_PUBLIC_KEY = envsecret("SENDGRID_WEBHOOK_PUBLIC_KEY")
if SENDGRID_API_KEY:
    # django-anymail's SendGrid backend (the v3 HTTP API): each message gets an id that the
    # delivery row keeps and the event webhook reports back.
    EMAIL_BACKEND = "anymail.backends.sendgrid.EmailBackend"
    ANYMAIL = {"SENDGRID_API_KEY": SENDGRID_API_KEY}
else:
    EMAIL_BACKEND = env.str(
        "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
    )
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Schools24 <no-reply@schools24.test>")
TWILIO_ACCOUNT_SID = envsecret("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = envsecret("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
MSG91_AUTH_KEY = envsecret("MSG91_AUTH_KEY")
# Shared secret MSG91's delivery reports carry; Twilio's are signed with TWILIO_AUTH_TOKEN.
MSG91_WEBHOOK_SECRET = envsecret("MSG91_WEBHOOK_SECRET")
FCM_PROJECT_ID = env.str("FCM_PROJECT_ID", default="")
FCM_CREDENTIALS_FILE = env.str("FCM_CREDENTIALS_FILE", default="")

# --- Notifications (apps/notifications) --------------------------------------------------------
# Providers: SMS console|locmem|msg91|twilio, push console|locmem|fcm; e-mail follows
# EMAIL_BACKEND (SendGrid when SENDGRID_API_KEY is set).
NOTIFICATIONS_SMS_BACKEND = env.str("NOTIFICATIONS_SMS_BACKEND", default="console")
NOTIFICATIONS_PUSH_BACKEND = env.str("NOTIFICATIONS_PUSH_BACKEND", default="console")
# Per-provider sends shared by all workers, e.g. "msg91=20/s,fcm=500/s,sendgrid=600/m".
NOTIFICATIONS_RATE_LIMITS = env.dict("NOTIFICATIONS_RATE_LIMITS", default={})
NOTIFICATIONS_PROVIDER_TIMEOUT = env.float("NOTIFICATIONS_PROVIDER_TIMEOUT", default=10.0)
# Retries of temporary failures: base * 2^n seconds with jitter, capped (below the broker's
# visibility timeout), at most NOTIFICATIONS_MAX_ATTEMPTS tries in all.
NOTIFICATIONS_RETRY_BASE = env.int("NOTIFICATIONS_RETRY_BASE", default=30)
NOTIFICATIONS_RETRY_MAX = env.int("NOTIFICATIONS_RETRY_MAX", default=600)
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=6)
NOTIFICATIONS_SWEEP_INTERVAL = env.int("NOTIFICATIONS_SWEEP_INTERVAL", default=60)
NOTIFICATIONS_REQUEUE_AFTER = env.int("NOTIFICATIONS_REQUEUE_AFTER", default=900)
NOTIFICATIONS_PROMOTIONAL_WINDOW = env.str(
    "NOTIFICATIONS_PROMOTIONAL_WINDOW", default="10:00-21:00"
)
NOTIFICATIONS_PUSH_TOKEN_TTL_DAYS = env.int("NOTIFICATIONS_PUSH_TOKEN_TTL_DAYS", default=270)
NOTIFICATIONS_PUSH_PRUNE_INTERVAL = env.int("NOTIFICATIONS_PUSH_PRUNE_INTERVAL", default=86400)
NOTIFICATIONS_DIGEST_INTERVAL = env.int("NOTIFICATIONS_DIGEST_INTERVAL", default=86400)
# At most this many non-critical e-mails, SMS or pushes per user and channel in a clock hour;
# the rest are collapsed into one summary sent when the hour ends.
NOTIFICATIONS_HOURLY_CAP = env.int("NOTIFICATIONS_HOURLY_CAP", default=10)
# What one SMS segment costs (paise), for school SMS budgets and circular previews.
NOTIFICATIONS_SMS_COST_PAISE = env.int("NOTIFICATIONS_SMS_COST_PAISE", default=25)
# A school's SMS budget warning goes to its admins once a month at this share (per cent).
NOTIFICATIONS_SMS_BUDGET_WARN_PERCENT = env.int("NOTIFICATIONS_SMS_BUDGET_WARN_PERCENT", default=80)
# Recipients per batch when a circular fans out.
NOTIFICATIONS_CIRCULAR_CHUNK = env.int("NOTIFICATIONS_CIRCULAR_CHUNK", default=500)
# Payment gateways (apps/payments/gateways.py). With DEBUG on, the product runs without gateway
# accounts on these local values (test-mode-like, known to everyone, refused by the production
# settings); the webhook secrets are comma-separated lists while a secret is being rotated.
PAYMENT_DEVELOPMENT_KEYS = {
    "RAZORPAY_KEY_ID": "rzp_test_schools24local",
    "RAZORPAY_KEY_SECRET": "schools24-local-razorpay-key-secret",
    "RAZORPAY_WEBHOOK_SECRET": "schools24-local-razorpay-webhook-secret",
    "STRIPE_SECRET_KEY": "sk_test_schools24local",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_schools24local",
    "STRIPE_WEBHOOK_SECRET": "whsec_schools24local",
}


def payment_key(name: str) -> str:
    return envsecret(name, PAYMENT_DEVELOPMENT_KEYS[name] if DEBUG else "")


RAZORPAY_KEY_ID = payment_key("RAZORPAY_KEY_ID")
RAZORPAY_KEY_SECRET = payment_key("RAZORPAY_KEY_SECRET")
RAZORPAY_WEBHOOK_SECRET = payment_key("RAZORPAY_WEBHOOK_SECRET")
STRIPE_SECRET_KEY = payment_key("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = payment_key("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = payment_key("STRIPE_WEBHOOK_SECRET")
# Orders are made locally, without calling the gateway (development without gateway accounts;
# webhooks are then sent by `manage.py simulate_payment`). On by default with DEBUG.
PAYMENTS_OFFLINE_GATEWAYS = env.bool("PAYMENTS_OFFLINE_GATEWAYS", default=DEBUG)

# --- Internationalisation ----------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("hi", "हिन्दी (Hindi)")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- Admin skin (django-unfold) ---------------------------------------------------------------
# The sidebar groups the admin by domain and lists only what the signed-in role may open (see
# apps/core/admin/navigation.py); Hindi and English switch from the account menu.
UNFOLD = {
    # "Schools24" and "Schools24 administration", in the reader's language.
    "SITE_TITLE": "apps.core.admin.navigation.site_title",
    "SITE_HEADER": "apps.core.admin.navigation.site_header",
    "SITE_SUBHEADER": "apps.core.admin.navigation.school_name",
    "SITE_SYMBOL": "school",
    "SITE_URL": FRONTEND_URL or "/",
    "SHOW_LANGUAGES": True,
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "STYLES": ["apps.core.admin.navigation.stylesheet"],
    "COLORS": {
        "primary": {
            "50": "#eef4fa",
            "100": "#d5e3f1",
            "200": "#abc7e3",
            "300": "#7fa9d2",
            "400": "#4f86bd",
            "500": "#2f6aa3",
            "600": "#1f4e79",
            "700": "#1a426a",
            "800": "#163a5a",
            "900": "#112c45",
            "950": "#0a1b2b",
        },
    },
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": False,
        "navigation": "apps.core.admin.navigation.sidebar",
    },
}

# --- Logging -----------------------------------------------------------------------------------
# Upper-cased: gunicorn's docs write levels in lower case, Django's logging config needs upper.
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "apps.core.logging.RequestIdFilter"},
        # Passwords, tokens, OTPs, card and phone numbers never reach a handler.
        "redact": {"()": "apps.core.logging.RedactingFilter"},
    },
    "formatters": {
        "json": {"()": "apps.core.logging.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT if LOG_FORMAT in ("json", "plain") else "json",
            "filters": ["request_id", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "schools24": {"level": LOG_LEVEL},
    },
}

# --- Security ----------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
