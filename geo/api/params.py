"""Query parameters read the same way everywhere: a bad value is a 400 naming the parameter."""

from __future__ import annotations

import math
from datetime import date

from django.contrib.gis.geos import Point
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

# PostgreSQL's integer/bigint ids; a larger number cannot name a row.
MAX_ID = 2**63 - 1


def whole_number(name: str, low: int, high: int) -> str:
    return _("%(name)s 须为 %(low)s 到 %(high)s 之间的整数。") % {
        "name": name,
        "low": low,
        "high": high,
    }


def query_int(params, name: str, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """``params[name]`` as an int in [low, high], None when absent or empty."""
    raw = params.get(name)
    if raw in (None, ""):
        return None
    if not (raw.isascii() and raw.lstrip("-").isdigit()) or not low <= int(raw) <= high:
        raise ValidationError({name: [whole_number(name, low, high)]})
    return int(raw)


def query_date(params, name: str) -> date | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(
            {name: [_("%(name)s 须为日期，例如 2026-01-31。") % {"name": name}]}
        ) from None


def path_int(value: str | int, name: str) -> int:
    """A path segment that must be an id (router lookups accept any text)."""
    text = str(value)
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
        raise ValidationError({name: [whole_number(name, 0, MAX_ID)]})
    return int(text)


def lat_lng_point(data, missing: str) -> Point:
    """A WGS-84 point from ``lat``/``lng`` (finite, in range), or a 400 on ``lat``."""
    try:
        lat, lng = float(data["lat"]), float(data["lng"])
    except (KeyError, ValueError, TypeError):
        raise ValidationError({"lat": [missing]}) from None
    if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValidationError({"lat": [_("经纬度超出范围：纬度 -90 到 90，经度 -180 到 180。")]})
    return Point(lng, lat, srid=4326)
