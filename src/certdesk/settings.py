"""Django settings for certdesk, read from CERTDESK_* environment variables.

Every variable has a default that makes `make run` work on a fresh machine
(SQLite under var/, a secret key generated once into the data dir).
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlparse

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent


def env_str(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    return value in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """Turn `sqlite:////abs/path.db` or `postgres://user:pw@host:port/name` into a DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path)
        if url.startswith("sqlite:////"):
            path = "/" + path.lstrip("/")
        elif path.startswith("/"):
            path = path[1:]
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path or ":memory:",
            "OPTIONS": {
                # WAL lets readers and one writer work at once; IMMEDIATE avoids
                # "database is locked" upgrades inside write transactions.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            "TEST": {"NAME": None},
        }
    if parsed.scheme in {"postgres", "postgresql", "pgsql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")) or "certdesk",
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    raise ValueError(f"CERTDESK_DATABASE_URL: unsupported scheme {parsed.scheme!r} (use sqlite:// or postgres://)")


DATA_DIR = Path(env_str("CERTDESK_DATA_DIR", str(PROJECT_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    value = os.environ.get("CERTDESK_SECRET_KEY", "").strip()
    if value:
        return value
    path = DATA_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_urlsafe(50).encode())
        finally:
            os.close(fd)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("CERTDESK_DEBUG", False)
BASE_URL = env_str("CERTDESK_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
ALLOWED_HOSTS = env_list(
    "CERTDESK_ALLOWED_HOSTS",
    sorted({"127.0.0.1", "localhost", "[::1]", "testserver", urlparse(BASE_URL).hostname or "127.0.0.1"}),
)
CSRF_TRUSTED_ORIGINS = [BASE_URL] if urlparse(BASE_URL).scheme in {"http", "https"} else []

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI assets served locally (air-gapped sites, no CDN)
    "certdesk.core",
    "certdesk.tenancy",
    "certdesk.accounts",
    "certdesk.domains",
    "certdesk.ca",
    "certdesk.api",
    "certdesk.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "certdesk.web.middleware.PortalAccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "certdesk.urls"
WSGI_APPLICATION = "certdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "certdesk.web.context.portal",
            ],
        },
    },
]

DATABASE_URL = env_str("CERTDESK_DATABASE_URL", f"sqlite:///{DATA_DIR / 'certdesk.sqlite3'}")
DATABASES = {"default": database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.Admin"
AUTHENTICATION_BACKENDS = ["certdesk.accounts.backends.AdminBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("login", "email", "forename", "surname")}},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"
# Admins are unique per customer, not globally (SCM logins are scoped by customerUri);
# the backend takes the customer into account.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]

SESSION_COOKIE_AGE = env_int("CERTDESK_SESSION_TIMEOUT", 3600)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = BASE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "certdesk_cache",
    }
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("CERTDESK_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["certdesk.api.authentication.ScmHeaderAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["certdesk.api.permissions.IsAdminActor"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "certdesk.api.errors.scm_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "certdesk REST API",
    "DESCRIPTION": "SCM-compatible REST API of certdesk.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api",
    "PREPROCESSING_HOOKS": ["certdesk.api.schema.public_paths_only"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Certificate authority
CA_DIR = DATA_DIR / "ca"
CA_PASSPHRASE = os.environ.get("CERTDESK_CA_PASSPHRASE", "").strip()
CA_NAME_PREFIX = env_str("CERTDESK_CA_NAME", "certdesk")

# Organization validation (the OV anchor) lasts this long before it must be redone.
ORG_VALIDATION_DAYS = env_int("CERTDESK_ORG_VALIDATION_DAYS", 365)

# Failed logins: after this many failures within the window, further attempts for
# that login (and that client address) are refused until the window passes.
LOGIN_MAX_FAILURES = env_int("CERTDESK_LOGIN_MAX_FAILURES", 5)
LOGIN_FAILURE_WINDOW = env_int("CERTDESK_LOGIN_FAILURE_WINDOW", 900)
# Seconds a verified SCM header credential stays cached (keyed by an HMAC of it).
API_AUTH_CACHE_SECONDS = env_int("CERTDESK_API_AUTH_CACHE_SECONDS", 60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("CERTDESK_LOG_LEVEL", "WARNING")},
}

# Reverse proxies whose X-Forwarded-For is believed (comma-separated CIDRs); none by default.
import ipaddress as _ipaddress  # noqa: E402

TRUSTED_PROXIES = env_list("CERTDESK_TRUSTED_PROXIES", [])
TRUSTED_PROXY_NETWORKS = [_ipaddress.ip_network(c, strict=False) for c in TRUSTED_PROXIES]


# Domains and DCV
# DNS resolvers for DCV and CAA checks, "host[:port]" comma separated ("[::1]:5353" for IPv6);
# empty = the system's resolvers (/etc/resolv.conf).
DNS_RESOLVERS = env_list("CERTDESK_DNS_RESOLVERS", [])
# Seconds a DNS lookup may take in all before it counts as a failure.
DNS_TIMEOUT = float(env_str("CERTDESK_DNS_TIMEOUT", "5"))
# Ask for DNSSEC (DO bit) and treat a validating resolver's SERVFAIL as failure; false sends CD
# (checking disabled) so a validating resolver still answers for broken private zones.
DNSSEC_VALIDATE = env_bool("CERTDESK_DNSSEC_VALIDATE", True)
# Ports of the HTTP/HTTPS file DCV fetch: 80/443 (CA/B rules); other values are for tests only.
VALIDATION_HTTP_PORT = env_int("CERTDESK_VALIDATION_HTTP_PORT", 80)
VALIDATION_HTTPS_PORT = env_int("CERTDESK_VALIDATION_HTTPS_PORT", 443)


def _default_caa_identity() -> str:
    host = (urlparse(BASE_URL).hostname or "").lower()
    try:
        _ipaddress.ip_address(host)
    except ValueError:
        if "." in host:
            return host
    return "certdesk.invalid"


# Issuer domain names that designate this CA in CAA records (RFC 8659), comma separated; the
# first one is also written into DCV values and CAA suggestions. Default: the host of
# CERTDESK_BASE_URL when it is a DNS name, else "certdesk.invalid" (set it for production).
CAA_IDENTITIES = env_list("CERTDESK_CAA_IDENTITIES", [_default_caa_identity()])
# CNAME DCV points `_<random>.<domain>` to `<random>.<this suffix>` (need not resolve).
DCV_CNAME_SUFFIX = env_str("CERTDESK_DCV_CNAME_SUFFIX", f"dcv.{(CAA_IDENTITIES or ['certdesk.invalid'])[0]}")
# Seconds between re-checks of a submitted DNS/HTTP(S) DCV order by the worker.
DCV_RECHECK_SECONDS = env_int("CERTDESK_DCV_RECHECK_SECONDS", 3600)
# Days a DCV stays valid; 0 = the CA/Browser Forum reuse schedule in force on the day of
# validation (398 → 200 → 100 → 10 days, see certdesk.domains.states.DCV_REUSE_SCHEDULE).
DCV_VALIDITY_DAYS = env_int("CERTDESK_DCV_VALIDITY_DAYS", 0)
