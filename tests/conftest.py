"""Shared fixtures. Tests run on real PostGIS (the local cluster or DATABASE_URL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

SHARED_DATA: Path = settings.SHARED_DATA_DIR


def shared_file(*parts: str) -> Path:
    """A file from ../shared/data, or a skip saying it is missing (CI always has it)."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs the shared third-party data at {path} (absent on this machine)")
    return path


@pytest.fixture
def wudaokou_osm() -> Path:
    return shared_file("osm", "wudaokou.osm")


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
