"""The local day: "a day" of the patrol rule is a calendar day in the office's time zone
(settings.TIME_ZONE, Asia/Shanghai by default), while every instant is stored in UTC.

The one place that turns local days into instants and back, in the two forms callers need:
aware datetimes for queries, epoch seconds for the numpy measurements.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.utils import timezone


def _zone(tz: str | None) -> ZoneInfo:
    return ZoneInfo(tz or settings.TIME_ZONE)


def local_today() -> date:
    """Today in TIME_ZONE."""
    return timezone.localdate()


def local_date(instant: datetime | None, tz: str | None = None) -> date | None:
    """The local day of an aware instant (None stays None)."""
    return None if instant is None else instant.astimezone(_zone(tz)).date()


def local_day_bounds(day: date, tz: str | None = None) -> tuple[datetime, datetime]:
    """[start, end) of a local day as aware datetimes (23 or 25 hours long across a DST change)."""
    zone = _zone(tz)
    nxt = day + timedelta(days=1)
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    return start, datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone)


def local_day_bounds_epoch(day: date, tz: str | None = None) -> tuple[float, float]:
    """[start, end) of a local day in epoch seconds UTC."""
    start, end = local_day_bounds(day, tz)
    return start.timestamp(), end.timestamp()


def local_days(started_at: datetime, ended_at: datetime, tz: str | None = None) -> list[date]:
    """The local days an interval touches: a patrol crossing midnight counts for both."""
    zone = _zone(tz)
    first = started_at.astimezone(zone).date()
    last = ended_at.astimezone(zone).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def local_days_epoch(t: np.ndarray, tz: str | None = None) -> list[date]:
    """The local days touched by epoch times `t` (empty for no times)."""
    if len(t) == 0:
        return []
    zone = _zone(tz)
    first = datetime.fromtimestamp(float(np.min(t)), zone)
    last = datetime.fromtimestamp(float(np.max(t)), zone)
    return local_days(first, last, tz)
