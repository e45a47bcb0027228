from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(tmp_path, settings) -> None:  # noqa: PT004
    settings.MEDIA_ROOT = tmp_path / "media"
