"""GPX points found from the positions of a block's "<" bytes, in numpy (the layouts apps write).

The regex scans this replaces stepped through every byte of a point, extensions included
(Garmin writes ~350 bytes a point, a minimal logger ~100), and bytes.count passes added one
pass each. Here numpy finds every "<" in one pass, reads the 8 bytes after each as one uint64
(an unaligned strided view), and everything else is arithmetic on those tag starts: which are
trkpt/trkseg openings and closings, whether each point's first children are ``<ele>`` and
``<time>``, and where its lat/lon values and time text lie. The values are then gathered
column-wise. Nothing is read per point in Python.

A block is read here only in the strict layout, which every point and segment must have:

    <trkseg>  <trkpt lat="…" lon="…">  [<ele>…</ele>]  <time>…</time>  …anything…  </trkpt>

(``lon`` first is fine; text between tags is ignored, as the tree parser ignores it; the point's
tail — course, speed, extensions — is never looked at beyond its "<" bytes). Points must open and
close strictly one after another (no nesting). Anything else returns None and the caller uses the
general regex. The block's markup facts the ungated route checks (gpx_scan._UngatedChecks) come
from the same tag starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

# Zeros after the block: 8-byte reads and value windows (≤ _WIDEST + 1) past its end see no tag.
_PAD = bytes(80)


def _le(lit: bytes) -> int:
    return int.from_bytes(lit, "little")


def _mask(n: int) -> int:
    return (1 << (8 * n)) - 1


def _is(words: np.ndarray, lit: bytes) -> np.ndarray:
    """Which 8-byte words start with lit (≤ 8 bytes)."""
    if len(lit) == 8:
        return words == _le(lit)
    return (words & _mask(len(lit))) == _le(lit)


PT_OPEN = b"<trkpt l"
PT_CLOSE = b"</trkpt>"
SEG_OPEN = b"<trkseg>"
SEG_CLOSE = b"</trkseg"
_AT, _ON = _le(b'at="'), _le(b'on="')
_LON_AFTER_LAT, _LAT_AFTER_LON = _le(b'" lon="'), _le(b'" lat="')
_WIDEST = 64  # longer lat/lon/time values are not a logger's: the general regex reads them


_SCAN = 1 << 18  # bytes compared at a time: the temporaries stay in cache and are reused


def _positions(data: np.ndarray, byte: int, sentinels: int = 0) -> np.ndarray:
    """Where `byte` occurs in data (then `sentinels` times data.size), _SCAN bytes at a time.

    One comparison over a whole 4 MB block would allocate a 4 MB temporary per search, and
    fresh pages are faulted in each time (that cost as much as the search itself).
    """
    parts = [np.flatnonzero(data[i : i + _SCAN] == byte) + i for i in range(0, data.size, _SCAN)]
    parts.append(np.full(sentinels, data.size, dtype=np.intp))
    return np.concatenate(parts)


class Tags:
    """The tag starts of one block: positions of "<", the byte after each, and the 8 bytes at
    those that can be trkpt/trkseg tags ("<t…" and "</t…")."""

    def __init__(self, body: bytes) -> None:
        self.size = len(body)
        padded = body + _PAD
        self.bytes = np.frombuffer(padded, dtype=np.uint8)
        # Every position's next 8 bytes as one little-endian uint64 (unaligned, read on demand).
        self.u64 = np.ndarray((self.size + 8,), dtype="<u8", buffer=padded, strides=(1,))
        # Five sentinels (position = end of block: zeros follow) so index + k never runs off.
        self.lt = _positions(self.bytes[: self.size], 60, sentinels=5)
        self.count = self.lt.size - 5
        self.head = self.bytes[1:][self.lt]  # the byte after each (no lt + 1 temporary)
        opening = np.flatnonzero(self.head == 116)  # "<t…"
        words = self.u64[self.lt[opening]]
        pt, seg = _is(words, PT_OPEN[:6]), _is(words, SEG_OPEN[:7])  # in any form
        self.pt_open, self.pt_open_words = opening[pt], words[pt]
        self.seg_open, self.seg_open_words = opening[seg], words[seg]
        self.slash = np.flatnonzero(self.head == 47)  # "</…"
        closing = self.slash[self.bytes[2:][self.lt[self.slash]] == 116]  # "</t…"
        words = self.u64[self.lt[closing]]
        pt, seg = _is(words, PT_CLOSE[:7]), _is(words, SEG_CLOSE)
        self.pt_close, self.pt_close_words = closing[pt], words[pt]
        self.seg_close = closing[seg]

    def word(self, index: np.ndarray) -> np.ndarray:
        """The 8 bytes at the tags numbered `index` (sentinels give 0)."""
        return self.u64[self.lt[index]]

    @cached_property
    def quotes(self) -> np.ndarray:
        """Positions of every '"' (needed only when attribute values vary in width)."""
        return _positions(self.bytes[: self.size], 34)

    @cached_property
    def prefixed_trk(self) -> bool:
        """Is ":trk" anywhere (a prefixed trkpt/trkseg, which the strict layout never has)?"""
        colons = _positions(self.bytes[: self.size], 58)
        return bool(((self.u64[colons] & _mask(4)) == _le(b":trk")).any())

    def markup_after(self, since: int) -> bool:
        """Is any "<!" (comment, CDATA, DTD), or a "<?" at or after byte `since`?"""
        if (self.head == 33).any():
            return True
        pi = np.flatnonzero(self.head == 63)
        return bool(pi.size) and int(self.lt[pi[-1]]) >= since

    def count_closing(self, tag: bytes) -> int:
        """How many tags start with `tag` ("</name", ≤ 8 bytes)."""
        closing = self.slash[self.bytes[self.lt[self.slash] + 2] == tag[2]]
        return int(np.count_nonzero(_is(self.u64[self.lt[closing]], tag)))

    def seg_balance(self, open_before: int) -> np.ndarray:
        """Open trkseg count after each trkseg opening or closing, in document order."""
        at = np.concatenate([self.seg_open, self.seg_close])
        step = np.concatenate(
            [np.ones(self.seg_open.size, np.int64), -np.ones(self.seg_close.size, np.int64)]
        )
        return open_before + np.cumsum(step[np.argsort(at, kind="stable")])


@dataclass
class StrictPoints:
    """A block's points in the strict layout: byte columns, and trkseg openings before each."""

    times: np.ndarray
    lats: np.ndarray
    lons: np.ndarray
    segs_before: np.ndarray  # trkseg openings in the block before each point
    seg_opens: int  # trkseg openings in the whole block


def _column(
    data: np.ndarray, start: np.ndarray, end: np.ndarray, no_quote: bool = False
) -> np.ndarray | None:
    """The bytes data[start:end] of every row as a numpy S column (NUL-padded if widths vary);
    None if one is wider than _WIDEST (or, with no_quote, holds a '"')."""
    width = end - start
    if not width.size:
        return np.zeros(0, dtype="S1")
    lo, hi = int(width.min()), int(width.max())
    if lo < 0 or hi > _WIDEST:
        return None
    if hi == 0:
        return np.zeros(width.size, dtype="S1")
    # Rows of `hi` bytes from each start through a strided view of the padded block: one
    # index per row, not an n × hi index matrix.
    windows = np.ndarray((data.size - _WIDEST, hi), dtype=np.uint8, buffer=data, strides=(1, 1))
    cells = windows[start]
    if lo != hi:
        cells *= np.arange(hi) < width[:, None]  # S items end at their first trailing NUL
    if no_quote and (cells == 34).any():
        return None
    return cells.view(f"S{hi}").reshape(-1)


def _has_reference(body: bytes, tags: Tags, starts: np.ndarray, ends: np.ndarray) -> bool:
    """Is an "&" inside any point's read part (from "<trkpt" to "</time>")? The tree decodes it."""
    if b"&" not in body:
        return False
    amps = _positions(tags.bytes[: tags.size], 38)
    k = np.searchsorted(starts, amps, side="right") - 1
    inside = k >= 0
    return bool((amps[inside] < ends[k[inside]]).any())


def strict_points(body: bytes, tags: Tags) -> StrictPoints | None:
    """The block's points if every trkseg and trkpt in it has the strict layout, else None."""
    lt = tags.lt
    opens, closes = tags.pt_open, tags.pt_close
    n = opens.size
    if closes.size != n or not (tags.seg_open_words == _le(SEG_OPEN)).all():
        return None
    if tags.seg_close.size and not (tags.bytes[lt[tags.seg_close] + 8] == 62).all():
        return None
    if tags.prefixed_trk:
        return None
    segs_before = np.searchsorted(tags.seg_open, opens)
    empty = np.zeros(0, dtype="S1")
    if n == 0:
        return StrictPoints(empty, empty, empty, segs_before, int(tags.seg_open.size))
    # One point after another: open < close < next open, each "<trkpt l" and "</trkpt>".
    if (closes <= opens).any() or (opens[1:] <= closes[:-1]).any():
        return None
    if not ((tags.pt_open_words == _le(PT_OPEN)) & (tags.pt_close_words == _le(PT_CLOSE))).all():
        return None
    start = lt[opens]
    name = tags.u64[start + 8] & _mask(4)
    lat_first = name == _AT
    if not (lat_first | (name == _ON)).all():
        return None
    # First children: <ele>…</ele> (optional), then <time>…</time>.
    has_ele = _is(tags.word(opens + 1), b"<ele>")
    if has_ele.any() and not (~has_ele | _is(tags.word(opens + 2), b"</ele>")).all():
        return None
    t_open = opens + 1 + 2 * has_ele
    if not (_is(tags.word(t_open), b"<time>") & _is(tags.word(t_open + 1), b"</time>")).all():
        return None
    values = _attribute_values(tags, start, lt[opens + 1], lat_first)
    if values is None:
        return None
    t_end = lt[t_open + 1]
    if _has_reference(body, tags, start, t_end):
        return None
    times = _column(tags.bytes, lt[t_open] + 6, t_end)
    if times is None:
        return None
    lats, lons = values
    return StrictPoints(times, lats, lons, segs_before, int(tags.seg_open.size))


def _attribute_values(
    tags: Tags, start: np.ndarray, next_tag: np.ndarray, lat_first: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """lat and lon of `<trkpt lat="…" lon="…">` (or lon first) at each start, as S columns."""
    data = tags.bytes
    v1 = start + 12  # '<trkpt lat="' is 12 bytes
    q1 = _closing_quotes(tags, v1)
    if q1 is None:
        return None
    between = tags.u64[q1] & _mask(7)
    if not np.where(lat_first, between == _LON_AFTER_LAT, between == _LAT_AFTER_LON).all():
        return None
    v2 = q1 + 7
    q2 = _closing_quotes(tags, v2)
    # The tag ends right after the second value ('">'), before the next "<".
    if q2 is None or not (data[q2 + 1] == 62).all() or (q2 + 2 > next_tag).any():
        return None
    first, second = _column(data, v1, q1, no_quote=True), _column(data, v2, q2, no_quote=True)
    if first is None or second is None:
        return None
    if lat_first.all():
        return first, second
    return np.where(lat_first, first, second), np.where(lat_first, second, first)


def _closing_quotes(tags: Tags, begin: np.ndarray) -> np.ndarray | None:
    """Where each attribute value starting at `begin` ends (its closing '"').

    Loggers write every value of a column with the same width: the first point's width is
    tried on all (the caller's column then checks no '"' comes earlier); otherwise the
    block's quotes are found (one numpy pass) and the first after each begin is taken.
    """
    data = tags.bytes
    row = data[int(begin[0]) : int(begin[0]) + _WIDEST + 1]
    first = np.flatnonzero(row == 34)
    if first.size:
        end = begin + int(first[0])
        if (data[end] == 34).all():
            return end
    quotes = tags.quotes
    k = np.searchsorted(quotes, begin)
    if (k >= quotes.size).any():
        return None
    return quotes[k]
