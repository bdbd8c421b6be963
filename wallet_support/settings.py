"""Settings for Wallet Support, read from the environment.

With neither DATABASE_URL nor REDIS_URL set, the site runs on the embedded default: a SQLite file,
an in-memory channel layer, a local-memory cache and Celery running tasks eagerly in the web
process, with DEBUG on. Every variable is documented in docs/configuration.md and .env.example.
"""

import json
import os
from pathlib import Path
from urllib.parse import quote

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    """The variable's value; unset or empty (`LOG_LEVEL=` in an .env file) means the default."""
    return os.environ.get(name, "").strip() or default


def env_bool(name: str, *, default: bool) -> bool:
    value = env_str(name)
    if not value:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = env_str(name)
    if not value:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    return int(value) if value else default


DATABASE_URL = env_str("DATABASE_URL")
REDIS_URL = env_str("REDIS_URL")
# Redis behind Sentinel (docs/high-availability.md): the sentinels' host:port list and the name
# they monitor the primary under. When set, they replace REDIS_URL for the cache, the channel
# layer, Celery's broker and everything else that opens Redis.
REDIS_SENTINELS = env_list("REDIS_SENTINELS")
EMBEDDED = not DATABASE_URL and not REDIS_URL and not REDIS_SENTINELS

DEBUG = env_bool("DEBUG", default=EMBEDDED)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise SystemExit(
            "SECRET_KEY is not set: with DEBUG off, set the SECRET_KEY environment variable "
            "to a long random string."
        )
    SECRET_KEY = "django-insecure-embedded-default-only"  # noqa: S105 - DEBUG-only fallback
# The example's placeholder (.env.example) signs every private ticket link: refuse to run with it.
PLACEHOLDER_SECRET_KEYS = {"change-me-to-a-long-random-string"}
if not DEBUG and (SECRET_KEY in PLACEHOLDER_SECRET_KEYS or SECRET_KEY.startswith("change-me")):
    raise SystemExit(
        "SECRET_KEY is still the example's placeholder: set it to a long random string, e.g. "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    # Django's admin on a site that needs the second factor.
    "security.admin_config.AgentAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "channels",
    "common",
    "security",
    "mail",
    "guard",
    "agents",
    "webhooks",
    "tickets",
    "faq",
    "inbound",
    "privacy",
    "verification",
    "chain",
    "livechat",
    "announcements",
    "dashboard",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]

MIDDLEWARE = [
    # First, so every answer is counted and timed, the refused ones too (docs/metrics.md).
    "wallet_support.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "wallet_support.middleware.SecurityHeadersMiddleware",
    "wallet_support.middleware.PrivatePagesMiddleware",
    # /healthz for probes that name the instance's address, not a name in ALLOWED_HOSTS.
    "wallet_support.middleware.HealthCheckMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "wallet_support.urls"
ASGI_APPLICATION = "wallet_support.asgi.application"

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
                "wallet_support.context_processors.site",
                "livechat.context_processors.chat_launcher",
                "announcements.context_processors.announcements",
            ],
        },
    },
]

# Databases: a SQLite file by default, PostgreSQL (or anything dj-database-url reads) from env.
# Under ASGI each request runs its sync code in a thread of its own, so a persistent connection
# would outlive its thread and pile up until PostgreSQL refuses clients: connections close at
# the end of each request unless DATABASE_CONN_MAX_AGE says otherwise (pool with PgBouncer).
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
            conn_health_checks=True,
        )
    }
    if "postgresql" in DATABASES["default"]["ENGINE"]:
        # libpq waits for ever by default on a server that accepts and never answers: each
        # request, and each /healthz probe's check thread, would then hang for good.
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT_SECONDS", 5)
        )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": Path(env_str("SQLITE_PATH") or BASE_DIR / "db.sqlite3"),
        }
    }
# PgBouncer in transaction pooling mode gives each transaction whichever server connection is
# free: a server-side cursor (QuerySet.iterator()) opened in one would be missing in the next
# (docs/high-availability.md).
DATABASE_POOLER = env_str("DATABASE_POOLER").lower()
if DATABASE_POOLER not in {"", "pgbouncer-session", "pgbouncer-transaction"}:
    raise SystemExit('DATABASE_POOLER is "pgbouncer-transaction", "pgbouncer-session" or empty.')
if DATABASE_POOLER == "pgbouncer-transaction":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
# A Celery pool process runs one task at a time on one thread, so it keeps its connection across
# tasks for this long (wallet_support/celery.py); 0 opens one per task, as pages do.
WORKER_CONN_MAX_AGE = env_int("DATABASE_WORKER_CONN_MAX_AGE", 60)
# Celery's Django fix-up closes every connection around every task unless this is set; then it
# closes them every this many tasks, and wallet_support/celery.py closes an obsolete or broken
# one around each task as Django does around a request.
CELERY_DB_REUSE_MAX = 1000 if WORKER_CONN_MAX_AGE else None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache, channel layer and Celery: Redis when REDIS_URL (or REDIS_SENTINELS) is set, in-process
# otherwise.
REDIS_TIMEOUT_SECONDS = 2
REDIS_SENTINEL_MASTER = env_str("REDIS_SENTINEL_MASTER", "mymaster")
REDIS_SENTINEL_PASSWORD = env_str("REDIS_SENTINEL_PASSWORD")
REDIS_PASSWORD = env_str("REDIS_PASSWORD")
REDIS_DB = env_int("REDIS_DB", 0)
REDIS_SENTINEL = None
if REDIS_SENTINELS:
    try:
        _sentinel_addresses = [
            (host.strip().strip("[]"), int(port))  # [::1]:26379 too
            for host, _sep, port in (item.rpartition(":") for item in REDIS_SENTINELS)
        ]
    except ValueError:
        raise SystemExit(
            'REDIS_SENTINELS is a list of host:port, e.g. "10.0.0.1:26379,10.0.0.2:26379".'
        ) from None
    if any(not host for host, _port in _sentinel_addresses):
        raise SystemExit('REDIS_SENTINELS is a list of host:port, e.g. "10.0.0.1:26379".')
    # What wallet_support.redis_pool and channels-redis need to find the primary: the sentinels,
    # how to talk to them, and the primary's own password and database.
    REDIS_SENTINEL = {
        "master_name": REDIS_SENTINEL_MASTER,
        "sentinels": _sentinel_addresses,
        "sentinel_kwargs": {
            "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
            "socket_timeout": REDIS_TIMEOUT_SECONDS,
            **({"password": REDIS_SENTINEL_PASSWORD} if REDIS_SENTINEL_PASSWORD else {}),
        },
        "connection": {
            "db": REDIS_DB,
            **({"password": REDIS_PASSWORD} if REDIS_PASSWORD else {}),
        },
    }
if REDIS_URL or REDIS_SENTINEL:
    _cache_options = {
        "pool_class": "wallet_support.redis_pool.SharedConnectionPool",
        "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
        "socket_timeout": REDIS_TIMEOUT_SECONDS,
    }
    _layer_host = {
        "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
        # channels-redis blocks on BZPOPMIN for 5 s; redis-py 8 would time the read out at
        # its own 5 s default and kill busy sockets.
        "socket_timeout": 15,
        # redis-py 8 refuses a 101st concurrent command (default pool of 100): a burst of
        # sockets joining groups needs more.
        "max_connections": env_int("CHANNEL_LAYER_MAX_CONNECTIONS", 1000),
    }
    if REDIS_SENTINEL:
        # The cache's LOCATION only names the pool: SharedConnectionPool asks the sentinels.
        _cache_location = f"sentinel://{REDIS_SENTINEL_MASTER}/{REDIS_DB}"
        _cache_options["sentinel"] = REDIS_SENTINEL
        _layer_host.update(
            master_name=REDIS_SENTINEL["master_name"],
            sentinels=REDIS_SENTINEL["sentinels"],
            sentinel_kwargs=REDIS_SENTINEL["sentinel_kwargs"],
            **REDIS_SENTINEL["connection"],
        )
        _broker_password = f":{quote(REDIS_PASSWORD, safe='')}@" if REDIS_PASSWORD else ""
        CELERY_BROKER_URL = ";".join(
            f"sentinel://{_broker_password}{host}:{port}/{REDIS_DB}"
            for host, port in REDIS_SENTINEL["sentinels"]
        )
    else:
        _cache_location = REDIS_URL
        _layer_host["address"] = REDIS_URL
        CELERY_BROKER_URL = REDIS_URL
    CACHES = {
        "default": {
            # Django's RedisCache, with a Redis outage served as cache misses (common/cache.py).
            "BACKEND": "common.cache.ResilientRedisCache",
            "LOCATION": _cache_location,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "ws"),
            "OPTIONS": _cache_options,
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "common.channel_layer.LocalFirstRedisChannelLayer",
            "CONFIG": {
                "hosts": [_layer_host],
                "prefix": env_str("CHANNEL_LAYER_PREFIX", "ws-asgi"),
                "capacity": 1000,
                "expiry": 60,
            },
        }
    }
    CELERY_TASK_ALWAYS_EAGER = False
    # Article views are counted in the shared cache and added to the rows by beat (faq.tasks).
    FAQ_VIEW_COUNTS_BATCHED = True
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://localhost/"
    CELERY_TASK_ALWAYS_EAGER = True
    FAQ_VIEW_COUNTS_BATCHED = False

CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT_SECONDS
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task sent while the broker is away is given up after about a second (common/task_base.py
# keeps what it must), not after the default's retries, so the request that sent it answers.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
# A late-acknowledged task that waits in Redis longer than this is delivered again, so it must
# exceed the longest time any task may sit unacknowledged (countdowns and ETAs included). It is
# also how long the tasks of a worker lost as a whole (its machine, its container) wait before
# another worker takes them (docs/operations.md).
CELERY_VISIBILITY_TIMEOUT_SECONDS = env_int("CELERY_VISIBILITY_TIMEOUT_SECONDS", 6 * 60 * 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT_SECONDS,
    # The sweep that gives such tasks back runs at start-up and then every 100 s (kombu's
    # interval times its throttle); a fraction of the timeout, so a short timeout is honoured.
    "unacked_restore_interval": max(1, min(10, CELERY_VISIBILITY_TIMEOUT_SECONDS // 10)),
}
if REDIS_SENTINEL:
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        master_name=REDIS_SENTINEL["master_name"],
        sentinel_kwargs=REDIS_SENTINEL["sentinel_kwargs"],
    )
    # Sending a task waits out an election (down-after-milliseconds plus the failover, a few
    # seconds) instead of failing after kombu's default 0.6 s of retries.
    CELERY_TASK_PUBLISH_RETRY_POLICY = {
        "max_retries": 20,
        "interval_start": 0,
        "interval_step": 0.5,
        "interval_max": 1,
    }
CELERY_TASK_DEFAULT_QUEUE = "default"
# Each problem type's tasks go to a queue of their own: security, transactions, payments and
# default (tickets.problem_types.PROBLEM_TYPES); a worker consumes the ones given with -Q.
SLA_CHECK_INTERVAL_SECONDS = env_int("SLA_CHECK_INTERVAL_SECONDS", 60)
CHAT_QUEUE_CHECK_SECONDS = env_int("CHAT_QUEUE_CHECK_SECONDS", 30)
FAQ_VIEW_FLUSH_SECONDS = env_int("FAQ_VIEW_FLUSH_SECONDS", 60)
# How long a search's results are kept in the shared cache (faq.selectors.article_search); 0
# keeps none, so every search is ranked afresh (the benchmark's cold figures).
FAQ_SEARCH_RESULTS_SECONDS = env_int("FAQ_SEARCH_RESULTS_SECONDS", 10 * 60)
ROUTING_SWEEP_SECONDS = env_int("ROUTING_SWEEP_SECONDS", 60)
# Transaction status from the chain (chain/): a provider per network, CHAIN_PROVIDER_<NETWORK>
# (EVM chains: a JSON-RPC URL; bitcoin: an Esplora REST base URL; tron: its HTTP API base URL).
# A network without one is not checked; none at all turns the feature off.
CHAIN_PROVIDERS = {
    network: url
    for network in ("ethereum", "bsc", "polygon", "arbitrum", "bitcoin", "tron")
    if (url := env_str(f"CHAIN_PROVIDER_{network.upper()}"))
}
CHAIN_PROVIDER_TIMEOUT_SECONDS = env_int("CHAIN_PROVIDER_TIMEOUT_SECONDS", 5)
# After a failure a provider rests this long: lookups meanwhile answer "could not check yet".
CHAIN_PROVIDER_REST_SECONDS = env_int("CHAIN_PROVIDER_REST_SECONDS", 30)
CHAIN_CACHE_SECONDS = env_int("CHAIN_CACHE_SECONDS", 20)
# Lookups the contact form's check may start per network and minute, all visitors together: a
# paid provider's quota is not for anyone to burn with made-up hashes (tickets' checks are apart).
CHAIN_FORM_LOOKUPS_PER_MINUTE = env_int("CHAIN_FORM_LOOKUPS_PER_MINUTE", 60)
CHAIN_REFRESH_SECONDS = env_int("CHAIN_REFRESH_SECONDS", 60)
CHAIN_GIVE_UP_HOURS = env_int("CHAIN_GIVE_UP_HOURS", 72)
# Confirmations after which a status is final and no longer refreshed.
CHAIN_FINAL_CONFIRMATIONS = {
    "ethereum": 12,
    "bsc": 15,
    "polygon": 128,
    "arbitrum": 20,
    "bitcoin": 6,
    "tron": 20,
}
# How long a server process reuses the cached pages' version and state (common/page_cache.py).
PAGE_CACHE_STATE_MS = env_int("PAGE_CACHE_STATE_MS", 1000)
CELERY_BEAT_SCHEDULE = {
    # Tickets whose routing task the broker did not take (common/task_base.py) get routed.
    "route-waiting-tickets": {
        "task": "tickets.tasks.route_waiting_tickets",
        "schedule": ROUTING_SWEEP_SECONDS,
        "options": {"queue": "default", "expires": ROUTING_SWEEP_SECONDS},
    },
    "check-slas": {
        "task": "tickets.tasks.check_slas",
        "schedule": SLA_CHECK_INTERVAL_SECONDS,
        # A check that waited longer than one interval is replaced by the next one.
        "options": {"queue": "default", "expires": SLA_CHECK_INTERVAL_SECONDS},
    },
    # The support dashboard's figures, computed ahead of the page (dashboard.figures). The task
    # keeps its name from before the dashboard had an app of its own (dashboard.tasks).
    "refresh-dashboard": {
        "task": "tickets.tasks.refresh_dashboard",
        "schedule": 60,
        "options": {"queue": "default", "expires": 60},
    },
    # Chats that waited too long become left messages; silent consoles are forgotten.
    "expire-waiting-chats": {
        "task": "livechat.tasks.expire_waiting_chats",
        "schedule": CHAT_QUEUE_CHECK_SECONDS,
        "options": {"queue": "default", "expires": CHAT_QUEUE_CHECK_SECONDS},
    },
    # Article views counted in the cache, added to the rows (faq.services.article_views_flush).
    "flush-article-views": {
        "task": "faq.tasks.flush_article_views",
        "schedule": FAQ_VIEW_FLUSH_SECONDS,
        "options": {"queue": "default", "expires": FAQ_VIEW_FLUSH_SECONDS},
    },
    # Transaction checks that are not final yet, asked again when due (chain.tasks).
    "refresh-transaction-checks": {
        "task": "chain.tasks.refresh_transaction_checks",
        "schedule": CHAIN_REFRESH_SECONDS,
        "options": {"queue": "transactions", "expires": CHAIN_REFRESH_SECONDS},
    },
    # Export files and unconfirmed requests that outlived their link (privacy.tasks).
    "purge-data-requests": {
        "task": "privacy.tasks.purge_data_requests",
        "schedule": 60 * 60,
        "options": {"queue": "default", "expires": 60 * 60},
    },
}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"

SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages: Simplified Chinese and English, chosen by the switcher's cookie or Accept-Language.
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Customer uploads: private, never under a public URL (served through permission checks only).
FILE_UPLOAD_PERMISSIONS = 0o600
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# A request body over this is refused (413) before it is read (wallet_support/uploads.py): the
# largest form, three attachments of 5 MB and their fields, fits.
REQUEST_BODY_MAX_BYTES = 18 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    # Stores no more of one file than a byte past the attachment limit.
    "wallet_support.uploads.AttachmentSizeLimit",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if EMBEDDED
    else "django.core.mail.backends.smtp.EmailBackend",
)
# The file backend (django.core.mail.backends.filebased.EmailBackend) writes each mail here.
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH") or None
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Wallet Support <support@wallet.example>")
# Incoming mail (inbound.services): the support mailbox read over IMAP by Celery beat,
# off unless IMAP_HOST is set. A mail server can also pipe mail to `manage.py receive_email`.
IMAP_HOST = env_str("IMAP_HOST")
IMAP_USE_SSL = env_bool("IMAP_USE_SSL", default=True)
IMAP_PORT = env_int("IMAP_PORT", 993 if IMAP_USE_SSL else 143)
IMAP_USER = env_str("IMAP_USER")
IMAP_PASSWORD = env_str("IMAP_PASSWORD")
IMAP_FOLDER = env_str("IMAP_FOLDER", "INBOX")
IMAP_POLL_SECONDS = env_int("IMAP_POLL_SECONDS", 60)
if IMAP_HOST:
    CELERY_BEAT_SCHEDULE["fetch-mail"] = {
        "task": "tickets.tasks.fetch_mail",
        "schedule": IMAP_POLL_SECONDS,
        "options": {"queue": "default", "expires": IMAP_POLL_SECONDS},
    }

# Production hardening; the security issue extends this.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_HTTPS_PROXY", default=False) else None
)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Security headers and cookies (Content-Security-Policy, HSTS): see docs/security.md.
# No inline script, style or event handler on any page: templates hand data to scripts through
# data- attributes and json_script (type="application/json", which CSP never runs). The admin
# needs nothing more. wallet_support.middleware adds this host's ws:/wss: origin for the chat.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Browsers honour HSTS over HTTPS only. Preload stays off unless asked for: the preload list is
# built into browsers, takes months to leave and binds the whole registrable domain, so it is the
# domain owner's decision; Django's reminder about it (security.W021) is silenced while off.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Plain HTTP is redirected to HTTPS, except the health check that a load balancer probes over
# HTTP. Behind a TLS proxy this needs BEHIND_HTTPS_PROXY=1, or every request redirects forever.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# No script reads the CSRF cookie: pages that post from JavaScript send the form's hidden field.
CSRF_COOKIE_HTTPONLY = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Rate limits (security/ratelimit.py), counted in the cache.
# Each scope counts every post (valid or not) per client address and per session; an address
# limit is generous because a mobile carrier's NAT puts many customers behind one address.
# Rates are django-ratelimit's "count/period" (10m = ten minutes). A broken cache lets posts
# through (logged) rather than turning every customer away.
RATE_LIMITS_ENABLED = True
# "fresh" counts, per address, the attempts that came without a session the desk started (a
# script that drops or makes up its cookie): it keeps such a script to about a session's limit.
RATE_LIMITS = {
    "contact": {"address": "60/10m", "session": "10/10m", "fresh": "20/10m"},
    # Customer replies, status changes and ratings on the ticket page.
    "ticket_reply": {"address": "120/10m", "session": "20/10m", "fresh": "20/10m"},
    "chat_start": {"address": "60/10m", "session": "10/10m", "fresh": "20/10m"},
    # On top of the socket's own burst limit (livechat/limits.py).
    "chat_message": {"address": "1000/10m", "session": "100/10m", "fresh": "100/10m"},
    # Each mails the ticket's address: a visitor may not turn the desk into a mailer.
    "chat_transcript": {"address": "30/10m", "session": "3/10m", "fresh": "3/10m"},
    "faq_vote": {"address": "300/10m", "session": "30/10m", "fresh": "60/10m"},
    # /verify/ says whether a ticket reference exists: slow down anyone trying them all.
    "verify": {"address": "100/10m", "session": "20/10m", "fresh": "20/10m"},
    # /privacy/ mails a confirmation link to the address typed.
    "privacy": {"address": "25/h", "session": "5/h", "fresh": "5/h"},
    # /ticket/new-link/ mails a ticket's owner when reference and address match.
    "new_link": {"address": "30/10m", "session": "5/10m", "fresh": "5/10m"},
    # Help-centre searches and type-ahead suggestions (a few per question typed), each a
    # full-text query.
    "search": {"address": "1200/10m", "session": "200/10m", "fresh": "60/10m"},
    # A fresh ticket link mails the ticket's address: per client, and per ticket ("session").
    "ticket_link": {"address": "30/h", "session": "3/h"},
    # Every mail a visitor's request sends, counted per recipient address ("session").
    "mail_recipient": {"address": "1000/h", "session": "5/h"},
    "fake_report": {"address": "30/h", "session": "5/h"},
    # The contact form's chain check polls every few seconds while a lookup runs.
    "chain_status": {"address": "600/10m", "session": "120/10m", "fresh": "30/10m"},
}
RATELIMIT_USE_CACHE = "default"
RATELIMIT_FAIL_OPEN = True

# Agents' log-in: two-factor (TOTP with recovery codes) and the lockout (security/two_factor.py).
LOGIN_URL = "security:login"
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60)
OTP_TOTP_ISSUER = env_str("SUPPORT_SITE_NAME", "Wallet Support")
# The lockout above limits code guesses; django-otp's own per-device back-off would make a
# mistyped code block the next correct one for seconds, so it is off.
OTP_TOTP_THROTTLE_FACTOR = 0
# Authenticator keys are never shown again after set-up, not even to admins.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# The in-app API (api/, docs/api.md): the wallet backend signs short-lived tokens (HS256) with
# this shared secret; the API answers 503 while it is unset. During a rotation the previous
# secret is still accepted. Both must be at least 32 characters.
API_TOKEN_SECRET = env_str("API_TOKEN_SECRET")
API_TOKEN_SECRET_PREVIOUS = env_str("API_TOKEN_SECRET_PREVIOUS")
for _name, _secret in [
    ("API_TOKEN_SECRET", API_TOKEN_SECRET),
    ("API_TOKEN_SECRET_PREVIOUS", API_TOKEN_SECRET_PREVIOUS),
]:
    if 0 < len(_secret) < 32:
        raise SystemExit(f"{_name} is too short: use at least 32 random characters.")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.AppTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.IsAppUser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PagePagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Wallet Support in-app API",
    "DESCRIPTION": "For the wallet app: tickets, the help centre and live chat (docs/api.md).",
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from our own static files (no CDN), started by a script file: see api/views.py.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": False, "validatorUrl": None},
    # Names for choice sets that share a field name (each ticket type's request has its own).
    "ENUM_NAME_OVERRIDES": {
        "ProblemTypeEnum": "tickets.models.ProblemType",
        "TicketStatusEnum": "tickets.models.Status",
        "AccountSecurityTypeEnum": [("account_security", "account_security")],
        "AbnormalTransactionTypeEnum": [("abnormal_transaction", "abnormal_transaction")],
        "TopupWithdrawalTypeEnum": [("topup_withdrawal", "topup_withdrawal")],
        "AccountFrozenTypeEnum": [("account_frozen", "account_frozen")],
        "OtherTypeEnum": [("other", "other")],
    },
}

# The desk's public identity, shown in the header notice and on the security page.
SUPPORT_SITE_NAME = env_str("SUPPORT_SITE_NAME", "Wallet Support")
SUPPORT_OFFICIAL_DOMAINS = env_list("SUPPORT_OFFICIAL_DOMAINS", ["support.wallet.example"])
# The desk's accounts on messengers and social networks ("@WalletSupport"): the only handles an
# agent may name to a customer (guard.agent_messages).
SUPPORT_OFFICIAL_ACCOUNTS = env_list("SUPPORT_OFFICIAL_ACCOUNTS", [])
# The channel guide's schedule (faq/channels.py): the time zone its hours are in, public
# holidays on which scheduled channels are closed, and optionally the whole schedule as JSON in
# the shape of faq.channels.DEFAULT_CHANNELS.
SUPPORT_TIME_ZONE = env_str("SUPPORT_TIME_ZONE", TIME_ZONE)
SUPPORT_HOLIDAYS = env_list("SUPPORT_HOLIDAYS")
if env_str("SUPPORT_CHANNELS_JSON"):
    try:
        SUPPORT_CHANNELS = json.loads(env_str("SUPPORT_CHANNELS_JSON"))
    except json.JSONDecodeError as error:
        raise SystemExit(f"SUPPORT_CHANNELS_JSON is not valid JSON: {error}") from None
# The public address of the site, for links in emails (private ticket links).
SUPPORT_SITE_URL = env_str("SUPPORT_SITE_URL", "http://127.0.0.1:8000")
# Where customer replies are announced to the support team.
SUPPORT_INBOX_EMAIL = env_str("SUPPORT_INBOX_EMAIL", "support@wallet.example")
# How long a private ticket link stays valid; every email carries a fresh one.
TICKET_LINK_MAX_AGE_DAYS = env_int("TICKET_LINK_MAX_AGE_DAYS", 90)
# Minutes an agent typically spends on a ticket, for the live "expected first response" figure.
SUPPORT_MINUTES_PER_TICKET = env_int("SUPPORT_MINUTES_PER_TICKET", 10)
# Canned replies offered in the agent console ({name} and {reference} are filled in).
# Agents' canned replies (tickets.canned): the text, and optionally the problem types and
# languages it is offered for (every one when absent).
SUPPORT_CANNED_REPLIES = [
    {"text": _("Hello {name}, thank you for waiting. I am looking at ticket {reference} now.")},
    {
        "text": _("Could you tell me the time, amount and transaction hash of the transfer?"),
        "problem_types": ["abnormal_transaction", "topup_withdrawal"],
    },
    {
        "text": _(
            "Could you tell me when the account was frozen and the exact message the app showed?"
        ),
        "problem_types": ["account_frozen"],
    },
    {"text": _("We will never ask for your recovery phrase, private key, password or 2FA code.")},
    {"text": _("Is there anything else I can help you with today?")},
]
# Live chat: an agent counts as available only while a console socket of theirs beats (every
# 20 s from the console); one silent for this long no longer counts.
CHAT_CONSOLE_TIMEOUT_SECONDS = env_int("CHAT_CONSOLE_TIMEOUT_SECONDS", 60)
# The chat sockets' database threads per server process (0: 4 on PostgreSQL, 1 on SQLite), and
# how many calls a process may hold before it refuses messages as `overloaded` (0: 8 a thread).
CHAT_DATABASE_THREADS = env_int("CHAT_DATABASE_THREADS", 0)
CHAT_DATABASE_MAX_PENDING = env_int("CHAT_DATABASE_MAX_PENDING", 0)
# Minutes a chat may wait for an agent before it is kept as a left message, per problem type,
# e.g. "account_security=2,other=15" (defaults: tickets.problem_types.PROBLEM_TYPES).
try:
    SUPPORT_CHAT_WAIT_MINUTES = {
        problem_type.strip(): int(minutes)
        for problem_type, _sep, minutes in (
            item.partition("=") for item in env_list("SUPPORT_CHAT_WAIT_MINUTES")
        )
    }
except ValueError:
    raise SystemExit(
        'SUPPORT_CHAT_WAIT_MINUTES is a list of problem_type=minutes, e.g. "account_security=2".'
    ) from None
# SLA escalation: give a breached ticket to another available team member too.
SLA_REASSIGN_ON_BREACH = env_bool("SLA_REASSIGN_ON_BREACH", default=False)
# The wallet backend's webhook for account-security reports (off unless both are set).
SECURITY_WEBHOOK_URL = env_str("SECURITY_WEBHOOK_URL")
SECURITY_WEBHOOK_SECRET = env_str("SECURITY_WEBHOOK_SECRET")
if SECURITY_WEBHOOK_URL and not SECURITY_WEBHOOK_SECRET:
    raise SystemExit("SECURITY_WEBHOOK_SECRET is not set: the webhook must be signed.")
# Event webhooks (webhooks/, docs/api.md): subscriptions are edited in the admin.
WEBHOOKS_REQUIRE_HTTPS = env_bool("WEBHOOKS_REQUIRE_HTTPS", default=not DEBUG)
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", default=False)
WEBHOOKS_TIMEOUT_SECONDS = env_int("WEBHOOKS_TIMEOUT_SECONDS", 5)
WEBHOOKS_MAX_ATTEMPTS = env_int("WEBHOOKS_MAX_ATTEMPTS", 10)
WEBHOOKS_RETRY_BASE_SECONDS = env_int("WEBHOOKS_RETRY_BASE_SECONDS", 10)
WEBHOOKS_RETRY_MAX_SECONDS = env_int("WEBHOOKS_RETRY_MAX_SECONDS", 1800)
# A delivery whose task was lost (the broker down at commit) is queued again (webhooks.tasks).
CELERY_BEAT_SCHEDULE["requeue-stale-webhooks"] = {
    "task": "webhooks.tasks.requeue_stale_deliveries",
    "schedule": 5 * 60,
    "options": {"queue": "default", "expires": 5 * 60},
}
# Official social media accounts listed on /security/, e.g. "Weibo: @WalletSupport,X: @WalletHelp".
SUPPORT_SOCIAL_ACCOUNTS = env_list("SUPPORT_SOCIAL_ACCOUNTS")
# The region /verify/ reads a phone number in when it has no country code.
SUPPORT_PHONE_REGION = env_str("SUPPORT_PHONE_REGION", "CN")

# Metrics (docs/metrics.md): /metrics answers a bearer token of at least 32 characters, or a
# staff user with the second factor; nobody else. Figures from the database are kept this many
# seconds per server process.
METRICS_TOKEN = env_str("METRICS_TOKEN")
if 0 < len(METRICS_TOKEN) < 32:
    raise SystemExit("METRICS_TOKEN is too short: use at least 32 random characters.")
METRICS_CACHE_SECONDS = 10

# Logs: "plain" lines, or "json", one object a line for a log collector (wallet_support/logs.py).
LOG_FORMAT = env_str("LOG_FORMAT", "plain").lower()
if LOG_FORMAT not in {"plain", "json"}:
    raise SystemExit('LOG_FORMAT is "plain" or "json".')
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "wallet_support.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # pypdf warns about every oddity of a customer's PDF (tickets.validators reads them).
        "pypdf": {"level": "ERROR"},
    },
}
