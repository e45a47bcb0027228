"""Read access to stored tracks for the patrol rule and coverage: one query, numpy out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import psycopg
from django.conf import settings
from django.db import connection

from patrols.evidence import TrackSource
from patrols.models import Track
from patrols.tracks.queries import LOAD_POINTS

# PostgreSQL binary array header for a 1-D array: ndim, has_nulls, elem oid, length, lower bound.
_ARRAY_HEADER = 20
_FLOAT8_ELEM = np.dtype([("len", ">i4"), ("v", ">f8")])
# ST_AsBinary(geom, 'NDR') of a 2-D LineString: byte order, type (2), point count, then x y pairs.
_WKB_LINE_HEADER = 9

Points = tuple[np.ndarray, np.ndarray, np.ndarray]


def decode_float8_array(blob: bytes | memoryview) -> np.ndarray:
    """Decode array_send(float8[]) (no NULLs) without a Python float per element."""
    if len(blob) <= 12:  # zero-dimensional (empty) array
        return np.empty(0)
    return np.frombuffer(blob, dtype=_FLOAT8_ELEM, offset=_ARRAY_HEADER)["v"].astype(np.float64)


def decode_float8_arrays(blobs: list[bytes | memoryview]) -> tuple[np.ndarray, list[int]]:
    """Several array_send(float8[]) (no NULLs) decoded as one array in one numpy pass (the
    element bytes joined without their headers), with each array's length."""
    bodies = [bytes(b)[_ARRAY_HEADER:] if len(b) > 12 else b"" for b in blobs]
    values = np.frombuffer(b"".join(bodies), dtype=_FLOAT8_ELEM)["v"].astype(np.float64)
    return values, [len(b) // _FLOAT8_ELEM.itemsize for b in bodies]


def decode_wkb_line(blob: bytes | memoryview) -> np.ndarray:
    """Decode little-endian 2-D LineString WKB to an (n, 2) array without building a geometry."""
    if bytes(blob[:5]) != b"\x01\x02\x00\x00\x00":
        raise ValueError("expected a little-endian 2-D LineString")
    return np.frombuffer(blob, dtype="<f8", offset=_WKB_LINE_HEADER).reshape(-1, 2)


def _empty() -> Points:
    return np.empty(0), np.empty(0), np.empty(0)


def fetch_binary(sql: str, params: dict) -> list[tuple]:
    """Run a query on Django's connection (its transaction included) with binary results.

    Django's cursors bind client-side, which only returns text: every bytea would arrive hex-
    encoded, twice its size, and be decoded again — ~40 % of reading a district-day.
    """
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cur:
        cur.execute(sql, params, binary=True)
        return cur.fetchall()


def load_points(steward_ids: Iterable[int], start: datetime, end: datetime) -> dict[int, Points]:
    """Every stored vertex of these stewards with start <= t < end, sorted by time.

    Returns {steward_id: (t epoch seconds UTC, lon, lat)} with an entry (possibly empty) for every
    requested steward. All of a steward's tracks overlapping the window are concatenated.
    Naive datetimes are read in TIME_ZONE (the local day), as Django does.
    """
    zone = ZoneInfo(settings.TIME_ZONE)
    start = start if start.tzinfo else start.replace(tzinfo=zone)
    end = end if end.tzinfo else end.replace(tzinfo=zone)
    ids = sorted({int(i) for i in steward_ids})
    result: dict[int, Points] = {i: _empty() for i in ids}
    if not ids:
        return result
    rows = fetch_binary(LOAD_POINTS, {"ids": ids, "start": start, "end": end})
    if not rows:
        return result
    t0, t1 = start.timestamp(), end.timestamp()
    per: dict[int, list[tuple]] = {}
    for sid, started_at, tbin, wkb in rows:
        per.setdefault(sid, []).append((started_at, tbin, wkb))
    for sid, parts in per.items():
        # Tracks in start order, so equal times keep one order whichever plan the query took.
        parts.sort(key=lambda p: p[0])
        t = np.concatenate([decode_float8_array(p[1]) for p in parts])
        xy = np.concatenate([decode_wkb_line(p[2]) for p in parts])
        keep = (t >= t0) & (t < t1)
        t, xy = t[keep], xy[keep]
        order = np.argsort(t, kind="stable")
        result[sid] = (t[order], xy[order, 0].copy(), xy[order, 1].copy())
    return result


def track_sources(
    steward_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, list[TrackSource]]:
    """The stored tracks of these stewards overlapping [start, end), with their upload's origin."""
    rows = (
        Track.objects.filter(
            steward_id__in=list(steward_ids),
            started_at__lt=end,
            ended_at__gte=start,
            started_at__gte=start - timedelta(days=1),  # prunes old monthly partitions
        )
        .values_list(
            "steward_id",
            "started_at",
            "ended_at",
            "upload__sha256",
            "upload__cleaning_report__origin__device_id",
            "upload__uploaded_by_id",
            "upload__uploaded_by__username",
            "steward__user_id",
        )
        .order_by("steward_id", "started_at")
    )
    out: dict[int, list[TrackSource]] = {}
    for sid, a, b, sha, device, by_id, by_name, user_id in rows:
        proxy = by_name if by_id is not None and by_id != user_id else ""
        out.setdefault(sid, []).append(
            TrackSource(sid, a.timestamp(), b.timestamp(), sha, device or "", proxy or "")
        )
    return out
