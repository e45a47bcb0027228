"""Columns of point text (Python strings or numpy bytes arrays) decoded into numpy numbers.

Times become epoch seconds UTC, coordinates float64; a value that cannot be read raises
TrackRejected naming its line or point.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from patrols.tracks.errors import TrackRejected
from patrols.tracks.formats.points import PointChunk, RefKind

_TZ_SUFFIX = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$", re.IGNORECASE)


def _parse_utc_z(values: list[Any]) -> np.ndarray | None:
    """The common case (every time 'YYYY-MM-DDTHH:MM:SS[.fff]Z') parsed by numpy in C; else None."""
    try:
        if not all(v[-1] == "Z" for v in values):
            return None
        stamps = np.array([v[:-1] for v in values], dtype="datetime64[us]")
    except (TypeError, ValueError, IndexError):
        return None
    return stamps.astype(np.int64) / 1e6


def parse_times(
    values: list[Any], refs: list[int], ref_kind: RefKind, naive_tz: str = "UTC"
) -> np.ndarray:
    """ISO-8601 strings (or None) → epoch seconds, NaN for missing. Vectorised through pandas.

    Naive strings are read in `naive_tz` (GPX/KML/GeoJSON define UTC; CSV from Chinese apps is
    usually local time).
    """
    out = np.full(len(values), np.nan)
    idx = [i for i, v in enumerate(values) if v not in (None, "")]
    if not idx:
        return out
    if len(idx) == len(values):
        fast = _parse_utc_z(values)
        if fast is not None:
            return fast
    strings = pd.Series([str(values[i]).strip() for i in idx])
    aware = strings.str.endswith(("Z", "z"))
    if not aware.all():
        aware |= strings.str.contains(_TZ_SUFFIX)
    parsed = np.full(len(idx), np.nan)
    for mask, tz in ((aware, None), (~aware, naive_tz)):
        if not mask.any():
            continue
        sub = strings[mask]
        dt = pd.to_datetime(sub, errors="coerce", format="ISO8601", utc=tz is None)
        if tz is not None:
            dt = dt.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        bad = dt.isna().to_numpy()
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            i = idx[int(sub.index[k])]
            where = (_("第 %(n)d 行") if ref_kind is RefKind.LINE else _("第 %(n)d 个点")) % {
                "n": refs[i]
            }
            raise TrackRejected(
                _(
                    "%(where)s：时间“%(value)s”无法识别，请使用 ISO 8601 格式（如 2024-05-01T08:30:00Z）。"
                )
                % {"where": where, "value": sub.iloc[k]},
                code="bad_time",
            )
        naive_utc = dt.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[us]")
        parsed[mask.to_numpy()] = naive_utc.astype(np.int64) / 1e6
    out[idx] = parsed
    return out


def bytes_column(values: tuple[bytes, ...], keep: np.ndarray) -> np.ndarray:
    """The kept items of a column of bytes values as a numpy ``S`` array.

    Loggers write every value of a column with the same width (fixed decimals, one time
    format); then the column is one join and a buffer view instead of a Python object per
    value. Rows not kept (trkseg tokens) are empty, so the join skips them by itself.
    """
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    kept = lengths[keep]
    if kept.size and kept.min() == kept.max() > 0 and not lengths[~keep].any():
        return np.frombuffer(b"".join(values), dtype=f"S{kept[0]}")
    return np.array(values, dtype=bytes)[keep]


def parse_decimal_bytes(raw: np.ndarray) -> np.ndarray | None:
    """Fixed-layout decimals (same width, point in the same column, ≤ 15 digits) → float64.

    numpy's bytes→float cast calls strtod per item; here the digits are one integer matrix
    product. With ≤ 15 digits the mantissa and the power of ten are exact doubles, so one
    correctly rounded division gives exactly what ``float()`` gives. Any other layout returns
    None and the caller takes the general path.
    """
    n, width = raw.size, raw.dtype.itemsize
    if n == 0 or raw.dtype.kind != "S" or width == 0:
        return None
    b = np.ascontiguousarray(raw).view(np.uint8).reshape(n, width)
    dots = np.flatnonzero(b[0] == 46)
    if dots.size > 1:
        return None
    negative = b[:, 0] == 45
    digit_cols = np.ones(width, dtype=bool)
    if dots.size:
        digit_cols[dots[0]] = False
        if not (b[:, dots[0]] == 46).all():
            return None
    digits = b[:, digit_cols].astype(np.int64) - 48
    if negative.any():
        digits[negative, 0] = 0
        if not digit_cols[0]:
            return None
    if digits.shape[1] == 0 or digits.shape[1] > 15 or not ((digits >= 0) & (digits <= 9)).all():
        return None
    if negative.any() and digits.shape[1] == 1:
        return None
    powers = 10 ** np.arange(digits.shape[1] - 1, -1, -1, dtype=np.int64)
    frac_digits = width - 1 - int(dots[0]) if dots.size else 0
    values = (digits @ powers).astype(np.float64) / 10.0**frac_digits
    return np.where(negative, -values, values)


def _floats(
    values: list[Any] | np.ndarray, refs: list[int], ref_kind: RefKind, what: str
) -> np.ndarray:
    if isinstance(values, np.ndarray):
        fast = parse_decimal_bytes(values)
        if fast is not None:
            return fast
        try:
            # numpy's bytes → float cast reads each item as float() does (tested), in C.
            return values.astype(np.float64)
        except ValueError:
            values = [v.decode(errors="replace") for v in values.tolist()]
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        for i, v in enumerate(values):
            try:
                float(v)
            except (TypeError, ValueError):
                where = (_("第 %(n)d 行") if ref_kind is RefKind.LINE else _("第 %(n)d 个点")) % {
                    "n": refs[i]
                }
                raise TrackRejected(
                    _("%(where)s：%(what)s“%(value)s”不是数字。")
                    % {"where": where, "what": what, "value": v},
                    code="bad_number",
                ) from None
        raise


def parse_utc_z_bytes(raw: np.ndarray) -> np.ndarray | None:
    """Times written 'YYYY-MM-DDTHH:MM:SS[.fff]Z' (what GPX loggers write) → epoch s, in numpy.

    None when any value has another shape; parse_times then gives the per-point message.
    """
    if raw.size == 0 or raw.dtype.kind != "S":
        return None
    lengths = np.strings.str_len(raw)
    if lengths.min() < 20 or not np.strings.endswith(raw, b"Z").all():
        return None
    try:
        if lengths.max() == 20:
            stamps = raw.astype("S19").astype("datetime64[us]")
        else:
            stamps = np.strings.replace(raw, b"Z", b"").astype("datetime64[us]")
    except ValueError:
        return None
    return stamps.astype(np.int64) / 1e6


def decode_chunk(
    times: list[Any] | np.ndarray,
    lats: list[Any] | np.ndarray,
    lons: list[Any] | np.ndarray,
    segs: list[int] | np.ndarray,
    refs: list[int] | np.ndarray,
    ref_kind: RefKind,
    naive_tz: str = "UTC",
) -> PointChunk:
    """One chunk from parsed text: lists of str, or bytes arrays from the GPX fast path."""
    t = None
    if isinstance(times, np.ndarray):
        t = times if times.dtype.kind == "f" else parse_utc_z_bytes(times)
        if t is None:
            times = [v.decode(errors="replace") for v in times.tolist()]
    if t is None:
        ref_list = refs.tolist() if isinstance(refs, np.ndarray) else refs
        t = parse_times(times, ref_list, ref_kind, naive_tz)
    return PointChunk(
        t=t,
        lat=_floats(lats, refs, ref_kind, _("纬度")),
        lon=_floats(lons, refs, ref_kind, _("经度")),
        seg=np.asarray(segs, dtype=np.int64),
        ref=np.asarray(refs, dtype=np.int64),
    )


def epoch_or_iso(value: Any) -> Any:
    # Numbers are epoch seconds (or milliseconds when too big to be seconds).
    if isinstance(value, int | float) and not isinstance(value, bool):
        v = float(value)
        return pd.Timestamp(v / 1000.0 if v > 1e11 else v, unit="s", tz="UTC").isoformat()
    return value
