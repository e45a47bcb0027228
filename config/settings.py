"""One env-driven settings module; defaults are safe for the local run (`make run`)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


# Production mode unless asked: `DJANGO_DEBUG=1` for development.
DEBUG = env_bool("DJANGO_DEBUG", False)
# Production sets DJANGO_SECRET_KEY (the same on every machine). Without it a local run uses the key
# generated once (0600) into var/secret_key; the fixed key below only ever serves DEBUG runs that have
# no such file.
_LOCAL_KEY = "local-dev-only-not-secret"  # noqa: S105 - DEBUG only
SECRET_KEY_FILE = Path(os.environ.get("DJANGO_SECRET_KEY_FILE", BASE_DIR / "var" / "secret_key"))


def _local_secret_key(path: Path) -> str:
    """The key in `path`, generated once (0600). Linked into place so that processes starting
    together (gunicorn workers, the job worker) all end up with the same key."""
    if not path.is_file():
        import secrets
        import tempfile

        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")  # mkstemp: mode 0600
        try:
            os.write(fd, secrets.token_urlsafe(50).encode())
            os.close(fd)
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


def _secret_key() -> str:
    if os.environ.get("DJANGO_SECRET_KEY"):
        return os.environ["DJANGO_SECRET_KEY"]
    if DEBUG and not SECRET_KEY_FILE.is_file():
        return _LOCAL_KEY
    return _local_secret_key(SECRET_KEY_FILE)


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [
    h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

LOCAL_PG_PORT = env_int("ALLEY_PGPORT", 54329)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"postgis://alley@127.0.0.1:{LOCAL_PG_PORT}/alley",
        engine="django.contrib.gis.db.backends.postgis",
    )
}
# Connections are kept: opening one costs more than a tile's SQL. Either psycopg's pool per process
# (ALLEY_DB_POOL=N connections at most) or, by default, one persistent connection per thread, checked
# before each request so that a restarted server is reconnected to by itself.
if env_int("ALLEY_DB_POOL", 0) > 0:
    DATABASES["default"]["OPTIONS"] = {
        "pool": {"min_size": 1, "max_size": env_int("ALLEY_DB_POOL", 0), "timeout": 10}
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("ALLEY_CONN_MAX_AGE", 300)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if os.environ.get("ALLEY_TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["ALLEY_TEST_DB_NAME"]}

# Behind TLS (documented in README "Deployment"): each of these is off by default because the local
# run serves plain HTTP on the loopback, and each is set by the environment in production.
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# The reverse proxy terminates TLS and says so in this header (only trust it behind such a proxy).
if env_bool("DJANGO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "django_filters",
    "leaflet",
    "drf_spectacular",
    # Durable jobs in the same PostgreSQL (jobs/queue.py); before the apps whose tasks.py it finds.
    "procrastinate.contrib.django",
    # The domains, lowest first: each app imports only from the apps above it in this list
    # (checked by the import-linter contract in pyproject.toml; see docs/design/layout.md).
    "jobs",
    "geo",
    "stewards",
    "grids",
    "patrols",
    "recorder",
    "hazards",
    "credits",
    "demo",
    "ops",
]

# config/tile_gate.py answers coverage tiles ahead of this stack, finishing them with the methods of
# the middleware it was written for (its STACK); a change here turns the gate off (tiles then take
# the slower, full path) until STACK is checked against the new list.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "map_templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# Stored times are UTC (timestamptz); "a day" for the patrol rule is the local day in TIME_ZONE.
USE_TZ = True
TIME_ZONE = os.environ.get("ALLEY_TIME_ZONE", "Asia/Shanghai")

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("ALLEY_MEDIA_ROOT", BASE_DIR / "var" / "media"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 500,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "小巷管家 Alley Stewards API",
    "VERSION": "0.1.0",
    "ENUM_NAME_OVERRIDES": {"StewardStatusEnum": "stewards.models.Steward.Status"},
}

# Key of the HMAC that stands in for stewards' ID-card numbers (stewards.idcard.digest); falls back to
# SECRET_KEY. Set it once and keep it: changing it breaks duplicate detection of earlier sign-ups.
ALLEY_IDCARD_KEY = os.environ.get("ALLEY_IDCARD_KEY", "")

# Headless Chromium renders the board PNG/PDF downloads and drives the browser tests (Debian's package).
CHROMIUM_PATH = os.environ.get("ALLEY_CHROMIUM", "/usr/bin/chromium")

# Demo data shipped with the project, and the licence-bound third-party data (GeoLife) some tests
# read from outside the repository; the redistributable test data ships in tests/data.
DEMO_DATA_DIR = BASE_DIR / "data" / "shapefiles"
SHARED_DATA_DIR = Path(os.environ.get("ALLEY_SHARED_DATA", BASE_DIR.parent / "shared" / "data"))

# Errors as one JSON object a line (ops/logs.py) on stderr, for the log collector; ALLEY_LOG_FORMAT=text
# for people reading a terminal.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "ops.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": os.environ.get("ALLEY_LOG_FORMAT", "json"),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("ALLEY_LOG_LEVEL", "WARNING")},
    "loggers": {
        # procrastinate says which job it runs at INFO (ALLEY_JOB_LOG_LEVEL=INFO to see it).
        "procrastinate": {"level": os.environ.get("ALLEY_JOB_LOG_LEVEL", "WARNING")},
    },
}

# GeoDjango's own GDAL (Debian 12 ships 3.6) only parses our trusted SRIDs; user files are read by
# pyogrio's bundled GDAL instead.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# GPS track uploads (patrols.tracks.ingest): size limit and cleaning thresholds (see patrols/tracks/cleaning.py).
ALLEY_MAX_UPLOAD_BYTES = env_int("ALLEY_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)
ALLEY_TRACK_CLEANING: dict[str, float] = {}
# Raw GPS tracks (personal location data) are kept this many calendar months: `prune_tracks`.
ALLEY_TRACK_RETENTION_MONTHS = env_int("ALLEY_TRACK_RETENTION_MONTHS", 24)

# --- w13c (issue 13): the public address of the site, printed as text and as the QR code on every
# 责任分布牌 (e.g. "https://xiaoxiang.example.gov.cn"). Unset: the address the request came in on,
# which is only right on a machine residents can reach; set it on every real server.
ALLEY_PUBLIC_URL = os.environ.get("ALLEY_PUBLIC_URL", "").rstrip("/")
# --- end w13c
# w15: a database that went away answers 503 + Retry-After, never a 500 (ops/unavailable.py; the
# server's handler500 covers errors raised outside views).
MIDDLEWARE.append("ops.unavailable.DatabaseUnavailableMiddleware")
# procrastinate: jobs are rows in this database (jobs/queue.py); each app's tasks.py is found.
PROCRASTINATE_WORKER_DEFAULTS = {"fetch_job_polling_interval": 2.0}
# w16: API robustness (config/api_errors.py, geo/api/pagination.py): JSON errors on /api/ and
# /open311/ whatever DEBUG says, bounded limit/offset pagination (at most 5000 rows a page), 401 with
# WWW-Authenticate for anonymous callers (TokenAuthentication first: it supplies the challenge).
MIDDLEWARE.insert(0, "config.api_errors.ApiGuardMiddleware")
# Bodies over ALLEY_MAX_UPLOAD_BYTES (+1 MB of form framing) are refused from Content-Length, unread.
MIDDLEWARE.insert(0, "config.upload_limit.UploadLimitMiddleware")
# Form fields other than files stay small; files over 2.5 MB go to a temporary file, not memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_PERMISSIONS = 0o640
REST_FRAMEWORK.update(
    {
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "rest_framework.authentication.TokenAuthentication",
            "rest_framework.authentication.SessionAuthentication",
        ],
        "DEFAULT_PAGINATION_CLASS": "geo.api.pagination.BoundedLimitOffsetPagination",
        "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
        # Anonymous writes (hazard reports, Open311 POST) per client IP: geo/api/throttles.py.
        "DEFAULT_THROTTLE_RATES": {
            "anon_write": os.environ.get("ALLEY_ANON_WRITE_RATE", "30/hour")
        },
        "DEFAULT_PARSER_CLASSES": [
            "geo.api.parsers.ObjectJSONParser",
            "rest_framework.parsers.FormParser",
            "rest_framework.parsers.MultiPartParser",
        ],
    }
)
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "geo.api.schema.document_error_responses",
]
# --- w13a (issue 13): one log-in, the shell, the offline base map, vendored API docs ----------
# Everyone logs in on our own page (i18n: /en/accounts/login/ stays English), never the admin's.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "geo:home"
LOGOUT_REDIRECT_URL = "geo:home"
TEMPLATES[0]["OPTIONS"]["context_processors"].append("geo.shell.shell")
# Stored sentences (verdict reasons) in the reader's language on every page, without {% load %}.
TEMPLATES[0]["OPTIONS"]["builtins"] = ["patrols.templatetags.verdict_text"]
# Swagger UI / Redoc from our static files (drf-spectacular-sidecar), so /api/docs/ works offline.
INSTALLED_APPS.append("drf_spectacular_sidecar")
SPECTACULAR_SETTINGS.update(
    SWAGGER_UI_DIST="SIDECAR",
    SWAGGER_UI_FAVICON_HREF="SIDECAR",
    # Redoc is not mounted: its sidebar always loads a logo from cdn.redoc.ly (no option to stop it).
    REDOC_DIST="SIDECAR",
    # Swagger UI would fetch a validity badge from validator.swagger.io: nothing from elsewhere.
    SWAGGER_UI_SETTINGS={"deepLinking": True, "validatorUrl": None},
)
# Maps draw the system's own base map (geo.basemap). An online tile layer under it is optional and
# off by default, e.g. an OpenStreetMap tile server URL with {z}/{x}/{y}, or 天地图 with its key.
ALLEY_ONLINE_TILES_URL = os.environ.get("ALLEY_ONLINE_TILES_URL", "")
ALLEY_ONLINE_TILES_ATTRIBUTION = os.environ.get("ALLEY_ONLINE_TILES_ATTRIBUTION", "")
# One cache for every web process and machine, in the database the system already has: rate limits
# (DRF throttles on anonymous writes) count per client across all gunicorn workers, not per process.
# The table is made by the migration geo 0004.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "alley_cache",
    }
}
# --- w15 (issue 15): long work as jobs ------------------------------------------------------------
# An uncached hotspot run above this many cells × permutations is a job (API 202 + job to follow);
# below it the answer is computed in the request (a few hundred ms at most).
ALLEY_HOTSPOT_SYNC_WORK = env_int("ALLEY_HOTSPOT_SYNC_WORK", 5_000_000)
# --- end w15
# --- w15 (issue 15): a posted sign-up sheet larger than this is refused before it is stored.
ALLEY_SHEET_MAX_BYTES = env_int("ALLEY_SHEET_MAX_BYTES", 5 * 1024 * 1024)
