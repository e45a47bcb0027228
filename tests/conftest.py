"""Shared fixtures. Tests run on real PostGIS (the local cluster or DATABASE_URL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

# Third-party files shipped with the repository (sources and licences: tests/data/README.md).
TEST_DATA: Path = Path(__file__).resolve().parent / "data"
# Licence-bound data that may not be redistributed: only GeoLife, outside the repository.
SHARED_DATA: Path = settings.SHARED_DATA_DIR


@pytest.fixture(autouse=True)
def _empty_cache(settings):
    """Rate-limit counters (anonymous writes) live in the cache: each test starts with none, in a
    memory cache of its own (tests without database access may not touch the database cache; the
    shared database cache itself is tested in tests/ops/test_shared_cache.py)."""
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request to /en/ activates English for the
    thread, and without this the next test's messages would come out in English."""
    translation.deactivate()
    yield
    translation.deactivate()


def data_file(*parts: str) -> Path:
    """A file from tests/data. It ships with the repository: missing is a failure, not a skip."""
    path = TEST_DATA.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"{path} is missing from the repository (see tests/data/README.md)")
    return path


def geolife_file(*parts: str) -> Path:
    """A file or folder under gps/geolife of the shared data, or a skip saying why it is not here."""
    path = SHARED_DATA.joinpath("gps", "geolife", *parts)
    if not path.exists():
        pytest.skip(
            "needs the Microsoft Research GeoLife GPS logs, which are licence-bound (non-commercial "
            "use only, not redistributable) and so not in the repository: put them at "
            f"{SHARED_DATA / 'gps' / 'geolife'} or set ALLEY_SHARED_DATA to a folder holding "
            "gps/geolife/ (see tests/data/README.md)"
        )
    return path


@pytest.fixture
def wudaokou_osm() -> Path:
    return data_file("osm", "wudaokou.osm")


CHROMIUM = Path(settings.CHROMIUM_PATH)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def chromium_page():
    """A Playwright page in Debian's chromium (installed by `make test`; Playwright cannot fetch its own)."""
    import os

    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(
            "Debian's chromium is missing: run `scripts/bootstrap.sh --browser` (make test does)"
        )
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls stay synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        yield page
        browser.close()


@pytest.fixture
def job_queue(transactional_db):
    """An empty procrastinate queue: its tables are not Django-managed, so a transactional test's
    flush leaves earlier tests' jobs behind."""
    from django.db import connection

    def truncate() -> None:
        with connection.cursor() as cur:
            cur.execute(
                "TRUNCATE procrastinate_jobs, procrastinate_events, procrastinate_periodic_defers,"
                " procrastinate_workers CASCADE"
            )

    truncate()
    yield
    truncate()
