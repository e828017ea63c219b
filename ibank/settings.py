"""Settings for ibank, read from the environment (see README.md, "Configuration").

Three modes, chosen by IBANK_ENV:

* ``production`` (the default): DEBUG off, secure cookies, HSTS, and the
  process refuses to start without a real SECRET_KEY and encryption key.
* ``development`` (what ``make run`` sets): DEBUG on, clearly marked
  development keys allowed.
* ``test`` (chosen automatically under pytest): DEBUG off, development keys
  allowed, outgoing e-mail kept in memory.
"""

import os
import re
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from ibank.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

_RUNNING_TESTS = "pytest" in sys.modules or sys.argv[1:2] == ["test"]
IBANK_ENV = env_str("IBANK_ENV", "test" if _RUNNING_TESTS else "production")
if IBANK_ENV not in {"production", "development", "test"}:
    raise ImproperlyConfigured(f"IBANK_ENV must be production, development or test, got {IBANK_ENV!r}")
PRODUCTION = IBANK_ENV == "production"

DEBUG = env_bool("IBANK_DEBUG", IBANK_ENV == "development")

# Development defaults: usable on a laptop, refused in production.
DEV_SECRET_KEY = "django-insecure-ibank-DEVELOPMENT-ONLY-do-not-use-in-production"  # noqa: S105
# Fernet key (url-safe base64 of 32 bytes): b"ibank-DEVELOPMENT-ONLY-key-32byt"
DEV_ENCRYPTION_KEY = "aWJhbmstREVWRUxPUE1FTlQtT05MWS1rZXktMzJieXQ="

SECRET_KEY = env_secret("SECRET_KEY") or DEV_SECRET_KEY
# Comma-separated Fernet keys, newest first. The first encrypts; all decrypt.
IBANK_ENCRYPTION_KEYS = env_list("IBANK_ENCRYPTION_KEYS") or [env_secret("IBANK_ENCRYPTION_KEY") or DEV_ENCRYPTION_KEY]

if PRODUCTION:
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured("SECRET_KEY must be set (at least 32 characters) in production.")
    if DEV_ENCRYPTION_KEY in IBANK_ENCRYPTION_KEYS:
        raise ImproperlyConfigured("IBANK_ENCRYPTION_KEYS must be set in production (see README.md).")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

BANK_NAME = env_str("BANK_NAME", "さくら架空信用金庫")
# The internet-banking help desk, shown in every page's footer, on every dead end and in the e-mails
# (fictional defaults: 0120-000-000 is not a real number). The days are fixed: weekdays, except
# holidays and 12/31-1/3.
BANK_HELPDESK_PHONE = env_str("BANK_HELPDESK_PHONE", "0120-000-000")
BANK_HELPDESK_HOURS = env_str("BANK_HELPDESK_HOURS", "9:00～17:00")
# The bank's own 金融機関コード (fictional by default: no bank in the Zengin master has it),
# its name in Zengin kana, and its branches "code:name:kana;…".
IBANK_BANK_CODE = env_str("IBANK_BANK_CODE", "1999")
IBANK_BANK_KANA = env_str("IBANK_BANK_KANA", "ｻｸﾗｶｸｳｼﾝｷﾝ")
IBANK_BRANCHES = [
    tuple(item.split(":"))
    for item in env_list("IBANK_BRANCHES", "001:本店営業部:ﾎﾝﾃﾝ,012:駅前支店:ｴｷﾏｴ,020:北町支店:ｷﾀﾏﾁ")
]
if any(len(branch) != 3 for branch in IBANK_BRANCHES):
    raise ImproperlyConfigured("IBANK_BRANCHES must be code:name:kana items separated by commas")
# 振込手数料 (SPEC §5): same bank free; other banks by amount.
IBANK_FEE_OTHER_BANK_SMALL = env_int("IBANK_FEE_OTHER_BANK_SMALL", 275)
IBANK_FEE_OTHER_BANK_LARGE = env_int("IBANK_FEE_OTHER_BANK_LARGE", 440)
IBANK_FEE_THRESHOLD = env_int("IBANK_FEE_THRESHOLD", 30_000, minimum=1)
# 振込限度額 (SPEC §5): the ceilings with and without a registered token.
IBANK_LIMIT_CEILING_TOKEN = env_int("IBANK_LIMIT_CEILING_TOKEN", 10_000_000, minimum=1)
IBANK_LIMIT_CEILING_NO_TOKEN = env_int("IBANK_LIMIT_CEILING_NO_TOKEN", 200_000, minimum=1)
# Business days (issue 18, ibank.business_days): Japanese holidays (jpholiday) and the bank's own closing days
# ("MM-DD", comma-separated). Other-bank transfers entered after the cut-off (JST, HH:MM) or on a closed day are
# sent in the next business day's Zengin file; same-bank transfers are credited at once.
IBANK_CLOSING_DAYS = env_list("IBANK_CLOSING_DAYS", "12-31,01-01,01-02,01-03")
IBANK_OTHER_BANK_CUTOFF = env_str("IBANK_OTHER_BANK_CUTOFF", "15:00")
if not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", IBANK_OTHER_BANK_CUTOFF) or not all(
    re.fullmatch(r"(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])", day) for day in IBANK_CLOSING_DAYS
):
    raise ImproperlyConfigured("IBANK_OTHER_BANK_CUTOFF is HH:MM and IBANK_CLOSING_DAYS is MM-DD,MM-DD,...")
# 振込予約: how many days ahead a 振込指定日 may be.
IBANK_RESERVATION_DAYS = env_int("IBANK_RESERVATION_DAYS", 60, minimum=1)
# 口座名義確認: same-bank payee lookups that end in no transfer, per contract and JST day.
IBANK_NAME_LOOKUP_LIMIT = env_int("IBANK_NAME_LOOKUP_LIMIT", 10, minimum=1)
OTP_TOTP_ISSUER = env_str("IBANK_OTP_ISSUER", "ibank")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    # Ours last: their ready() runs after Django's (accounts replaces auth's update_last_login receiver).
    "django_tasks",
    "django_tasks_db",
    "auditlog",
    "notices",
    "accounts",
    "otp",
    "passkeys",
    "staff",
    "ledger",
    "zengin",
    "payments",  # app label "transfers"
    "demo",
    "branch",
    "mobile",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "ibank.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "ibank.middleware.FormCharsetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ibank.actor.ActorMiddleware",
    "accounts.environments.EnvironmentCookieMiddleware",
    "accounts.middleware.OTPMiddleware",  # django-otp's, reading the device only when asked
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "ibank.urls"
WSGI_APPLICATION = "ibank.wsgi.application"

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
                "ibank.context_processors.bank",
            ],
            # Django's i18n tags, with {% translate %} of a constant rendered once per language
            # (ibank/i18n_tags.py), {% url %} of a constant name without arguments reversed once
            # (ibank/url_tags.py), and our filters: in every template without a {% load %} (a template that
            # loads Django's "i18n", as the admin's do, has Django's tags). Also loadable as "ibank_i18n".
            "libraries": {"ibank_i18n": "ibank.i18n_tags"},
            "builtins": ["ibank.i18n_tags", "ibank.url_tags", "accounts.templatetags.ibank_extras"],
        },
    },
]

# Forms: Django's renderer, with the <input> widgets written in Python (ibank/form_renderer.py).
FORM_RENDERER = "ibank.form_renderer.Renderer"

# Database: SQLite by default; PostgreSQL (or anything dj-database-url knows) through DATABASE_URL (empty: unset).
_database_url = env_str("DATABASE_URL").strip()
if _database_url:
    # Production keeps a worker's connection (10 minutes): a new one per request costs a connection's start on
    # both sides and loses what the connection prepared (the per-request reads, ibank_post's statements).
    _conn_max_age = env_int("DATABASE_CONN_MAX_AGE", 600 if PRODUCTION else 0)
    # A persistent connection the server ended (restart, failover, pg_terminate_backend) is
    # noticed and replaced before a request uses it, instead of one 500 per worker.
    DATABASES = {
        "default": dj_database_url.parse(
            _database_url, conn_max_age=_conn_max_age, conn_health_checks=_conn_max_age > 0
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, whose health check sends no SELECT 1 while the connection is quiet (ibank/postgresql).
        DATABASES["default"]["ENGINE"] = "ibank.postgresql"
    if DATABASES["default"]["ENGINE"].endswith("postgresql") and env_bool("DATABASE_PREPARED_STATEMENTS", True):
        # Parameters bound by the server, and each statement a connection runs often (the user's query on every
        # request, the transfer's, ibank_post) parsed and planned once: prepared after 5 runs (psycopg's rule,
        # up to 100 a connection). Off for a pooler in transaction mode that cannot keep them (PgBouncer
        # without max_prepared_statements).
        DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
    if DATABASES["default"]["ENGINE"] == "ibank.postgresql":
        # A server that does not answer fails a connection in seconds, not never (libpq waits without end).
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5, minimum=1)
        )
        # A web request waits this long for a row another holds, and runs a statement this long; then it fails
        # with the error page and its transaction rolls back, instead of holding a worker (ibank/postgresql).
        DATABASES["default"]["REQUEST_TIMEOUTS_MS"] = {
            "lock_timeout": env_int("DATABASE_LOCK_TIMEOUT_MS", 5000),
            "statement_timeout": env_int("DATABASE_STATEMENT_TIMEOUT_MS", 15000),
        }
else:
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "var" / "db.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_redis_url = env_str("REDIS_URL").strip()
if PRODUCTION and not _redis_url and not env_bool("IBANK_ALLOW_LOCAL_CACHE", False):
    # Rate limits (token issuance) live in the cache: per process, N workers would allow N times the limit.
    raise ImproperlyConfigured(
        "REDIS_URL must be set in production: rate limits need a cache shared by every worker "
        "(IBANK_ALLOW_LOCAL_CACHE=1 accepts a per-process cache for a single-process server)."
    )
# Every page reads its session from Redis: one that accepts and never answers (a partition, a stalled server)
# must fail a request in a second, not hold each worker for redis-py's default of five.
_redis_timeout = env_int("REDIS_TIMEOUT_MS", 1000, minimum=50) / 1000
_timeouts = {"socket_timeout": _redis_timeout, "socket_connect_timeout": _redis_timeout}
if _redis_url:
    CACHES = {"default": {"BACKEND": "ibank.cache.ReusingRedisCache", "LOCATION": _redis_url, "OPTIONS": _timeouts}}
    # Sessions live in the shared cache: every server sees them, and logging in or reading a page
    # writes no session row to the database (a session is at most 12 hours; a Redis restart logs
    # customers out, which is safe).
    SESSION_ENGINE = "ibank.sessions"  # Django's cache store, two round trips fewer (ibank/sessions.py)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ibank"}}
    SESSION_ENGINE = "ibank.db_sessions"  # Django's database store; a key a login replaced says so for seconds

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.IbankBackend"]
LOGIN_URL = "accounts-login"
LOGIN_REDIRECT_URL = "accounts-menu"

# Argon2id at OWASP's minimum (m=19 MiB, t=2, p=1): ~24 ms a check here,
# against ~145 ms for Django's default parameters. See accounts/hashers.py.
PASSWORD_HASHERS = ["accounts.hashers.IbankArgon2PasswordHasher"]

# Sessions: a login lasts at most IBANK_SESSION_ABSOLUTE_SECONDS (12 h) and
# ends after IBANK_SESSION_IDLE_SECONDS (10 min) without a request.
IBANK_SESSION_IDLE_SECONDS = env_int("IBANK_SESSION_IDLE_SECONDS", 600, minimum=30)
IBANK_SESSION_ABSOLUTE_SECONDS = env_int("IBANK_SESSION_ABSOLUTE_SECONDS", 12 * 3600, minimum=60)
SESSION_COOKIE_AGE = IBANK_SESSION_ABSOLUTE_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
# Consecutive wrong passwords that lock a contract (ログイン停止).
IBANK_LOGIN_MAX_FAILURES = env_int("IBANK_LOGIN_MAX_FAILURES", 5, minimum=1)
# Failed logins (any 契約者ID) from one address (an IPv6 /64) that pause its logins until the window ends: a
# password tried across many IDs, and Argon2's cost, bounded per sender (0: no pause). Seconds.
IBANK_LOGIN_FAILURES_PER_ADDRESS = env_int("IBANK_LOGIN_FAILURES_PER_ADDRESS", 50)
IBANK_LOGIN_ADDRESS_WINDOW = env_int("IBANK_LOGIN_ADDRESS_WINDOW", 900, minimum=1)
# Networks many customers share, never counted so (the carriers' gateways of feature phones, a company's proxy).
IBANK_LOGIN_SHARED_NETWORKS = env_list("IBANK_LOGIN_SHARED_NETWORKS")
# Consecutive wrong 資金移動用パスワード / card answers that stop transactions.
IBANK_TRANSACTION_MAX_FAILURES = env_int("IBANK_TRANSACTION_MAX_FAILURES", 5, minimum=1)
# Consecutive wrong Pay-easy number entries that block Pay-easy for the JST day (SPEC §5).
IBANK_PAYEASY_MAX_FAILURES = env_int("IBANK_PAYEASY_MAX_FAILURES", 10, minimum=1)

# Against real-time phishing (issue 17): holds and caps through the gate (accounts.holds). Seconds / yen / days.
# After a login from an environment the contract has not used before (no valid device cookie):
IBANK_NEW_ENVIRONMENT_HOLD = env_int("IBANK_NEW_ENVIRONMENT_HOLD", 24 * 3600, minimum=0)
# After internet banking starts, a token is registered / exchanged / reset, the e-mail changes, the limit rises:
IBANK_CREDENTIAL_CHANGE_HOLD = env_int("IBANK_CREDENTIAL_CHANGE_HOLD", 72 * 3600, minimum=0)
# What a payee this contract has never paid may receive a JST day, for its first days after the first transfer:
IBANK_NEW_PAYEE_DAILY_CAP = env_int("IBANK_NEW_PAYEE_DAILY_CAP", 100_000, minimum=1)
IBANK_NEW_PAYEE_DAYS = env_int("IBANK_NEW_PAYEE_DAYS", 7, minimum=0)
# The limit a new contract starts with (ATM level); it cannot be raised during the hold after the start.
IBANK_INITIAL_DAILY_LIMIT = env_int("IBANK_INITIAL_DAILY_LIMIT", 500_000, minimum=0)
# The origin customers use (https://…): django-otp-webauthn's system checks want it (OTP_WEBAUTHN_ALLOWED_ORIGINS).
IBANK_SITE_URL = env_str("IBANK_SITE_URL", "http://localhost:8000").rstrip("/")
# The device cookie (ご利用環境): how long a browser stays known without a login.
IBANK_ENVIRONMENT_COOKIE_AGE = env_int("IBANK_ENVIRONMENT_COOKIE_AGE", 400 * 24 * 3600, minimum=60)

# Passkeys (WebAuthn, issue 17) through django-otp-webauthn: the relying party is the host customers use
# (its origin checked against ALLOWED_HOSTS); no passwordless login (a passkey is the login's second step).
OTP_WEBAUTHN_RP_ID_CALLABLE = "passkeys.webauthn.rp_id"
OTP_WEBAUTHN_RP_NAME_CALLABLE = "passkeys.webauthn.rp_name"
OTP_WEBAUTHN_HELPER_CLASS = "passkeys.webauthn.Helper"
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
# The package's own views are not used; its checks want the site's origin (passkeys.webauthn checks each
# ceremony against the origin of the host the customer used, which ALLOWED_HOSTS admits).
OTP_WEBAUTHN_ALLOWED_ORIGINS = [IBANK_SITE_URL]

# OTP rules (defaults in otp/conf.py), overridable from the environment.
for _name, _minimum in [
    ("IBANK_OTP_WINDOW", 0),
    ("IBANK_OTP_MAX_FAILURES", 1),
    ("IBANK_PENDING_SECONDS", 30),
    ("IBANK_TOKEN_UNREGISTERED_DAYS", 1),
    ("IBANK_TOKEN_ISSUE_LIMIT", 1),
    ("IBANK_TOKEN_ISSUE_WINDOW_SECONDS", 1),
]:
    if os.environ.get(_name, "").strip():
        globals()[_name] = env_int(_name, 0, minimum=_minimum)

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)  # the domain's owner decides: hard to undo
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    if env_bool("IBANK_BEHIND_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Behind our own proxies, the client's address is the one the outermost of them added to
# X-Forwarded-For: IBANK_PROXY_HOPS from the right. Anything further left was sent by the client.
IBANK_BEHIND_PROXY = env_bool("IBANK_BEHIND_PROXY", False)
IBANK_PROXY_HOPS = env_int("IBANK_PROXY_HOPS", 1, minimum=1)
# ...and only when the request came from one of them: a client that reaches the server
# directly cannot choose its own address by sending X-Forwarded-For.
IBANK_TRUSTED_PROXIES = env_list("IBANK_TRUSTED_PROXIES", "127.0.0.0/8,::1/128")

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("日本語")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
# Date formats per language (ibank/formats/<lang>/formats.py): English pages show English dates.
FORMAT_MODULE_PATH = ["ibank.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"  # filled by collectstatic in production
# Files a browser asks for at the site's root (/favicon.ico: the /m/ and admin pages name no icon), served by
# WhiteNoise, never a 404 rendered by Django.
WHITENOISE_ROOT = BASE_DIR / "ibank" / "root"
WHITENOISE_USE_FINDERS = not PRODUCTION
# Outside production a static file is looked up when asked for, not by scanning every app's static files each
# time the middleware is built: the test client builds it for every client (52 ms a time on a slow machine,
# half of the fuzz tests' time). Production serves STATIC_ROOT from the table WhiteNoise builds once.
WHITENOISE_AUTOREFRESH = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.locmem.EmailBackend"
    if IBANK_ENV == "test"
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ibank@example.jp")
# A relay that accepts and never answers must not hold a worker for ever (issue 16).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)

# Notices are tasks (notices/): rows in our own database, run by `manage.py db_worker` (django-tasks-db).
# A bank that outgrows one database switches this one setting to another backend (Celery, RQ).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Seconds before each retry of a notice the relay refused; after the last, it is 送信失敗 (staff resend).
IBANK_NOTICE_RETRY_SECONDS = [int(s) for s in env_list("IBANK_NOTICE_RETRY_SECONDS", "60,300,1800,7200,43200")]
# How long a worker owns a notice it sends: well over EMAIL_TIMEOUT (a killed worker's then goes to another).
IBANK_NOTICE_LEASE_SECONDS = env_int("IBANK_NOTICE_LEASE_SECONDS", 120, minimum=1)
# A notice due this long and not taken (no worker running, or none keeping up) makes /healthz/notices/ say so.
IBANK_NOTICE_LATE_SECONDS = env_int("IBANK_NOTICE_LATE_SECONDS", 600, minimum=1)
# Days a finished task's row is kept (for an engineer looking into a delivery); daily_maintenance deletes older.
IBANK_TASK_RESULT_DAYS = env_int("IBANK_TASK_RESULT_DAYS", 14, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO" if DEBUG else "WARNING")},
}
