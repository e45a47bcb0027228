"""Rate limit on anonymous writes (a resident's hazard report, an Open311 POST): per client IP.

The counts live in Django's default cache. The default cache is LocMemCache, which is per process:
with N gunicorn workers a client gets up to N times the rate. Point CACHES at a shared cache
(the database cache, Redis) to make the limit hold across workers.
"""

from __future__ import annotations

import math

from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle


class AnonymousWriteThrottle(AnonRateThrottle):
    scope = "anon_write"

    def get_rate(self) -> str | None:
        # Read at each request (DRF binds the rates at import), so settings overrides apply.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view) -> bool:
        if request.method in SAFE_METHODS or request.user.is_authenticated:
            return True
        return super().allow_request(request, view)


def refused_for(request) -> int | None:
    """For views outside DRF: None when allowed, else the seconds to wait (Retry-After)."""
    throttle = AnonymousWriteThrottle()
    if throttle.allow_request(request, None):
        return None
    return max(1, math.ceil(throttle.wait() or 1))
