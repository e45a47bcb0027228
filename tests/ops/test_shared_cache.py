"""Rate limits hold across web processes: the throttles count in the default cache, which the
served system keeps in the database, so a second process (here a separate connection) sees what
one process wrote; the default per-process memory cache would not."""

from __future__ import annotations

import psycopg
import pytest
from django.core.cache import cache

from config import settings as config_settings
from geo.api.throttles import AnonymousWriteThrottle


@pytest.mark.django_db(transaction=True)
def test_the_throttle_cache_is_shared_by_every_process(settings):
    settings.CACHES = config_settings.CACHES  # what the served system uses
    assert AnonymousWriteThrottle.cache is cache or AnonymousWriteThrottle().cache is cache
    cache.set("throttle_anon_write_203.0.113.7", [1.0, 2.0], 60)
    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db["HOST"],
        port=db["PORT"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
    ) as other:
        keys = [k for (k,) in other.execute("SELECT cache_key FROM alley_cache")]
    assert any(k.endswith("throttle_anon_write_203.0.113.7") for k in keys), keys
