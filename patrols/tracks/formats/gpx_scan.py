"""GPX read by a C regex scan in 4 MB blocks, for plain files (the layouts loggers and apps write).

Every block is checked against a count of trkpt/trkseg openings; any disagreement raises
FastPathMismatch and the caller reads the file again with the tree parser (behind the expat gate).

A file whose prolog is plain (xml_safety.plain_prolog) is scanned without the expat gate, which
cost as much as the scan: the scan expands no reference, and it sends to the gated tree parser any
file with "<!" or "<?" past the prolog, unbalanced trkseg tags, or anything but "</gpx>" at its
end (a truncated upload then gets expat's message, as before). What the gate alone still catches
in such a file is malformed markup outside the points that leaves all of these intact.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import numpy as np
from django.utils.translation import gettext as _

from patrols.tracks.errors import TrackRejected
from patrols.tracks.formats.columns import bytes_column, decode_chunk
from patrols.tracks.formats.points import PointChunk, RefKind


class FastPathMismatch(Exception):
    """The regex scan disagrees with a plain count of trkpt tags: use the tree parser."""


_P = rb"(?:[\w.-]+:)?"
# Values with "&" (character or entity references: &#52;0.1 is 40.1) never match here or in
# _GPX_STRICT, so the counts disagree and the tree parser, which decodes them, takes the file.
_Q = rb"\s*=\s*[\"']([^\"'&]*)[\"']"
# A trkpt has exactly the attributes lat and lon (GPX 1.0/1.1 schema), in either order.
_GPX_TOKEN = re.compile(
    rb"<" + _P + rb"(trkseg)\b[^>]*>"
    rb"|<"
    + _P
    + rb"trkpt\s+(?:lat"
    + _Q
    + rb"\s+lon"
    + _Q
    + rb"|lon"
    + _Q
    + rb"\s+lat"
    + _Q
    + rb")\s*"
    # Schema order inside a trkpt is ele?, time?, …: the first branch captures the time directly.
    rb"(?:/>|>\s*(?:<"
    + _P
    + rb"ele\s*>[^<]*</"
    + _P
    + rb"ele\s*>\s*)?<"
    + _P
    + rb"time\s*>\s*([^<&]*?)\s*</"
    + _P
    + rb"time\s*>"
    rb".*?</" + _P + rb"trkpt\s*>|>(.*?)</" + _P + rb"trkpt\s*>)",
    re.S,
)
_GPX_OPENINGS = re.compile(rb"<" + _P + rb"(trkseg\b|trkpt[\s/>])")
# The layout most loggers and apps write, matched ~5x faster; used only when it accounts for
# every trkseg and trkpt opening in the block. After the time it skips whatever the point
# carries (course, speed, hdop, <extensions> with heart rate and cadence …) up to </trkpt>,
# without capturing it: phone apps write ~300 bytes a point and would otherwise take the
# general pattern at a third of the speed. "\s*</trkpt>" first is the simulator's and most
# loggers' layout, at no cost. The skip never passes another "<trkpt" or "</trkpt" and never
# backtracks (possessive, Python ≥ 3.11): a point closed as "</trkpt >" (or holding a nested
# trkpt) fails after its own bytes, and the block goes to the general pattern.
_STRICT_TAIL = rb"(?:\s*</trkpt>|[^<]*+(?:<(?!/?trkpt)[^<]*+)*+</trkpt>)"
# "<" is factored out of the alternation: the engine then skips to the next "<" in C instead of
# trying both branches at every byte (a third of the scan on 300-byte phone-app points).
_GPX_STRICT = re.compile(
    rb'<(?:(trkseg)>|trkpt lat="([^"]*)" lon="([^"]*)">\s*(?:<ele>[^<]*</ele>\s*)?<time>([^<]*)</time>'
    + _STRICT_TAIL
    + rb")"
)
# The same, refusing values with "&" (see _Q); a two-character class is ~50 % slower than the
# one-character one, so it is used only for blocks that contain an "&" at all. An "&" in what
# the tail skips does not matter: nothing there is read.
_GPX_STRICT_NO_REFS = re.compile(
    rb'<(?:(trkseg)>|trkpt lat="([^"&]*)" lon="([^"&]*)">\s*(?:<ele>[^<]*</ele>\s*)?<time>([^<&]*)</time>'
    + _STRICT_TAIL
    + rb")"
)
_GPX_TIME = re.compile(rb"<" + _P + rb"time\s*>\s*([^<]*?)\s*</")
_GPX_ROOT = re.compile(rb"<" + _P + rb"gpx[\s>]")
_GPX_END = re.compile(rb"</" + _P + rb"gpx\s*>\Z")
_GPX_BLOCK = 4 << 20


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector around findall's burst of tuples.

    A block's tokens are tuples of bytes, which cannot form cycles, yet their allocation
    triggers collections that walk every tracked object of the process: ~30 % of GPX parsing
    time. Collections resume (and catch up) when the block is done.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _gpx_cut(block: bytes) -> int:
    """End of the last complete trkpt in block (0 if none): the rest waits for more bytes."""
    k = block.rfind(b"trkpt")
    if k >= 0:
        lt = block.rfind(b"<", 0, k)
        gt = block.find(b">", k)
        if lt < 0:
            return 0
        closing = block[lt + 1 : lt + 2] == b"/"
        if gt < 0:
            # "…</time></trkpt" without its ">": cutting there would leave the point open in
            # this block (and send the whole file to the tree parser); cut before the point.
            return _gpx_cut(block[:lt]) if closing else lt
        if closing or block[gt - 1 : gt] == b"/":
            return gt + 1
        return lt
    return 0


def _blocks(fileobj: IO[bytes]) -> Iterator[bytes]:
    """The file in blocks of about _GPX_BLOCK bytes, each ending after its last complete trkpt."""
    carry = b""
    while True:
        more = fileobj.read(_GPX_BLOCK)
        block = carry + more
        if not block:
            return
        cut = len(block) if not more else _gpx_cut(block)
        if more and cut == 0:
            carry = block
            continue
        body, carry = block[:cut], block[cut:]
        yield body
        if not more:
            return


# What a block's tokens give: trkseg flags (one per token), then time, lat and lon of the points.
_Columns = tuple[np.ndarray, Any, Any, Any]


def _strict_columns(body: bytes, n_segs: int | None = None) -> _Columns | None:
    """The block as numpy bytes columns, if every trkseg/trkpt in it has the strict layout."""
    strict_pattern = _GPX_STRICT_NO_REFS if b"&" in body else _GPX_STRICT
    with _collector_paused():
        tokens = strict_pattern.findall(body)
    if n_segs is None:
        n_segs = body.count(b"<trkseg")
    # bytes.count runs at memory speed; prefixed tags would be invisible to it, so they
    # (and any other layout) send the block to the general pattern.
    if b":trk" in body:
        return None
    if len(tokens) != n_segs + body.count(b"<trkpt"):
        return None
    if not tokens:
        return np.zeros(0, dtype=bool), None, None, None
    # Columns as bytes arrays: no Python object per value beyond findall's own.
    with _collector_paused():
        seg_col, lat_col, lon_col, time_col = zip(*tokens, strict=True)
    is_seg = np.frombuffer(bytes(map(len, seg_col)), dtype=np.uint8) != 0
    if int(is_seg.sum()) != n_segs:
        return None
    is_pt = ~is_seg
    if not is_pt.any():
        return is_seg, None, None, None
    return (
        is_seg,
        bytes_column(time_col, is_pt),
        bytes_column(lat_col, is_pt),
        bytes_column(lon_col, is_pt),
    )


def _general_columns(body: bytes) -> _Columns:
    """The block as lists of str: namespace prefixes, other attribute order, extra children."""
    openings = _GPX_OPENINGS.findall(body)
    n_segs = sum(1 for o in openings if o.startswith(b"trkseg"))
    tokens = _GPX_TOKEN.findall(body)
    points = [tk for tk in tokens if not tk[0]]
    if len(tokens) != len(openings) or len(points) != len(openings) - n_segs:
        raise FastPathMismatch
    if any(b"&" in tk[6] for tk in points if tk[6]):
        raise FastPathMismatch  # a reference somewhere inside: let the tree parser decode
    lats = [(tk[1] or tk[4]).decode() for tk in points]
    lons = [(tk[2] or tk[3]).decode() for tk in points]
    times = [
        tk[5].decode()
        if tk[5]
        else (m.group(1).decode() if (m := _GPX_TIME.search(tk[6])) else None)
        for tk in points
    ]
    is_seg = np.fromiter((bool(tk[0]) for tk in tokens), dtype=bool, count=len(tokens))
    return is_seg, times, lats, lons


class _Numbering:
    """Segment numbers and point ordinals, carried from one block to the next."""

    def __init__(self) -> None:
        self.seg_no = -1
        self.n = 0

    def points(self, is_seg: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Segment and ordinal of each trkpt among a block's tokens; None if it has none."""
        n_pts = int(is_seg.size - is_seg.sum())
        if not n_pts:
            self.seg_no += is_seg.size
            return None
        segs = self.seg_no + np.cumsum(is_seg)
        self.seg_no = int(segs[-1])
        refs = np.arange(self.n + 1, self.n + n_pts + 1)
        self.n += n_pts
        return np.maximum(segs[~is_seg], 0), refs


class _UngatedChecks:
    """What stands in for the expat gate when the prolog was plain (see the module docstring)."""

    def __init__(self, prolog_end: int) -> None:
        self.skip = prolog_end  # the XML declaration's "<?" is in the first block's prolog
        self.open_segs = 0
        self.roots = 0
        self.last = b""

    def block(self, body: bytes) -> int:
        """Check one block; returns its count of "<trkseg" (the strict scan needs it too)."""
        skip, self.skip = self.skip, 0
        # "!" and "?" alone are found at memchr speed and are rare in GPX; "<!" and "<?" are
        # looked for only when they occur.
        if b"!" in body and b"<!" in body:
            raise FastPathMismatch
        if body.find(b"?", skip) >= 0 and body.find(b"<?", skip) >= 0:
            raise FastPathMismatch
        if b":trk" in body:
            raise FastPathMismatch  # prefixed trk elements: the gated route reads them
        opens = body.count(b"<trkseg")
        self.open_segs += opens - body.count(b"</trkseg")
        self.roots += body.count(b"gpx>")
        if self.open_segs < 0:
            raise FastPathMismatch
        self.last = body
        return opens

    def end(self) -> None:
        # One root, closed last: "gpx>" occurs once ("</gpx>"), so no second root follows.
        if self.open_segs or self.roots != 1 or not _GPX_END.search(self.last.rstrip()[-64:]):
            raise FastPathMismatch


def iter_gpx_fast(fileobj: IO[bytes], prolog_end: int | None = None) -> Iterator[PointChunk]:
    """Regex scan of a document the expat gate proved well-formed, entity-free and plain, or
    (prolog_end given) whose prolog plain_prolog() found plain, checked as it goes.

    findall runs in C over 4 MB blocks; a count of trkpt tags per block guards against any
    construct the pattern does not understand (then the caller falls back to the tree parser).
    One chunk per block.
    """
    numbering = _Numbering()
    ungated = _UngatedChecks(prolog_end) if prolog_end is not None else None
    saw_gpx = False
    for body in _blocks(fileobj):
        n_segs = ungated.block(body) if ungated is not None else None
        if not saw_gpx and _GPX_ROOT.search(body):
            saw_gpx = True
        columns = _strict_columns(body, n_segs)
        if columns is None:
            columns = _general_columns(body)
        is_seg, times, lats, lons = columns
        numbered = numbering.points(is_seg)
        if numbered is not None:
            segs, refs = numbered
            yield decode_chunk(times, lats, lons, segs, refs, RefKind.POINT)
    if ungated is not None:
        ungated.end()
    if not saw_gpx:
        raise TrackRejected(_("这不是 GPX 文件：缺少 <gpx> 根元素。"), 422, code="not_a_track")
