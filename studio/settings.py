"""Backlot settings, read from the environment.

One module for every environment: BACKLOT_ENV picks development, test or production
defaults; everything that differs between deployments comes from environment variables
(see README "Pointing Backlot at external services").
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
import redis
import redis.asyncio.retry
import redis.backoff
import redis.retry
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# Unset means production: DEBUG off, and no start without a SECRET_KEY of its own.
# `make run` (bin/run-platform) says development; the test runners say test.
BACKLOT_ENV = env("BACKLOT_ENV", "production")
if BACKLOT_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"BACKLOT_ENV must be development, test or production, not {BACKLOT_ENV!r}"
    )
PRODUCTION = BACKLOT_ENV == "production"

# Never on in production, whatever DEBUG says: its error pages print settings and code.
DEBUG = env_bool("DEBUG", default=BACKLOT_ENV == "development") and not PRODUCTION
# Error reports (DEBUG pages, mailed reports) never show database, broker or storage
# URLs: they carry credentials (the schema owner's among them).
DEFAULT_EXCEPTION_REPORTER_FILTER = "apps.core.reporting.CredentialHidingFilter"
SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production")
    SECRET_KEY = "dev-only-insecure-key-" + "x" * 40

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "apps.core",
    "apps.accounts",
    "apps.tenancy",
    "apps.audit",
    "apps.notifications",
    "apps.production",
    "apps.media",
    "apps.render",
    "apps.interchange",
    "apps.assist",
    "apps.review",
    "apps.beta",
    "apps.web",
]

MIDDLEWARE = [
    "apps.core.middleware.RequestContextMiddleware",
    # Product error pages and API JSON errors in every environment (DEBUG included).
    "apps.web.error_pages.ProductErrorPagesMiddleware",
    "apps.core.security_headers.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # ETag on every GET answer and 304 for a matching If-None-Match (docs/api.md).
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "apps.accounts.middleware.StaffTwoFactorRequiredMiddleware",
    "apps.beta.middleware.BetaAccessMiddleware",
    "apps.core.middleware.MetricsMiddleware",
]

ROOT_URLCONF = "studio.urls"
ASGI_APPLICATION = "studio.asgi.application"
WSGI_APPLICATION = None

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
                "apps.web.context_processors.backlot",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------
# Two roles on the same database. "default" is the application role: it owns no table
# and has no BYPASSRLS, so row-level security always applies to it. "owner" owns the
# schema and is used only by `migrate --database owner`.
_DEFAULT_DB = "postgres://backlot_app@127.0.0.1:5432/backlot"
DATABASE_URL = env("DATABASE_URL", _DEFAULT_DB)
DATABASE_OWNER_URL = env("DATABASE_OWNER_URL", DATABASE_URL)


# A connection pool per server process (psycopg's, through Django): a new PostgreSQL
# connection costs milliseconds, more than a whole shot read. Under ASGI every request
# runs its sync code on a thread of its own, so CONN_MAX_AGE would keep one connection per
# finished thread until the server runs out of slots: a pool is the way to reuse them.
# Connections are checked when taken from the pool. Tenant settings are transaction-local
# (apps/tenancy/scope.py), so nothing of one request survives on a connection into the
# next. Off in the test run by default (the test database is created after settings are
# read); the benchmarks and a test turn it on.
DATABASE_POOL = env_bool("DATABASE_POOL", default=BACKLOT_ENV != "test")
DATABASE_POOL_MIN_SIZE = int(env("DATABASE_POOL_MIN_SIZE", "2"))
DATABASE_POOL_MAX_SIZE = int(env("DATABASE_POOL_MAX_SIZE", "16"))


def database_pool_options() -> dict[str, Any]:
    return {
        "min_size": DATABASE_POOL_MIN_SIZE,
        "max_size": DATABASE_POOL_MAX_SIZE,
        "timeout": 10,
        "max_idle": 300,
    }


def _database(url: str, *, pool: bool = False) -> dict[str, Any]:
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
    config["ENGINE"] = "django.db.backends.postgresql"
    config["TEST"] = {"NAME": config["NAME"]}
    if pool:
        config.setdefault("OPTIONS", {})["pool"] = database_pool_options()
        config["CONN_HEALTH_CHECKS"] = True  # the pool checks a connection as it lends it
    return config


DATABASES = {
    "default": _database(DATABASE_URL, pool=DATABASE_POOL),
    "owner": _database(DATABASE_OWNER_URL),
}
DATABASE_ROUTERS = ["apps.core.db_router.OwnerMigratesRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, channels, celery -----------------------------------------------------
REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
# Broker blips (a Valkey restart) must not leave dead pooled connections behind: every
# pooled connection is checked with a PING when it was idle for 5 s, a command that meets a
# dropped connection reconnects and is retried (twice, 100 and 200 ms later), and connects
# give up after 2 s instead of hanging. See docs/review-protocol.md ("Faults").
_REDIS_RETRY_ERRORS = [redis.exceptions.ConnectionError, redis.exceptions.TimeoutError]
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "backlot",
        "OPTIONS": {
            "health_check_interval": 5,
            "socket_connect_timeout": 2,
            "socket_timeout": 5,
            "retry": redis.retry.Retry(redis.backoff.ExponentialBackoff(cap=1.0, base=0.05), 2),
            "retry_on_error": _REDIS_RETRY_ERRORS,
        },
    }
}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        # redis-py 8 defaults socket_timeout to 5 s, the same as channels-redis' blocking
        # receive (BZPOPMIN 5 s): idle consumers then die with "Timeout reading". Give the
        # socket more time than the blocking call.
        "CONFIG": {
            "hosts": [
                {
                    "address": REDIS_URL,
                    "socket_timeout": 30,
                    "socket_connect_timeout": 2,
                    "socket_keepalive": True,
                    "health_check_interval": 5,
                    "retry": redis.asyncio.retry.Retry(
                        redis.backoff.ExponentialBackoff(cap=1.0, base=0.05), 2
                    ),
                    "retry_on_error": _REDIS_RETRY_ERRORS,
                }
            ],
            "prefix": "backlot:ch",
        },
    }
}
# Live review presence is a heartbeat: each socket refreshes its row this often, and a row
# not refreshed for the TTL (a killed server, a client that stopped reading) is dropped.
REVIEW_PRESENCE_HEARTBEAT_SECONDS = float(env("REVIEW_PRESENCE_HEARTBEAT_SECONDS", "5"))
REVIEW_PRESENCE_TTL_SECONDS = float(env("REVIEW_PRESENCE_TTL_SECONDS", "15"))
# A room socket that has not heard from its client for this long is closed (the browser
# pings every 30 s), so a client that stopped reading cannot stay "in the room".
REVIEW_CLIENT_SILENCE_SECONDS = float(env("REVIEW_CLIENT_SILENCE_SECONDS", "75"))
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "platform"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Object storage -----------------------------------------------------------------------
S3_ENDPOINT_URL = env("S3_ENDPOINT_URL") or None
S3_BUCKET = env("S3_BUCKET", "backlot-media")
S3_REGION = env("S3_REGION", "us-east-1")
S3_ACCESS_KEY_ID = env("S3_ACCESS_KEY_ID")
S3_SECRET_ACCESS_KEY = env("S3_SECRET_ACCESS_KEY")
STORAGES = {
    "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": S3_ENDPOINT_URL,
            "region_name": S3_REGION,
            "access_key": S3_ACCESS_KEY_ID or None,
            "secret_key": S3_SECRET_ACCESS_KEY or None,
            "addressing_style": "path",
            "signature_version": "s3v4",
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
        },
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Media pipeline (apps.media, docs/media.md) -----------------------------------------
MEDIA_MAX_UPLOAD_BYTES = int(env("MEDIA_MAX_UPLOAD_BYTES", str(200 * 1024**3)))
MEDIA_UPLOAD_PART_SIZE = int(env("MEDIA_UPLOAD_PART_SIZE", str(16 * 1024**2)))
MEDIA_MAX_PARTS = int(env("MEDIA_MAX_PARTS", "10000"))
MEDIA_UPLOAD_URL_SECONDS = int(env("MEDIA_UPLOAD_URL_SECONDS", "3600"))
MEDIA_PROXY_MAX_WIDTH = int(env("MEDIA_PROXY_MAX_WIDTH", "1280"))
MEDIA_PROXY_MAX_HEIGHT = int(env("MEDIA_PROXY_MAX_HEIGHT", "720"))
MEDIA_PROXY_GOP = int(env("MEDIA_PROXY_GOP", "12"))
# Intake limits read from headers before any pixel is decoded (docs/media.md, "Validation").
MEDIA_MAX_WIDTH = int(env("MEDIA_MAX_WIDTH", "16384"))
MEDIA_MAX_HEIGHT = int(env("MEDIA_MAX_HEIGHT", "16384"))
MEDIA_MAX_PIXELS = int(env("MEDIA_MAX_PIXELS", str(80_000_000)))
MEDIA_MAX_CHANNELS = int(env("MEDIA_MAX_CHANNELS", "64"))
MEDIA_MAX_FRAMES = int(env("MEDIA_MAX_FRAMES", "200000"))
MEDIA_MAX_DURATION_SECONDS = float(env("MEDIA_MAX_DURATION_SECONDS", str(4 * 3600)))
MEDIA_MAX_FRAME_BYTES = int(env("MEDIA_MAX_FRAME_BYTES", str(2 * 1024**3)))
MEDIA_MAX_EXR_PARTS = int(env("MEDIA_MAX_EXR_PARTS", "16"))
MEDIA_ALLOW_UNCOMPRESSED_VIDEO = env_bool("MEDIA_ALLOW_UNCOMPRESSED_VIDEO", default=False)
# The decoding child process: address-space and CPU caps, and a wall-clock bound.
MEDIA_DECODE_MEMORY_MB = int(env("MEDIA_DECODE_MEMORY_MB", "4096"))
MEDIA_DECODE_CPU_SECONDS = int(env("MEDIA_DECODE_CPU_SECONDS", "1800"))
MEDIA_DECODE_WALL_SECONDS = int(env("MEDIA_DECODE_WALL_SECONDS", "3600"))
# Media tasks: hard time limits, attempts before a lost worker means "failed", and the
# deadline after which the sweep fails media stuck validating or making its proxy.
MEDIA_TASK_TIME_LIMIT = int(env("MEDIA_TASK_TIME_LIMIT", "7200"))
MEDIA_MAX_ATTEMPTS = int(env("MEDIA_MAX_ATTEMPTS", "2"))
MEDIA_STUCK_SECONDS = int(env("MEDIA_STUCK_SECONDS", "10800"))
# Browsers PUT parts straight to S3, so the bucket needs CORS. Outside production the
# platform sets it itself; in production set it on the bucket (or opt in here).
S3_MANAGE_CORS = env_bool("S3_MANAGE_CORS", default=not PRODUCTION)
S3_CORS_ORIGINS = env_list("S3_CORS_ORIGINS", "*")

# --- Auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "apps.accounts.adapters.ClosedBetaAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_PREVENT_ENUMERATION = True
# Brute-force protection: failed logins are limited per IP and per account (Redis cache).
# Behind load balancers every request comes from their address: name how many proxies of
# ours append to X-Forwarded-For (or the header one of them sets, e.g. X-Real-IP), so rate
# limits, lockouts and the audit log key on the client, never on a header a client forged.
TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0"))
TRUSTED_CLIENT_IP_HEADER = env("TRUSTED_CLIENT_IP_HEADER") or None
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = TRUSTED_CLIENT_IP_HEADER
ACCOUNT_RATE_LIMITS = {
    "login_failed": env("LOGIN_FAILED_RATE_LIMIT", "10/m/ip,5/5m/key"),
    "login": "30/m/ip",
    "reset_password": "5/m/ip,3/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Backlot"
# The set-up page keeps its secret across reloads until confirmed (apps/accounts/mfa.py).
MFA_FORMS = {"activate_totp": "apps.accounts.mfa.StableActivateTOTPForm"}
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False

# --- API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_METADATA_CLASS": "apps.core.api.metadata.RouteMetadata",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.pagination.StandardPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "apps.core.api.schema.BacklotAutoSchema",
    "EXCEPTION_HANDLER": "apps.core.api.errors.api_exception_handler",
    # The browsable API is a development aid: production answers JSON only.
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        *([] if PRODUCTION else ["rest_framework.renderers.BrowsableAPIRenderer"]),
    ],
    "UNAUTHENTICATED_USER": None,
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Backlot API",
    "DESCRIPTION": (
        "REST API for pipeline engineers. Authenticate with a personal API token "
        "(`Authorization: Bearer blt_...`). Every tenant resource lives under "
        "`/api/v1/orgs/{org}/`; objects of other organizations answer 404."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Request bodies are documented as JSON, the API's contract (file uploads declare
    # multipart explicitly, e.g. cut imports): three content types with one schema leave a
    # generated client unable to tell which one to send.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.api.schema.document_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        # apps.media: media kinds and states, and the subset of kinds an upload may have.
        "MediaKindEnum": "apps.media.models.MediaKind",
        "MediaStateEnum": "apps.media.models.MediaState",
        "UploadKindEnum": "apps.media.models.UPLOAD_KIND_CHOICES",
        # apps.review: a note's status, read (Note) and written (PatchedNoteUpdateRequest).
        "NoteStatusEnum": "apps.review.models.NoteStatus",
    },
}

# --- Operations ---------------------------------------------------------------------------
METRICS_TOKEN = env("METRICS_TOKEN")
LOG_LEVEL = env("LOG_LEVEL", "INFO")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "apps.tenancy.logging.RequestContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(organization_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
    },
}

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(env("EMAIL_PORT", "1025"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Backlot <no-reply@backlot.local>")
# A mail server that does not answer must not hang a request.
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "10"))
# The local stack's SMTP sink writes every message here (studio/devstack/mail.py); staff read
# them at /staff/outbox/. Never in production: the page answers 404 there.
EMAIL_OUTBOX_DIR = "" if PRODUCTION else env("EMAIL_OUTBOX_DIR", "")
# Closed beta (apps.beta, docs/beta.md): invitation links expire after this many days;
# links in emails sent outside a request (CLI) use BACKLOT_BASE_URL.
BETA_INVITATION_DAYS = int(env("BETA_INVITATION_DAYS", "7"))
# Who a suspended person or partner writes to (the suspended page and its 403s).
BETA_CONTACT_EMAIL = env("BETA_CONTACT_EMAIL", "beta@backlot.local")
BACKLOT_BASE_URL = env("BACKLOT_BASE_URL", "http://127.0.0.1:8000")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
# Production serves collected, hashed files; elsewhere WhiteNoise reads the sources.
STATIC_ROOT = BASE_DIR / ".staticfiles" if PRODUCTION else None
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Security -----------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Health probes come from the load balancer over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

if BACKLOT_ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- Language-model assistance (apps.assist) ----------------------------------------------
# Providers are tried in this order; only configured ones exist. `local` needs no network.
ASSIST_PROVIDER_ORDER = env_list(
    "ASSIST_PROVIDER_ORDER", "bedrock,anthropic,openai_compatible,local"
)
ASSIST_PROVIDERS: dict[str, dict[str, Any]] = {
    "bedrock": {"model": env("BEDROCK_MODEL_ID"), "region": env("BEDROCK_REGION", "us-east-1")},
    "anthropic": {
        "api_key": env("ANTHROPIC_API_KEY"),
        "model": env("ANTHROPIC_MODEL", "claude-sonnet-4-5"),
        "base_url": env("ANTHROPIC_BASE_URL", "https://api.anthropic.com"),
        # The processing geography sent as inference_geo ("us"); empty: global.
        "inference_geo": env("ANTHROPIC_INFERENCE_GEO"),
    },
    "openai_compatible": {
        "base_url": env("OPENAI_COMPAT_BASE_URL"),
        "api_key": env("OPENAI_COMPAT_API_KEY"),
        "model": env("OPENAI_COMPAT_MODEL"),
        "region": env("OPENAI_COMPAT_REGION"),
        # What the endpoint's operator guarantees; nothing unless the deployment says so.
        "no_training": env_bool("OPENAI_COMPAT_NO_TRAINING", False),
        "retention_days": int(env("OPENAI_COMPAT_RETENTION_DAYS"))
        if env("OPENAI_COMPAT_RETENTION_DAYS")
        else None,
        "guarantee_source": env(
            "OPENAI_COMPAT_GUARANTEE_SOURCE", "not declared by this deployment"
        ),
        # Believed only with an https source and the date it was read (YYYY-MM-DD).
        "guarantee_date": env("OPENAI_COMPAT_GUARANTEE_DATE"),
    },
    "local": {},
}
