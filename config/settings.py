"""Escalation Desk settings: everything that varies between machines comes from the environment."""

import os
from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    database_from_env,
    env_bool,
    env_headers,
    env_int,
    env_list,
    env_proxy_ssl_header,
    q_cluster_from_env,
)

BASE_DIR = Path(__file__).resolve().parent.parent
ENV = os.environ

DEBUG = env_bool(ENV, "DEBUG", default=False)
SECRET_KEY = ENV.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG"

# Seed, demo, volume and benchmark commands (the devtools app): for development, never installed in production.
DEVTOOLS = env_bool(ENV, "DEVTOOLS", default=DEBUG)

ALLOWED_HOSTS = env_list(ENV, "ALLOWED_HOSTS", ["127.0.0.1", "localhost"] + (["*"] if DEBUG else []))
CSRF_TRUSTED_ORIGINS = env_list(ENV, "CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "config.apps.DeskAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_fsm",
    "simple_history",
    "django_q",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "escalations",
    "templates_app",
    "reporting",
    *(["devtools"] if DEVTOOLS else []),
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "config.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
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
                "escalations.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": database_from_env(ENV, str(BASE_DIR / "db.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

Q_CLUSTER = q_cluster_from_env(ENV)

# django-axes refuses a locked-out sign-in before the desk's backend checks the password.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "config.auth.DeskBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "escalations:queue"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = ENV.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(ENV.get("MEDIA_ROOT", BASE_DIR / "media"))

EMAIL_BACKEND = ENV.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = ENV.get("DEFAULT_FROM_EMAIL", "escalation-desk@localhost")

# HTTPS: on by default unless DEBUG. Behind a proxy that ends TLS, SECURE_PROXY_SSL_HEADER says how it marks HTTPS.
SESSION_COOKIE_SECURE = env_bool(ENV, "SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool(ENV, "SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = env_proxy_ssl_header(ENV, "SECURE_PROXY_SSL_HEADER")
SECURE_HSTS_SECONDS = env_int(ENV, "SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
# Both reach beyond this host (every subdomain; browsers' built-in lists), so they are the operator's choice.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool(ENV, "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env_bool(ENV, "SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = env_int(ENV, "SESSION_COOKIE_AGE", default=12 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Every script and style comes from our own static files (json_script data blocks are not run).
# Bootstrap's CSS draws its small icons (close, toggler, select arrow, ticks) as data: SVG images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Sign-in lockout (django-axes): a username is locked from one address after AXES_FAILURE_LIMIT failed sign-ins.
AXES_FAILURE_LIMIT = env_int(ENV, "AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int(ENV, "AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.sign_in.locked_out"
AXES_VERBOSE = False  # no start-up banner in every manage.py command; lockouts are still logged
# Behind a proxy the client's address is in a header the proxy sets (e.g. X-Forwarded-For), not REMOTE_ADDR.
AXES_IPWARE_META_PRECEDENCE_ORDER = env_headers(ENV, "AXES_IPWARE_META_PRECEDENCE_ORDER", ["REMOTE_ADDR"])
AXES_IPWARE_PROXY_COUNT = env_int(ENV, "AXES_IPWARE_PROXY_COUNT", default=None)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The audit trail is the system of record: the admin never writes an old row back.
SIMPLE_HISTORY_REVERT_DISABLED = True
# Reasons are sentences people write ("Escalate to L2 because …"); never cut them at 100 characters.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": ENV.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},  # lockouts are warnings; each sign-in attempt is not news
}

# The desk's own rules.
ESCALATION_MAX_BOUNCES = env_int(ENV, "ESCALATION_MAX_BOUNCES", default=1)
ESCALATION_ATTACHMENT_MAX_BYTES = env_int(ENV, "ESCALATION_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
NOTIFICATION_WEBHOOK_TIMEOUT = env_int(ENV, "NOTIFICATION_WEBHOOK_TIMEOUT", default=5)
NOTIFICATION_MAX_ATTEMPTS = env_int(ENV, "NOTIFICATION_MAX_ATTEMPTS", default=5)
WEBHOOK_ALLOWED_HOSTS = env_list(ENV, "WEBHOOK_ALLOWED_HOSTS", [])
WEBHOOK_SECRET_OVERLAP_HOURS = env_int(ENV, "WEBHOOK_SECRET_OVERLAP_HOURS", default=24)
TEMPLATE_MAX_ACTIONS_PER_TICKET = env_int(ENV, "TEMPLATE_MAX_ACTIONS_PER_TICKET", default=20)
INBOUND_RATE_LIMIT = env_int(ENV, "INBOUND_RATE_LIMIT", default=120)  # events per minute per inbound source
DESK_EVENT_RETENTION_DAYS = env_int(ENV, "DESK_EVENT_RETENTION_DAYS", default=14)
SITE_URL = ENV.get("SITE_URL", "http://127.0.0.1:8000")
EMAIL_TIMEOUT = env_int(ENV, "EMAIL_TIMEOUT", default=10)
