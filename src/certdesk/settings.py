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
            # One connection per thread (Django's are thread-local), kept across requests instead of
            # opened (and its PRAGMAs run) for each one; safe with gunicorn's threads under WAL.
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
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
    "certdesk.certificates",
    "certdesk.acme",
    "certdesk.enrollment",
    "certdesk.persons",
    "certdesk.api",
    "certdesk.web",
    "certdesk.notifications",
    "certdesk.reports",
    "certdesk.discovery",
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

# <select> written in Python (hundreds of organizations in a filter); everything else as Django renders it
FORM_RENDERER = "certdesk.web.forms.renderer.PortalFormRenderer"

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

# Portal session idle timeout in minutes (issue 8), sliding: every request restarts it. The
# middleware enforces it on the server (an expired session goes back to the login page with
# ?next=); the cookie lasts as long, so the browser forgets it too.
SESSION_TIMEOUT_MINUTES = max(env_int("CERTDESK_SESSION_TIMEOUT", 30), 1)
SESSION_COOKIE_AGE = SESSION_TIMEOUT_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Served over TLS (directly or behind a TLS-terminating proxy): cookies only travel over https.
TLS = env_bool("CERTDESK_TLS", BASE_URL.startswith("https://"))
SESSION_COOKIE_SECURE = TLS
CSRF_COOKIE_SECURE = TLS
LANGUAGE_COOKIE_SECURE = TLS
LANGUAGE_COOKIE_SAMESITE = "Lax"
# The portal's JavaScript takes the CSRF token from the page (hx-headers), never from the cookie.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# The shared cache (verified API credentials, report figures, used ACME nonces): Redis at
# CERTDESK_CACHE_URL ("redis://host:6379/1"; default: CERTDESK_REDIS_URL, the queue's Redis) when
# set, else a table of the database. Never a per-process cache: every web process must see it.
CACHE_URL = env_str("CERTDESK_CACHE_URL", env_str("CERTDESK_REDIS_URL", ""))
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ValueError("CERTDESK_CACHE_URL: use a redis:// (or rediss://, unix://) URL, or leave it empty")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": "certdesk",
    } if CACHE_URL else {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "certdesk_cache",
        # Django's default (300 entries, then a third culled) churns once a few dozen admins and
        # robots share it: the dashboard figures and the API's large counts would be thrown away.
        "OPTIONS": {"MAX_ENTRIES": 20_000},
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
# ISO 3166 two-letter country put in the CA subjects (C=); empty = none (fine for a private PKI).
CA_COUNTRY = env_str("CERTDESK_CA_COUNTRY", "").upper()
# Secret the escrowed private keys of client certificates are encrypted under (HKDF-SHA256 → AES-256-GCM,
# certificates/escrow.py); empty = derived from SECRET_KEY. Changing it makes escrowed keys unrecoverable.
KEY_ESCROW_KEY = os.environ.get("CERTDESK_KEY_ESCROW_KEY", "").strip()
if CA_COUNTRY and (len(CA_COUNTRY) != 2 or not CA_COUNTRY.isalpha()):
    raise ValueError("CERTDESK_CA_COUNTRY must be a two-letter ISO 3166 country code, e.g. FR or GB")
# Days a client-certificate invitation link (Persons → Send invitation) stays valid (1..90).
INVITATION_DAYS = min(90, max(1, env_int("CERTDESK_INVITATION_DAYS", 7)))

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

# Discovery (network certificate scans): the networks targets must lie in (comma-separated CIDRs;
# default any), the most address x port probes one task may make, and the worker's parallel probes.
DISCOVERY_ALLOWED_NETWORKS = [_ipaddress.ip_network(c, strict=False)
                              for c in env_list("CERTDESK_DISCOVERY_ALLOWED_NETWORKS", ["0.0.0.0/0", "::/0"])]
DISCOVERY_MAX_PROBES = env_int("CERTDESK_DISCOVERY_MAX_PROBES", 65_536)
DISCOVERY_CONCURRENCY = env_int("CERTDESK_DISCOVERY_CONCURRENCY", 32)


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


# Worker and notifications (issue 7)
# Redis for the job queue ("redis://host:6379/0"): many workers on many machines share it.
# Empty = a SQLite queue file under the data dir (one machine, no extra server).
REDIS_URL = env_str("CERTDESK_REDIS_URL", "")
QUEUE_FILE = Path(env_str("CERTDESK_QUEUE_FILE", str(DATA_DIR / "queue.sqlite3")))
QUEUE_NAME = env_str("CERTDESK_QUEUE_NAME", "certdesk")
# Run jobs at once in the process that queues them (no worker): for debugging and tests only.
QUEUE_IMMEDIATE = env_bool("CERTDESK_QUEUE_IMMEDIATE", False)
# Worker threads of one `certdesk worker` process.
WORKERS = env_int("CERTDESK_WORKERS", 2)
# Outgoing mail: smtp://user:password@host:port (?starttls=1), smtps://host:465 (?verify=0 skips
# the TLS certificate check, for test relays only). Empty = messages wait in the outbox.
SMTP_URL = os.environ.get("CERTDESK_SMTP_URL", "").strip()
SMTP_TIMEOUT = float(env_str("CERTDESK_SMTP_TIMEOUT", "30"))
EMAIL_FROM = env_str("CERTDESK_EMAIL_FROM", f"certdesk@{urlparse(BASE_URL).hostname or 'localhost'}")
# Language of notifications to addresses that are not admins (admins get their own language).
NOTIFICATION_LANGUAGE = env_str("CERTDESK_NOTIFICATION_LANGUAGE", "en")
# A message (email or webhook) is tried this many times before it is marked FAILED; an SMTP
# server that cannot be reached does not count: messages wait for it without limit.
NOTIFICATION_MAX_ATTEMPTS = env_int("CERTDESK_NOTIFICATION_MAX_ATTEMPTS", 8)
# Retry delays: the first, doubled after each failure, capped.
NOTIFICATION_RETRY_SECONDS = env_int("CERTDESK_NOTIFICATION_RETRY_SECONDS", 60)
NOTIFICATION_RETRY_MAX_SECONDS = env_int("CERTDESK_NOTIFICATION_RETRY_MAX_SECONDS", 3600)
# Seconds a worker holds a message it is sending; past that another worker may take it over.
NOTIFICATION_CLAIM_SECONDS = env_int("CERTDESK_NOTIFICATION_CLAIM_SECONDS", 300)
# Days the notification log (sent and failed messages, the bell) is kept.
NOTIFICATION_LOG_DAYS = env_int("CERTDESK_NOTIFICATION_LOG_DAYS", 400)
WEBHOOK_TIMEOUT = float(env_str("CERTDESK_WEBHOOK_TIMEOUT", "10"))


# Certificates (issue 4)
# Lint every certificate with pkilint's CA/B serverauth linter before the CA key signs it (a
# throwaway-key "lint certificate" first); an ERROR or FATAL finding leaves the request INVALID.
LINT_BEFORE_SIGNING = env_bool("CERTDESK_LINT_BEFORE_SIGNING", True)
# CRL partitions: a certificate's shard (serial mod this) is fixed when it is issued, so a
# new value applies to new certificates only.
CRL_SHARDS = env_int("CERTDESK_CRL_SHARDS", 16)
# Issuance repeats the request's checks (names, DCV, CAA, organization) when they are older than
# this; CAA must be fresh within 8 hours anyway (BR §3.2.2.8), so at most 28800.
ISSUE_RECHECK_SECONDS = min(env_int("CERTDESK_ISSUE_RECHECK_SECONDS", 300), 28800)
# Extra weak/compromised key lists (comma-separated paths) in the Debian openssl-blacklist format
# (20 hex digits a line) or as "spki-sha256:<hex>" lines, beside the bundled list.
WEAK_KEY_LISTS = env_list("CERTDESK_WEAK_KEY_LISTS", [])
# Days before expiry at which "expiring" events go out (seed 000: 30 days).
CERTIFICATE_EXPIRY_NOTICE_DAYS = [int(d) for d in env_list("CERTDESK_CERTIFICATE_EXPIRY_NOTICE_DAYS", ["30"])]


# REST API fences (issue 6)
# Rate limits, "N/second", "N/minute", "N/hour" or "N/day", or "off": per admin account, and per
# client address (the X-Forwarded-For address only from CERTDESK_TRUSTED_PROXIES). Counted in the
# database so every process shares them; beyond the limit the API answers 429 with Retry-After.
API_RATE_LIMIT = env_str("CERTDESK_API_RATE_LIMIT", "600/minute")
API_RATE_LIMIT_IP = env_str("CERTDESK_API_RATE_LIMIT_IP", "1200/minute")
# Client-certificate authentication on /private/api: the headers in which a trusted reverse proxy
# passes the client certificate it verified (URL-encoded PEM) and its verdict ("SUCCESS"); they
# are ignored unless the request comes from CERTDESK_TRUSTED_PROXIES (docs/reverse-proxy.md).
CLIENT_CERT_HEADER = env_str("CERTDESK_CLIENT_CERT_HEADER", "X-SSL-Client-Cert")
CLIENT_VERIFY_HEADER = env_str("CERTDESK_CLIENT_VERIFY_HEADER", "X-SSL-Client-Verify")
# Base of the URLs written into certificates (CRL distribution point, AIA OCSP and caIssuers): the
# BRs (§7.1.2.7.7, §7.1.2.11.2) require plain http://. Empty = CERTDESK_BASE_URL with the http scheme.
PKI_BASE_URL = env_str("CERTDESK_PKI_BASE_URL", "").rstrip("/")


# Revocation (issue 4): CRLs per issuing CA and shard (/ca/<slug>/<shard>.crl), OCSP at /ocsp.
# A CRL's nextUpdate is this many hours after thisUpdate (BR §4.9.7: at most ten days); the worker
# rebuilds a CRL when its nextUpdate is closer than CRL_REFRESH_HOURS, and at once on a revocation.
CRL_VALIDITY_HOURS = min(env_int("CERTDESK_CRL_VALIDITY_HOURS", 168), 240)
CRL_REFRESH_HOURS = env_int("CERTDESK_CRL_REFRESH_HOURS", 24)
# Pre-signed OCSP responses: valid this long (BR §4.9.10: 8 hours to 10 days), re-signed once
# older than OCSP_REFRESH_HOURS (BR: no later than four days after thisUpdate), and at once on a
# revocation. The delegated OCSP signing certificate lives OCSP_RESPONDER_DAYS and is replaced
# when fewer than OCSP_RESPONDER_ROTATE_DAYS remain (must exceed the response validity).
OCSP_VALIDITY_HOURS = min(max(env_int("CERTDESK_OCSP_VALIDITY_HOURS", 96), 8), 240)
OCSP_REFRESH_HOURS = env_int("CERTDESK_OCSP_REFRESH_HOURS", 48)
OCSP_RESPONDER_DAYS = env_int("CERTDESK_OCSP_RESPONDER_DAYS", 30)
OCSP_RESPONDER_ROTATE_DAYS = env_int("CERTDESK_OCSP_RESPONDER_ROTATE_DAYS", 12)
# HTTP caching of CRLs and OCSP responses (Cache-Control max-age, seconds): at most 60 so a
# revocation reaches relying parties behind HTTP caches within the promised minute.
REVOCATION_HTTP_MAX_AGE = min(env_int("CERTDESK_REVOCATION_HTTP_MAX_AGE", 60), 60)
