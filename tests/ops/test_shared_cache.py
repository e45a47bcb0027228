"""Rate limits hold across web processes: the throttle's counts live in the database cache, which a
second process (here a separate connection) sees, where the default per-process memory would not."""

from __future__ import annotations

import psycopg
import pytest
from django.core.cache import cache
from django.test import Client

from config import settings as config_settings
from tests.hazards.factories import make_office


@pytest.mark.django_db(transaction=True)
def test_anonymous_write_counts_are_visible_to_another_process(settings):
    settings.CACHES = config_settings.CACHES  # what the served system uses
    make_office()
    cache.clear()
    Client().post("/api/hazards/reports/", data={}, content_type="application/json")
    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db["HOST"],
        port=db["PORT"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
    ) as other:
        keys = [k for (k,) in other.execute("SELECT cache_key FROM alley_cache")]
    assert any("throttle" in k for k in keys), keys
