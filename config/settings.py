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


DEBUG = env_bool("DJANGO_DEBUG", True)
# The local default key is only for the loopback demo server; production must set one.
_LOCAL_KEY = "local-dev-only-not-secret"  # noqa: S105 - never valid with DEBUG off, see below
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", _LOCAL_KEY)
if not DEBUG and SECRET_KEY == _LOCAL_KEY:
    raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
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
        conn_max_age=env_int("ALLEY_CONN_MAX_AGE", 0),
        engine="django.contrib.gis.db.backends.postgis",
    )
}
if os.environ.get("ALLEY_TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["ALLEY_TEST_DB_NAME"]}

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
    # The domains, lowest first: each app imports only from the apps above it in this list
    # (checked by the import-linter contract in pyproject.toml; see docs/design/layout.md).
    "geo",
    "stewards",
    "grids",
    "patrols",
    "recorder",
    "hazards",
    "credits",
    "demo",
]

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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ALLEY_LOG_LEVEL", "WARNING")},
}

# GeoDjango's own GDAL (Debian 12 ships 3.6) only parses our trusted SRIDs; user files are read by
# pyogrio's bundled GDAL instead.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# GPS track uploads (patrols.tracks.ingest): size limit and cleaning thresholds (see patrols/tracks/cleaning.py).
ALLEY_MAX_UPLOAD_BYTES = env_int("ALLEY_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)
ALLEY_TRACK_CLEANING: dict[str, float] = {}
# Raw GPS tracks (personal location data) are kept this many calendar months: `prune_tracks`.
ALLEY_TRACK_RETENTION_MONTHS = env_int("ALLEY_TRACK_RETENTION_MONTHS", 24)
