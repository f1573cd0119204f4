"""Settings for the Night Cramps site.

Everything that differs between a laptop and production comes from the environment; the
defaults are safe for local use (DEBUG off, SQLite under the git-ignored ``var/``).
Set ``DJANGO_PRODUCTION=1`` on a public server: it requires a secret key and allowed hosts
and switches on HTTPS-only cookies, HSTS and the SSL redirect.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DJANGO_VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}.")


def env_list(name, default=()):
    value = os.environ.get(name, "")
    return [item.strip() for item in value.split(",") if item.strip()] or list(default)


PRODUCTION = env_bool("DJANGO_PRODUCTION")
DEBUG = env_bool("DJANGO_DEBUG")
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off when DJANGO_PRODUCTION is on.")


def _private(path, mode):
    """Take group and others' access away from a file or folder of ours that has it."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return
    if stat.st_uid == os.getuid() and stat.st_mode & 0o077:
        path.chmod(mode)


# var/ holds the SQLite database (sessions, password hashes), the secret key, the cache and
# uploads: for the site's own user only. Files made in it are 0600 (below and FILE_UPLOAD_*).
VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
_private(VAR_DIR, 0o700)


def _local_secret_key():
    """A random key kept in var/, so sessions survive restarts and nothing is committed."""
    path = VAR_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(50)
        try:
            # O_EXCL: when several gunicorn workers start at once, the first one wins.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
if PRODUCTION:
    missing = [
        name
        for name, value in (
            ("DJANGO_SECRET_KEY", SECRET_KEY),
            ("DJANGO_ALLOWED_HOSTS", ALLOWED_HOSTS),
        )
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(f"Production needs these settings: {', '.join(missing)}.")
else:
    SECRET_KEY = SECRET_KEY or _local_secret_key()
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]"]

CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
# The site's address for links made outside a request (the admin's "View on site"); written
# into the sites framework's table by `migrate` (articles/apps.py).
SITE_DOMAIN = os.environ.get("DJANGO_SITE_DOMAIN") or (
    ALLOWED_HOSTS[0].lstrip(".")
    if PRODUCTION
    else os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
)
# The site's address in links sent by email, which no request carries (articles/notices.py).
SITE_URL = os.environ.get("DJANGO_SITE_URL") or (
    f"{'https' if PRODUCTION else 'http'}://{SITE_DOMAIN}"
)
# Where readers report mistakes (the About page).
CONTACT_EMAIL = os.environ.get("DJANGO_CONTACT_EMAIL", "editors@nightcramps.example")

# Email, for the notices to reviewers and authors (articles/notices.py), through an SMTP
# server; without one, they are printed to standard output (the app server's log), and
# check --deploy says so.
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", default=True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_TIMEOUT = 5  # sent after the editor's save, in their request: a dead server costs this
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", CONTACT_EMAIL)

# Publishing (articles/publishing.py): whether a change goes live only after a reviewer (the
# Reviewers group) approves it, and how long a draft's preview link for people without an
# account works.
PUBLISHING_NEEDS_REVIEW = env_bool("PUBLISHING_NEEDS_REVIEW", default=True)
PREVIEW_LINK_DAYS = int(os.environ.get("PREVIEW_LINK_DAYS", "7"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # whitenoise serves static files in `runserver` too, exactly as in production.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # The redirects app (with sites) keeps old links working after a slug is renamed.
    "django.contrib.sites",
    "django.contrib.redirects",
    "django.contrib.sitemaps",
    "markdownx",
    "simple_history",
    "axes",
    "articles",
]

MIDDLEWARE = [
    # The header-setting middleware come first so that every response carries the headers,
    # static files (answered by whitenoise below) included.
    "django.middleware.security.SecurityMiddleware",
    "cramps_site.middleware.cross_origin_resource_policy",
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # /healthz by address: before the page cache and CommonMiddleware check the Host header.
    "cramps_site.middleware.health_check",
    # Readers' pages from the cache, skipping everything below (see articles/cache.py).
    "articles.cache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # django.contrib.redirects' own, with 301s that never outlive a rename (articles/redirects.py).
    "articles.redirects.RenameRedirectMiddleware",
    # Records which editor made each saved version.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Login throttling; must come last (django-axes' documentation).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cramps_site.urls"
WSGI_APPLICATION = "cramps_site.wsgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The site's pages; the admin's, and our one override of it, come from the apps.
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Readers and an editor's save at the same moment should wait briefly, not fail.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Connections are kept (CONN_MAX_AGE above) as for PostgreSQL: opening the file and
    # running these PRAGMAs costs more than a page's queries.
    # SQLite would create the file 0644; its -wal and -shm files take the file's mode.
    _database = Path(DATABASES["default"]["NAME"])
    if _database.parent.is_dir() and not str(_database).startswith((":memory:", "file:")):
        try:
            os.close(os.open(_database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            for _path in (_database, Path(f"{_database}-wal"), Path(f"{_database}-shm")):
                _private(_path, 0o600)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # django-axes first, so a locked-out account is refused before its password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (OWASP ASVS 2.2.1): 5 failed attempts for one account start a 15-minute
# cool-off, so at most 20 failures an hour per account are possible. Five failures from one
# address (on any accounts: password spraying) pause that address the same way.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# The proxy's addresses, as gunicorn trusts them (gunicorn.conf.py): only from them is
# X-Forwarded-For believed, so throttling counts each client, not the proxy.
TRUSTED_PROXIES = env_list("GUNICORN_FORWARDED_ALLOW_IPS", ["127.0.0.1", "::1"])
AXES_CLIENT_IP_CALLABLE = "cramps_site.client_ip.client_ip"

# The admin is the only place to log in; Django's default, /accounts/profile/, is a 404 and
# was where a login with an unsafe ?next= landed.
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
# The site is in English only, so it does without the translation machinery.
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
# Overridable so that tests and `make bench` collect into a folder of their own.
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
# Uploads are served by Django (articles/editor.py), never straight from disk by nginx.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# The cache holds whole public pages (articles/cache.py). It must be shared by every worker
# process, or a worker could serve a page from before an editor's save: Redis when REDIS_URL is
# set (needed for more than one machine), otherwise files under var/, which every worker on
# this machine reads. DJANGO_CACHE_DISABLED=1 caches nothing (`make bench` measures that).
REDIS_URL = os.environ.get("REDIS_URL", "")
if env_bool("DJANGO_CACHE_DISABLED"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
elif REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "cramps",
            # Redis answers in milliseconds; fail fast rather than hold a worker (and the
            # 2-second bound for edits, articles/cache.py) when it hangs.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": VAR_DIR / "cache",
            "OPTIONS": {"MAX_ENTRIES": 2000},
        }
    }

# Markdown: one function renders the admin preview and the pages (see articles/markdown.py).
MARKDOWNX_MARKDOWNIFY_FUNCTION = "articles.markdown.render_preview"
MARKDOWNX_UPLOAD_CONTENT_TYPES = ("image/jpeg", "image/png", "image/webp")
MARKDOWNX_UPLOAD_MAX_SIZE = 5 * 1024 * 1024
MARKDOWNX_MEDIA_PATH = "uploads/"

# Security that holds everywhere; the HTTPS-only part follows below for production.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Only editors have sessions: one unused for 12 hours ends (each request starts the 12 hours
# again), instead of Django's two weeks.
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_SAMESITE = "Lax"
# No script reads the CSRF cookie: markdownx falls back to the form's token when it cannot.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
# Load balancers and monitors may probe the health check over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy (django-csp): nothing is allowed unless listed. The pages use only
# their own stylesheet, one script file and images; the admin and the markdownx editor use
# only static files too (no inline script or style), and the editor's live preview fetches
# from this site (connect-src).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
    }
}

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading puts the domain, subdomains included, on the browsers' HTTPS-only list for
    # good: the owner of the domain must choose that (DJANGO_HSTS_PRELOAD=1), so the deploy
    # check's reminder (security.W021) is silenced until they do.
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD")
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    # No SECURE_PROXY_SSL_HEADER: gunicorn believes X-Forwarded-Proto only from the proxy's
    # address (forwarded_allow_ips in gunicorn.conf.py) and then tells Django the request is
    # HTTPS; a header Django trusted itself could be sent by anyone reaching gunicorn.

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
