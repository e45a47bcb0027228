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
