"""Flywheel settings: twelve-factor, read from the environment, with embedded defaults.

Unset, everything runs on SQLite with Celery in eager mode, so `make demo` needs only Python.
Production sets DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY, ALLOWED_HOSTS and DEBUG=false.
"""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
_DEV_SECRET_KEY = "insecure-dev-key-only-for-local-use"
SECRET_KEY = os.environ.get("SECRET_KEY", _DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "modeltranslation",  # the shop's own content per language; before admin, as it requires
    "config.apps.FlywheelAdminConfig",  # django.contrib.admin with Flywheel's admin site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "kernel",
    "customers",
    "loyalty",
    "quizzes",
    "referrals",
    "storefront",
]

MIDDLEWARE = [
    "config.health.HealthCheckMiddleware",
    "config.middleware.ClientAddressMiddleware",
    "config.middleware.RequestIdMiddleware",
    "storefront.cors.StorefrontCorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "customers.middleware.CustomerLanguageMiddleware",  # a shopper's saved language
    "config.middleware.MessageMiddleware",  # Django's, for pages only
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.CSPMiddleware",  # django-csp's, its policy built once
    "config.throttling.PageThrottleMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.i18n",
                "customers.context.shop",
            ],
        },
    },
]

# Database: DATABASE_URL, or SQLite in WAL mode whose writers take the lock up front
# (transaction_mode IMMEDIATE), so two writers queue instead of failing with "database is locked".
# On PostgreSQL a kept connection is health-checked (SELECT 1) only before its first use after
# DB_HEALTH_CHECK_IDLE seconds idle (config/postgresql), not at the start of every request, and
# TCP keepalives notice a server that went away in between.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "config.postgresql"
    DATABASES["default"]["OPTIONS"] = {"keepalives": 1, "keepalives_idle": 30,
                                       "keepalives_interval": 10, "keepalives_count": 3}
DB_HEALTH_CHECK_IDLE = float(os.environ.get("DB_HEALTH_CHECK_IDLE", "5"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "customers.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out client before the password
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "account"
LOGOUT_REDIRECT_URL = "login"

# Offered languages, each named in itself (the switcher shows "Türkçe" to a Turkish reader
# whatever the page's language). A language is offered only when its catalogue is complete
# (.ci/catalogues). LANGUAGE_CODE is the shop's default, for visitors who ask for none of them.
LANGUAGES = [("en", "English"), ("tr", "Türkçe"), ("fa", "فارسی"), ("zh-hant", "繁體中文")]
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en").strip().lower()
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(
        f"LANGUAGE_CODE={LANGUAGE_CODE!r} is not offered; use one of "
        + ", ".join(code for code, _name in LANGUAGES))
LANGUAGE_COOKIE_NAME = "flywheel_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = not DEBUG
LOCALE_PATHS = [BASE_DIR / "locale"]
# The shop's own content (quiz texts, tier and reward names, earning rules' wording) is entered
# per language in admin (django-modeltranslation: a column per language beside the original,
# which holds the default language's text). A translation left blank falls back to the shop's
# default language, then to English.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = tuple(dict.fromkeys((LANGUAGE_CODE, "en")))
# A row created in code (a service, a seed, a test) with `name="Gold"` while another language
# is active still gets its English (`name_en`), the text every blank translation falls back to.
MODELTRANSLATION_AUTO_POPULATE = "required"
# Its admin tabs need jQuery UI, served from our own static files (a CDN's would break the
# CSP and offline installs): static/vendor/jquery-ui (MIT), and Django admin's own jQuery.
JQUERY_UI_URL = "vendor/jquery-ui/jquery-ui.min.js"
JQUERY_URL = "admin/js/vendor/jquery/jquery.min.js"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Email: console by default; EMAIL_URL-style pieces in production. With DEBUG off the console
# (or any backend that doesn't deliver) is a system check error unless ALLOW_CONSOLE_EMAIL.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Flywheel <loyalty@localhost>")
# The shop's name and the public address of this service, for links in emails and share cards.
SITE_NAME = os.environ.get("SITE_NAME", "Flywheel demo shop")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Font files the share card tries first, comma-separated (`path` or `path.ttc#face`), before the
# bundled Vazirmatn and Debian's Noto Sans CJK (kernel/lettering.py, README "Production").
SHARE_CARD_FONTS = [p.strip() for p in os.environ.get("SHARE_CARD_FONTS", "").split(",")
                    if p.strip()]
# The shop's own storefront, where shopper pages send people back to shop ("" shows no link).
SHOP_URL = os.environ.get("SHOP_URL", "").rstrip("/")
# The demo storefront (`make demo`, /demo-shop/): a sample shop page embedding the widget.
DEMO_SHOP = env_bool("DEMO_SHOP", DEBUG)
# Where the demo shop loads the widget from; empty: the address the page was opened on.
DEMO_SHOP_FLYWHEEL_URL = os.environ.get("DEMO_SHOP_FLYWHEEL_URL", "").rstrip("/")
# Where staff alerts go (detractor follow-ups, flagged referrals); empty sends none.
STAFF_ALERT_EMAIL = os.environ.get("STAFF_ALERT_EMAIL", "")

# Security: on whenever DEBUG is off (passes `manage.py check --deploy`).
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Celery: no broker means eager, so the embedded default needs nothing but Python.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # How long an unacknowledged task waits before another worker takes it over (Redis).
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Three queues, so a slow mail server never holds up orders: `ingest` (webhook deliveries
# applied in batches), `email` (every email sent from a task) and the default `celery`
# (scheduled jobs, outbound webhooks). See the README's "Running in production".
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "customers.tasks.deliveries_apply_task": {"queue": "ingest"},
    **{name: {"queue": "email"} for name in (
        "loyalty.points_earned_emails", "loyalty.points_expiring_email",
        "loyalty.voucher_issued_email", "loyalty.tier_up_email",
        "loyalty.winback_tasks.winback_email_task", "referrals.nps_invitation_send",
        "referrals.nps_follow_up_alert", "referrals.tasks.referral_friend_email_task",
        "referrals.tasks.referral_flagged_alert_task", "customers.tasks.signup_email_task",
    )},
}
CELERY_TIMEZONE = "UTC"

# Seconds a web process trusts an API key it found active before it looks the key up again
# (customers.services.api_key_authenticate): how long a key revoked in another process may
# still work there. 0 looks every request's key up.
API_KEY_CACHE_SECONDS = float(os.environ.get("API_KEY_CACHE_SECONDS", "5"))

# Seconds a worker waits after a delivery arrives before applying it, so that the deliveries
# arriving meanwhile are applied with it, in one batch (see customers.services.deliveries).
INGESTION_BATCH_WINDOW = float(os.environ.get("INGESTION_BATCH_WINDOW", "0.5"))
# The largest order delivery taken (a Shopify order with hundreds of lines is well under it);
# a larger one is a 413, kept as a failed delivery. Django's DATA_UPLOAD_MAX_MEMORY_SIZE is kept
# above it, so a body between the two is still read and kept byte for byte.
INGESTION_MAX_BODY_BYTES = int(os.environ.get("INGESTION_MAX_BODY_BYTES", str(2 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = max(INGESTION_MAX_BODY_BYTES + 1024 * 1024, 2_621_440)

# A cache every web process and worker shares: they agree through it on when received order
# deliveries need a worker (customers.services.deliveries_wake). CACHE_URL (redis://...), else
# a Redis broker's URL; without either each process has its own, enough when tasks run eagerly.
CACHE_URL = os.environ.get("CACHE_URL") or (
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else "")
# CACHE_KEY_PREFIX keeps two installs (or benchmark runs) sharing one Redis database apart.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                      "LOCATION": CACHE_URL,
                      "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "flywheel")}
          if CACHE_URL else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.api.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["config.api.IsShopSystem"],
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",
    "EXCEPTION_HANDLER": "kernel.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "kernel.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["config.throttling.ScopedThrottle"],
    # The API takes JSON only (what the schema documents); order webhooks read their raw body.
    "DEFAULT_PARSER_CLASSES": ["config.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Flywheel API",
    "DESCRIPTION": "Orders in, profiles and loyalty out. Authenticate with "
    "`Authorization: Bearer <api key>` (create one in admin or with `manage.py create_api_key`).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name for a choice set that several serializers use.
    "ENUM_NAME_OVERRIDES": {"NpsCategoryEnum": "customers.models.NpsCategory"},
}

# The shop's currency: how amounts on the shopper's pages are labelled.
SHOP_CURRENCY = os.environ.get("SHOP_CURRENCY", "EUR")

# Loyalty: days an order's points stay pending (the return window) before they can be spent.
LOYALTY_HOLD_DAYS = int(os.environ.get("LOYALTY_HOLD_DAYS", "14"))

# Product images: larger uploads are refused before Pillow opens them.
PRODUCT_IMAGE_MAX_BYTES = int(os.environ.get("PRODUCT_IMAGE_MAX_BYTES", str(5 * 1024 * 1024)))

# Shop platform webhook secrets.
SHOPIFY_WEBHOOK_SECRET = os.environ.get("SHOPIFY_WEBHOOK_SECRET", "")
WOOCOMMERCE_WEBHOOK_SECRET = os.environ.get("WOOCOMMERCE_WEBHOOK_SECRET", "")

# ---------------------------------------------------------------------------------------------
# The edge (issue 12): proxies, throttles, login protection, CSP, media, logs. README,
# "Production and scale-out".

# Behind a reverse proxy or load balancer: TRUSTED_PROXIES is how many proxies stand in front
# ("1") or their networks ("10.0.0.0/8,172.16.0.0/12"); the client address is then taken from
# X-Forwarded-For (config.middleware), and the scheme from X-Forwarded-Proto, which the proxy
# must set. Unset, the connection's own address is the client's and both headers are ignored.
TRUSTED_PROXIES = os.environ.get("TRUSTED_PROXIES", "")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXIES else None
if TRUSTED_PROXIES and not SECURE_SSL_REDIRECT:
    # TLS ends at the proxy, which redirects http:// to https:// itself (README).
    SILENCED_SYSTEM_CHECKS.append("security.W008")

ALLOW_CONSOLE_EMAIL = env_bool("ALLOW_CONSOLE_EMAIL", False)

# Throttles (config.throttling): "<count>/<second|minute|hour|day>" per scope, counted per API
# key, signed-in user or client address in the shared cache. THROTTLE_RATES overrides some:
# "nps_answers=60/minute,voucher_checks=300/minute"; a scope set to "off" is not throttled.
THROTTLE_RATES = {
    "nps_answers": "30/minute",  # NPS answers: the API and the /nps/<token>/ pages
    "voucher_checks": "120/minute",  # voucher look-ups and uses at checkout, per API key
    "quiz_api": "6000/minute",  # quiz answers through the API, per storefront key
    "storefront": "120/minute",  # the storefront widget's API, per shopper address
    "quiz_pages": "120/minute",  # quiz answers on the quiz pages
    "referral_signups": "20/hour",  # friends' sign-ups on share links
    "signups": "10/hour",  # shopper accounts created
    "password_resets": "10/hour",  # password-reset e-mails asked for and links opened
}
for _item in env_list("THROTTLE_RATES", ""):
    _scope, _sep, _rate = _item.partition("=")
    THROTTLE_RATES[_scope.strip()] = "" if _rate.strip() == "off" else _rate.strip()
THROTTLE_CACHE = "default"

# Failed logins (django-axes, the shop pages and admin alike): after AXES_FAILURE_LIMIT
# failures an address, and separately an email address, is refused for AXES_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_CALLABLE = "config.throttling.lockout"
AXES_CLIENT_IP_CALLABLE = "config.middleware.request_client_address"
AXES_USERNAME_CALLABLE = "config.throttling.login_username"
AXES_VERBOSE = False
# Counters in the shared cache when there is one (CACHE_URL), else in the database.
AXES_HANDLER = ("axes.handlers.cache.AxesCacheHandler" if CACHE_URL
                else "axes.handlers.database.AxesDatabaseHandler")

# Content-Security-Policy (django-csp): nothing loads from another origin, no inline script.
# Inline style attributes stay allowed: the admin and the reports use them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# Uploaded media (badges, quiz pictures, product images): served by Flywheel itself
# (config.views.media) unless SERVE_MEDIA=false, when the proxy serves MEDIA_ROOT at MEDIA_URL.
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
MEDIA_CACHE_SECONDS = int(os.environ.get("MEDIA_CACHE_SECONDS", "86400"))

# Logs: LOG_FORMAT=json writes one JSON object a line; every line carries the request id.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.middleware.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"],
                             "formatter": "json" if LOG_FORMAT == "json" else "text"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Without a broker Celery runs tasks in-process, and kombu would warn about the missing
    # host on every task (the demo's terminal stays quiet).
    "loggers": {} if CELERY_BROKER_URL else {"kombu.connection": {"level": "ERROR"}},
}
