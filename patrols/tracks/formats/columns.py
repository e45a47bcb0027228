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


_POW10_U64 = 10 ** np.arange(20, dtype=np.uint64)
_POW10_I64 = 10 ** np.arange(19, dtype=np.int64)
_POW10_F64 = np.array([float(10**k) for k in range(23)])  # exact doubles (10**22 the last)
# x86's 80-bit long double: a 64-bit significand holds any 19-digit mantissa exactly.
_LONG_DOUBLE_64 = np.finfo(np.longdouble).nmant == 63


def parse_decimal_bytes(raw: np.ndarray) -> np.ndarray | None:
    """Plain decimals (``-?digits[.digits]``, any widths) → float64, exactly as float() reads them.

    numpy's bytes→float cast calls strtod per item (~150 ns); here the digits are one integer
    matrix product per decimal-point column. Shorter items end in NULs (S columns), read as
    zeros after the point (an integer's point is just after its last digit), which changes no
    value. A mantissa M < 2**53 over 10**f is one correctly rounded division of exact doubles:
    what ``float()`` gives. Longer mantissas (Garmin writes 17–18 digits, shortest-repr loggers
    16–17) go through `_long_quotients`. Any other text (or > 19 digits) returns None; the
    caller's general cast then gives float()'s result or its error.
    """
    n, width = raw.size, raw.dtype.itemsize
    if n == 0 or raw.dtype.kind != "S" or width == 0:
        return None
    b = np.ascontiguousarray(raw).view(np.uint8).reshape(n, width)
    pad = b == 0
    lengths = np.full(n, width)
    if pad.any():
        if (pad[:, :-1] & ~pad[:, 1:]).any():
            return None  # a NUL inside a value
        lengths -= pad.sum(axis=1)
        b = np.where(pad, np.uint8(48), b)
    dot = (b == 46).argmax(axis=1)
    has_dot = b[np.arange(n), dot] == 46
    negative = b[:, 0] == 45
    if (lengths - has_dot - negative < 1).any():
        return None  # no digit at all ("", "-", ".", "-.")
    point = np.where(has_dot, dot, lengths)
    key = 2 * point + negative
    if (key == key[0]).all():
        return _fixed_point_column(raw, b, int(point[0]), negative)
    # Rows grouped by where their point is (e.g. 9.5 and 10.5) and by sign, each trimmed to
    # its own longest item (one long value elsewhere adds no zeros here).
    out = np.empty(n)
    for k in np.unique(key).tolist():
        rows = np.flatnonzero(key == k)
        w = int(lengths[rows].max())
        part = _fixed_point_column(raw[rows], b[rows, :w], k // 2, negative[rows])
        if part is None:
            return None
        out[rows] = part
    return out


def _fixed_point_column(
    raw: np.ndarray, b: np.ndarray, point: int, negative: np.ndarray
) -> np.ndarray | None:
    """Rows whose decimal point is at column `point` (== width: after the last), NULs zeros."""
    width = b.shape[1]
    digit_cols = np.ones(width, dtype=bool)
    if point < width:
        digit_cols[point] = False
    digits = b[:, digit_cols] - np.uint8(48)  # anything but a digit wraps to ≥ 10
    if negative.any():
        if point == 0:
            return None
        digits[negative, 0] = 0
    # Leading zeros (and a sign's column) change nothing: drop them while over 19 digits.
    while digits.shape[1] > 19 and not digits[:, 0].any():
        digits = digits[:, 1:]
    n_digits = digits.shape[1]
    if n_digits == 0 or n_digits > 19 or (digits > 9).any():
        return None
    frac = width - 1 - point if point < width else 0
    if frac >= _POW10_F64.size:
        return None
    if n_digits <= 18:
        mantissa = digits.astype(np.int64) @ _POW10_I64[n_digits - 1 :: -1]
    else:
        mantissa = digits.astype(np.uint64) @ _POW10_U64[n_digits - 1 :: -1]
    values = mantissa.astype(np.float64) / _POW10_F64[frac]
    long_rows = np.flatnonzero(mantissa >= 1 << 53)
    if long_rows.size:
        values[long_rows] = _long_quotients(raw, long_rows, mantissa.astype(np.uint64), frac)
    return np.where(negative, -values, values)


def _long_quotients(
    raw: np.ndarray, rows: np.ndarray, mantissa: np.ndarray, frac: int
) -> np.ndarray:
    """Correctly rounded M / 10**f for mantissas ≥ 2**53 (≤ 19 digits), for the given rows.

    In 80-bit long double M and 10**f are exact and the quotient is rounded once to 64 bits;
    rounding that to double differs from rounding the exact quotient only when the 64-bit one
    lies exactly halfway between two doubles. Those few are read by ``float()`` one by one, as
    are all of them where long double is not the x87 80-bit type.
    """
    if not _LONG_DOUBLE_64:
        return np.abs(raw[rows].astype(np.float64))
    quotient = mantissa[rows].astype(np.longdouble) / np.longdouble(_POW10_F64[frac])
    out = quotient.astype(np.float64)
    significand, _exp = np.frexp(quotient)
    bits = (significand * np.longdouble(2.0**64)).astype(np.uint64)
    halfway = np.flatnonzero((bits & np.uint64(0x7FF)) == 0x400)
    for k in halfway.tolist():
        out[k] = abs(float(raw[rows[k]]))
    return out


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
        if lengths.max() == lengths.min():
            # One width (what loggers write): drop the "Z" by a cast to one byte shorter.
            stamps = raw.astype(f"S{int(lengths[0]) - 1}").astype("datetime64[us]")
        else:  # the final "Z" only, as parse_times drops it
            stamps = np.strings.slice(raw, 0, -1).astype("datetime64[us]")
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
