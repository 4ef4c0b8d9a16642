"""Settings for Huamu Dream Wishes: one module, driven by environment variables.

Every variable read here is listed in `.env.example` and in the README.
"""

import datetime
import ipaddress
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from huamu.env import (
    env_bool,
    env_int,
    env_list,
    env_mapping,
    env_positive_int,
    env_seconds_list,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)
# Tests run with DEBUG off, like production, but need no secret key or collected static files.
TESTING = env_bool("HUAMU_TESTING", default=False) or "pytest" in sys.modules

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Only for development and tests: a fixed key is harmless without real users.
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])

# Production mode: the site holds minors' data and is reached from the internet, so it
# refuses to start with settings that would expose it.
PRODUCTION = env_bool("PRODUCTION", default=False)
if PRODUCTION:
    _problems = []
    if DEBUG:
        _problems.append("DEBUG must be false")
    if (
        len(SECRET_KEY) < 50
        or len(set(SECRET_KEY)) < 5
        or SECRET_KEY.startswith(("django-insecure", "insecure-"))
    ):
        _problems.append("SECRET_KEY must be at least 50 random characters")
    if not ALLOWED_HOSTS:
        _problems.append("ALLOWED_HOSTS must name the site's host")
    if _problems:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(_problems))
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# True when a reverse proxy we run sets X-Forwarded-For and X-Forwarded-Proto.
BEHIND_PROXY = env_bool("BEHIND_PROXY", default=False)
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # django.contrib.admin with the back office's own site (huamu/admin_site.py).
    "huamu.admin_site.HuamuAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    # Field-level history of children and consents (wishes/admin/field_history.py).
    "simple_history",
    # The task queue's table and `manage.py db_worker` (TASKS_BACKEND=database).
    "django_tasks_db",
    "huamu",
    "sponsors",
    "wishes",
    "axes",
    "django_prometheus",
]

MIDDLEWARE = [
    # First: every log line of the request carries its id (huamu/request_id.py).
    "huamu.request_id.RequestIdMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Above everything that can fail on the database: Django turns an error raised in a
    # middleware into the 503 or 500 page at that layer, and only the layers above it add
    # their headers to the page.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Before sessions: a database outage becomes a friendly 503, not a traceback.
    "huamu.middleware.DatabaseOutageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: a field history row names the user who saved the record.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Counts the response axes and every layer below give (the lockout page too).
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "huamu.urls"
WSGI_APPLICATION = "huamu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]

# SQLite by default so a fresh clone runs with nothing else; PostgreSQL via DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue for the lock instead of failing with "database is locked";
    # WAL lets readers carry on while one writer works.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A new connection per request is cheap for a file and avoids sharing one across threads.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Race tests use threads; an in-memory test database uses SQLite's shared cache, whose
    # table locks fail at once instead of waiting. A file per run serialises like production.
    DATABASES["default"]["TEST"] = {
        "NAME": env_str("TEST_DATABASE_NAME")
        or str(Path(tempfile.gettempdir()) / f"huamu_test_{os.getpid()}.sqlite3")
    }
else:
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME") or None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache holds the public pages (huamu/cache.py); every app server process must share it,
# or one server would keep offering a wish another one just saw claimed. Production sets
# CACHE_URL=redis://127.0.0.1:6379/1; the default, a table in the database (made by
# `manage.py createcachetable`), needs nothing else installed. Tests use a per-process
# memory cache and leave public page caching off unless a test turns it on.
_cache_url = env_str("CACHE_URL", "locmem://" if TESTING else "db://huamu_cache")
_cache_scheme, _cache_sep, _cache_rest = _cache_url.partition("://")
_cache_backends = {
    # Django's RedisCache, reusing its client object (see huamu/cache.py).
    "redis": ("huamu.cache.RedisCache", _cache_url),
    "rediss": ("huamu.cache.RedisCache", _cache_url),
    "db": ("django.core.cache.backends.db.DatabaseCache", _cache_rest or "huamu_cache"),
    "locmem": ("django.core.cache.backends.locmem.LocMemCache", _cache_rest),
    "dummy": ("django.core.cache.backends.dummy.DummyCache", ""),
}
if _cache_scheme not in _cache_backends:
    raise ImproperlyConfigured(
        f"CACHE_URL must start with redis://, rediss://, db://, locmem:// or dummy://, "
        f"not {_cache_url!r}"
    )
_cache_options: dict[str, Any] = {}
if _cache_scheme in ("db", "locmem"):
    _cache_options = {"MAX_ENTRIES": 5000}
elif _cache_scheme in ("redis", "rediss"):
    # A Redis that hangs must cost a page a tenth of a second, not seconds, and then be left
    # alone for a while: pages render without the cache meanwhile (huamu/cache.py).
    _cache_options = {
        "socket_connect_timeout": env_positive_int("REDIS_CONNECT_TIMEOUT_MS", 100) / 1000,
        "socket_timeout": env_positive_int("REDIS_SOCKET_TIMEOUT_MS", 100) / 1000,
        "retry_seconds": env_positive_int("REDIS_RETRY_SECONDS", 10),
    }
CACHES = {
    "default": {
        "BACKEND": _cache_backends[_cache_scheme][0],
        "LOCATION": _cache_backends[_cache_scheme][1],
        "KEY_PREFIX": "huamu",
        "OPTIONS": _cache_options,
    }
}
# Anonymous visitors get public pages from the cache until what a page shows changes
# (huamu/cache.py); a cached page lives at most this long even if a change went unnoticed.
HUAMU_PUBLIC_CACHE = env_bool("PUBLIC_CACHE", default=not TESTING)
HUAMU_PUBLIC_CACHE_SECONDS = env_int("PUBLIC_CACHE_SECONDS", 300)

# Background work (imports, exports, PDFs, mail) goes through django.tasks. "immediate", the
# default, runs a task inside the request that enqueues it, so `make run` needs nothing else;
# "database" (production) queues it in the database for `manage.py db_worker`, of which any
# number may run on any machine that reaches the database.
TASKS_BACKEND = env_str("TASKS_BACKEND", "immediate")
_task_backends = {
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
if TASKS_BACKEND not in _task_backends:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be immediate or database, not {TASKS_BACKEND!r}"
    )
TASKS = {"default": {"BACKEND": _task_backends[TASKS_BACKEND], "QUEUES": ["default"]}}
# A check or import whose progress has not moved for this many minutes was left by a worker
# that died: staff may start it again from its page.
HUAMU_STUCK_TASK_MINUTES = env_positive_int("STUCK_TASK_MINUTES", 15)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    # Older hashes still verify, and are upgraded to Argon2 at the next login.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Hashing on purpose slow costs about a second a login; tests need no such protection.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTHENTICATION_BACKENDS = [
    # Counts failed logins (site and admin alike) in the database, shared by every server.
    "axes.backends.AxesStandaloneBackend",
    "huamu.auth.RoleAwareBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 30))
# Per account and address: a stranger cannot lock staff out from elsewhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "huamu.net.client_ip"
AXES_VERBOSE = False
# Tests log in through the test client, which authenticates without a request; the
# throttling tests switch it back on.
AXES_ENABLED = not TESTING

# Sponsors stay logged in for two weeks; staff and coordinators see children's data.
SESSION_COOKIE_AGE = 14 * 24 * 3600
HUAMU_OFFICE_SESSION_SECONDS = env_int("OFFICE_SESSION_MINUTES", 240) * 60
# What the back office's front page shows staff above the list of models (huamu/admin_site.py).
HUAMU_ADMIN_DASHBOARD = "wishes.reports.dashboard.staff_dashboard"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "landing"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
# Our catalogue, then what Django's own zh_Hans catalogues leave untranslated ("- Select an
# option -", "Filter by …"): kept apart so that `make messages-update` never marks it obsolete.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "django"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Children's photos and letters live here; nothing under MEDIA_ROOT has a public URL.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Several app servers share the uploaded files through a shared folder (MEDIA_ROOT on NFS)
# or, with MEDIA_STORAGE=s3, a private bucket on S3-compatible storage (needs the "s3"
# extra: django-storages). Files are still only reached through the checks in
# wishes/files/access.py, which read them through the storage API.
MEDIA_STORAGE = env_str("MEDIA_STORAGE", "filesystem")
if MEDIA_STORAGE == "s3":
    if not env_str("S3_BUCKET"):
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs S3_BUCKET.")
    if env_str("HUAMU_PRIVATE_MEDIA_REDIRECT"):
        raise ImproperlyConfigured(
            "HUAMU_PRIVATE_MEDIA_REDIRECT maps to files on disk; leave it empty with "
            "MEDIA_STORAGE=s3."
        )
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("S3_BUCKET"),
            # Empty: AWS itself; else e.g. https://minio.internal:9000 or an OSS/COS endpoint.
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
            # Empty keys: boto3 finds credentials itself (instance role, ~/.aws).
            "access_key": env_str("S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
            "region_name": env_str("S3_REGION") or None,
            # Minors' photos: never public, never overwritten.
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
elif MEDIA_STORAGE != "filesystem":
    raise ImproperlyConfigured(f"MEDIA_STORAGE must be filesystem or s3, not {MEDIA_STORAGE!r}")

# Mail goes through Django 6.1's MAILERS; the environment keeps the familiar EMAIL_* names.
_mail_backend = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
_mail_options = {}
if _mail_backend.endswith("smtp.EmailBackend"):
    _mail_options = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25),
        "username": env_str("EMAIL_HOST_USER"),
        "password": env_str("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", default=False),
        "timeout": env_int("EMAIL_TIMEOUT", 20),
    }
MAILERS = {"default": {"BACKEND": _mail_backend, "OPTIONS": _mail_options}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "花木圆梦 <noreply@huamu.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where staff are told of new claims and cancellations.
STAFF_NOTIFY_EMAILS = env_list("STAFF_NOTIFY_EMAILS", ["staff@huamu.example"])

# Text messages: console by default, locmem under test, or a provider's adapter (README).
SMS_BACKEND = env_str("SMS_BACKEND", "locmem" if TESTING else "console")
# With a task queue, a text the provider could not take is tried again after these seconds.
SMS_RETRY_DELAYS = env_seconds_list("SMS_RETRY_DELAYS", [5, 30])
# Tencent Cloud SMS (SMS_BACKEND=tencent, the optional extra `sms`): README, "Text messages".
TENCENT_SMS_SECRET_ID = env_str("TENCENT_SMS_SECRET_ID")
TENCENT_SMS_SECRET_KEY = env_str("TENCENT_SMS_SECRET_KEY")
TENCENT_SMS_APP_ID = env_str("TENCENT_SMS_APP_ID")
TENCENT_SMS_SIGN = env_str("TENCENT_SMS_SIGN", "花木圆梦")
TENCENT_SMS_REGION = env_str("TENCENT_SMS_REGION", "ap-guangzhou")
# Only for tests and proxies: host[:port] instead of sms.tencentcloudapi.com, and its scheme.
TENCENT_SMS_ENDPOINT = env_str("TENCENT_SMS_ENDPOINT")
TENCENT_SMS_SCHEME = env_str("TENCENT_SMS_SCHEME", "https")
# Seconds to wait for the provider: short, as a text may be sent inside a request.
TENCENT_SMS_TIMEOUT = env_positive_int("TENCENT_SMS_TIMEOUT", 5)
# Our template name (templates/sms/<name>.txt) = the provider's approved template id;
# `name:en=id` for the English version where one is approved.
SMS_TEMPLATE_IDS = env_mapping("SMS_TEMPLATE_IDS")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# A sponsor may hold this many active claims at once (stops hoarding of wishes).
HUAMU_MAX_ACTIVE_CLAIMS_UNIT = env_int("HUAMU_MAX_ACTIVE_CLAIMS_UNIT", 30)
HUAMU_MAX_ACTIVE_CLAIMS_INDIVIDUAL = env_int("HUAMU_MAX_ACTIVE_CLAIMS_INDIVIDUAL", 3)

# Claim follow-up (manage.py follow_up_claims, daily): remind sponsors this many days
# before the promised date; a claim without a date counts as overdue after this many days
# (0: never).
HUAMU_REMINDER_DAYS = env_int("HUAMU_REMINDER_DAYS", 3)
# The working days staff usually take to verify a new sponsor, as sign-up tells them.
HUAMU_VERIFY_WORKING_DAYS = env_positive_int("HUAMU_VERIFY_WORKING_DAYS", 3)
# Days before a drop-off deadline the daily follow-up reminds sponsors of their gifts.
HUAMU_HANDOVER_REMINDER_DAYS = env_int("HUAMU_HANDOVER_REMINDER_DAYS", 3)
# Days before an event the daily run_scheduled job reminds its sign-ups (once each).
HUAMU_EVENT_REMINDER_DAYS = env_int("HUAMU_EVENT_REMINDER_DAYS", 2)
HUAMU_CLAIM_MAX_DAYS_WITHOUT_DATE = env_int("HUAMU_CLAIM_MAX_DAYS_WITHOUT_DATE", 60)

# Uploads of children's photos and letters: checked before decoding and after.
HUAMU_MAX_UPLOAD_BYTES = env_int("HUAMU_MAX_UPLOAD_BYTES", 12_000_000)
HUAMU_MAX_IMAGE_PIXELS = env_int("HUAMU_MAX_IMAGE_PIXELS", 40_000_000)
HUAMU_MAX_UPLOAD_FILES = env_int("HUAMU_MAX_UPLOAD_FILES", 10)
# Stored photos are scaled down to this many pixels on their longest side.
HUAMU_MAX_STORED_SIDE = 2560
# Django itself refuses requests with far more files than any form takes (400, not 500).
DATA_UPLOAD_MAX_NUMBER_FILES = HUAMU_MAX_UPLOAD_FILES * 5
# In production the web server sends private files: set the internal location it maps to
# MEDIA_ROOT (e.g. /protected-media/ for nginx's X-Accel-Redirect). Empty: Django sends them.
HUAMU_PRIVATE_MEDIA_REDIRECT = env_str("HUAMU_PRIVATE_MEDIA_REDIRECT")

# Security headers. The policy allows no inline script or style without the page's nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    # Load balancers check health over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading binds every subdomain of the site's domain to HTTPS in browsers for
        # months and is hard to undo; it is the domain owner's choice, not a default.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
# The language and session cookies are not needed by scripts.
SESSION_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# Spreadsheet imports of children and wishes (back office).
HUAMU_IMPORT_MAX_BYTES = env_int("HUAMU_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
HUAMU_IMPORT_MAX_ROWS = env_int("HUAMU_IMPORT_MAX_ROWS", 5000)
HUAMU_IMPORT_FILE_DAYS = env_int("IMPORT_FILE_DAYS", 30)  # finished imports' files; 0: keep

# Where manage.py backup writes its archives (created with mode 0700: they hold minors' data).
HUAMU_BACKUP_DIR = Path(env_str("HUAMU_BACKUP_DIR", str(BASE_DIR / "backups")))

# Children's data has a lifetime: manage.py anonymise_expired (daily) anonymises a child this
# many months after its last wish closed, or after the child was withdrawn.
HUAMU_CHILD_DATA_MONTHS = env_int("CHILD_DATA_MONTHS", 24)
if HUAMU_CHILD_DATA_MONTHS < 1:
    raise ImproperlyConfigured("CHILD_DATA_MONTHS must be at least 1.")
# The ids of children erased at a guardian's request, one a line, kept outside the database
# so that `anonymise_expired --reapply-erasures` can erase them again after a restore.
HUAMU_ERASURE_LOG = Path(env_str("HUAMU_ERASURE_LOG") or HUAMU_BACKUP_DIR / "erasures.log")

# The CJK font embedded in PDFs (wish cards, intake form, certificates). Empty: the copy
# scripts/fetch-font puts in vendor/fonts/, else Debian's fonts-wqy-microhei.
HUAMU_CJK_FONT = env_str("HUAMU_CJK_FONT")

# Logs: one line a record, with the request's id; JSON for a collector (LOG_FORMAT=json) or
# text for a terminal. Messages and tracebacks are scrubbed (huamu/reporting.py).
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "huamu.request_id.RequestIdFilter"}},
    "formatters": {
        "text": {"()": "huamu.request_id.TextFormatter"},
        "json": {"()": "huamu.request_id.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# Errors: to Sentry when SENTRY_DSN is set, else mailed to ADMINS ("Name <address>, …");
# both scrubbed of children's and sponsors' data (huamu/reporting.py).
SENTRY_DSN = env_str("SENTRY_DSN")
ADMINS = env_list("ADMINS", [])
if not DEBUG:
    DEFAULT_EXCEPTION_REPORTER = "huamu.reporting.PrivateExceptionReporter"
    DEFAULT_EXCEPTION_REPORTER_FILTER = "huamu.reporting.PrivateReporterFilter"
if SENTRY_DSN and not TESTING:
    from huamu.reporting import init_error_reporting

    init_error_reporting(
        dsn=SENTRY_DSN,
        environment=env_str("SENTRY_ENVIRONMENT", "production"),
        release=env_str("SENTRY_RELEASE"),
        traces_sample_rate=float(env_str("SENTRY_TRACES_SAMPLE_RATE", "0") or 0),
    )
    # Sentry has the report; the mail would be a second copy.
    LOGGING["loggers"] = {"django.request": {"handlers": ["console"], "propagate": False}}

# Prometheus metrics at /metrics, answered only to these networks (huamu/metrics.py).
METRICS_ALLOWED_NETWORKS = [
    ipaddress.ip_network(network.strip())
    for network in env_list("METRICS_ALLOWED_NETWORKS", ["127.0.0.1/32", "::1/128"])
]
