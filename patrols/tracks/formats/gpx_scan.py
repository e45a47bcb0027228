"""GPX read without a tree, in 4 MB blocks, for plain files (the layouts loggers and apps write).

Each block's tag starts are found by numpy (gpx_tags); a block whose points all have the strict
layout is read from them column-wise, any other by the general regex below. Either way every
trkpt and trkseg opening must be accounted for; any disagreement raises FastPathMismatch and the
caller reads the file again with the tree parser (behind the expat gate).

A file whose prolog is plain (xml_safety.plain_prolog) is scanned without the expat gate, which
cost as much as the scan: the scan expands no reference, and it sends to the gated route any file
with "<!" or "<?" past the prolog, a prefixed trk element, unbalanced trkseg tags, a root that
closes itself or closes before the end, anything but "</gpx>" at its end (a truncated upload then
gets expat's message, as before), or a block not in the strict layout (the general regex cannot
tell broken markup inside a point from an odd layout). What the gate alone still catches in such
a file is malformed markup in a point's tail (after its time) or outside the points that leaves
all of these intact.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

import numpy as np
from django.utils.translation import gettext as _

from patrols.tracks.errors import TrackRejected
from patrols.tracks.formats.columns import decode_chunk
from patrols.tracks.formats.gpx_tags import StrictPoints, Tags, strict_points
from patrols.tracks.formats.points import PointChunk, RefKind


class FastPathMismatch(Exception):
    """The scan cannot account for every trkpt/trkseg (or, ungated, for the markup): use the tree."""


_P = rb"(?:[\w.-]+:)?"
# Values with "&" (character or entity references: &#52;0.1 is 40.1) never match here, so the
# counts disagree and the tree parser, which decodes them, takes the file.
_Q = rb"\s*=\s*[\"']([^\"'&]*)[\"']"
# Attributes (e.g. a namespace declaration) or spaces in a start tag that is not self-closing.
_ATTRS = rb"(?:\s[^>]*)?(?<!/)"
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
    + rb"ele"
    + _ATTRS
    + rb">[^<]*</"
    + _P
    + rb"ele\s*>\s*)?<"
    + _P
    + rb"time"
    + _ATTRS
    + rb">\s*([^<&]*?)\s*</"
    + _P
    + rb"time\s*>"
    rb".*?</" + _P + rb"trkpt\s*>|>(.*?)</" + _P + rb"trkpt\s*>)",
    re.S,
)
_GPX_OPENINGS = re.compile(rb"<" + _P + rb"(trkseg\b|trkpt[\s/>])")
_GPX_TIME = re.compile(rb"<" + _P + rb"time" + _ATTRS + rb">\s*([^<]*?)\s*</")
_GPX_ROOT = re.compile(rb"<" + _P + rb"gpx[\s>]")
_GPX_END = re.compile(rb"</" + _P + rb"gpx\s*>\Z")
_GPX_BLOCK = 4 << 20


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
    """The file in blocks of about _GPX_BLOCK bytes, each ending after its last complete trkpt.

    One read ahead: the last block is yielded whole, not sliced (a file that fits one block,
    as most do, is then never copied here).
    """
    block = fileobj.read(_GPX_BLOCK)
    while block:
        more = fileobj.read(_GPX_BLOCK)
        if not more:
            yield block
            return
        cut = _gpx_cut(block)
        if cut == 0:
            block += more
            continue
        yield block[:cut]
        block = block[cut:] + more


# What a block's general scan gives: trkseg flags (one per token), then time, lat and lon.
_Columns = tuple[np.ndarray, Any, Any, Any]


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

    def strict(self, found: StrictPoints) -> tuple[np.ndarray, np.ndarray] | None:
        """Segment and ordinal of each point of a strict block; None if it has none."""
        n_pts = found.lats.size
        segs = self.seg_no + found.segs_before
        self.seg_no += found.seg_opens
        if not n_pts:
            return None
        refs = np.arange(self.n + 1, self.n + n_pts + 1)
        self.n += n_pts
        return np.maximum(segs, 0), refs


class _UngatedChecks:
    """What stands in for the expat gate when the prolog was plain (see the module docstring)."""

    def __init__(self, prolog_end: int) -> None:
        self.skip = prolog_end  # the XML declaration's "<?" is in the first block's prolog
        self.open_segs = 0
        self.root_closes = 0
        self.root_close_tag = b""
        self.last = b""

    def _root(self, body: bytes, prolog_end: int) -> bytes:
        """The root's closing tag; the root must not close itself (a second root could follow)."""
        lt = body.rfind(b"<", 0, prolog_end)
        if body[prolog_end - 1 : prolog_end] != b">":
            gt = body.find(b">", prolog_end - 1)
            if gt < 0 or body[gt - 1 : gt] == b"/":
                raise FastPathMismatch
        return b"</" + body[lt + 1 : prolog_end - 1]

    def block(self, body: bytes, tags: Tags) -> None:
        skip, self.skip = self.skip, 0
        if not self.root_close_tag:
            self.root_close_tag = self._root(body, skip)
        if tags.markup_after(skip) or tags.prefixed_trk:
            raise FastPathMismatch  # comment, CDATA, DTD, PI, prefixed trk: the gated route
        if tags.seg_open.size or tags.seg_close.size:
            balance = tags.seg_balance(self.open_segs)
            if balance.min() < 0:
                raise FastPathMismatch
            self.open_segs = int(balance[-1])
        close = self.root_close_tag
        # Counted as tag starts ("</gpx" and any longer name: conservative).
        self.root_closes += tags.count_closing(close) if len(close) <= 8 else body.count(close)
        self.last = body

    def end(self) -> None:
        # One root, closed once and last: nothing but whitespace after its "</gpx>".
        if (
            self.open_segs
            or self.root_closes != 1
            or not _GPX_END.search(self.last[-4096:].rstrip()[-64:])
        ):
            raise FastPathMismatch


def iter_gpx_fast(fileobj: IO[bytes], prolog_end: int | None = None) -> Iterator[PointChunk]:
    """Scan of a document the expat gate proved well-formed, entity-free and plain, or
    (prolog_end given) whose prolog plain_prolog() found plain, checked as it goes.

    Strict blocks are read from their tag starts in numpy, others by findall in C; both are
    checked against every trkpt/trkseg opening (else the caller falls back to the tree parser).
    One chunk per block.
    """
    numbering = _Numbering()
    ungated = _UngatedChecks(prolog_end) if prolog_end is not None else None
    saw_gpx = False
    for body in _blocks(fileobj):
        tags = Tags(body)
        if ungated is not None:
            ungated.block(body, tags)
        if not saw_gpx and _GPX_ROOT.search(body):
            saw_gpx = True
        found = strict_points(body, tags)
        if found is not None:
            numbered = numbering.strict(found)
            times, lats, lons = found.times, found.lats, found.lons
        elif ungated is not None:
            # The general regex cannot tell broken markup inside a point from an odd layout:
            # only expat can, so such files take the gated route.
            raise FastPathMismatch
        else:
            is_seg, times, lats, lons = _general_columns(body)
            numbered = numbering.points(is_seg)
        if numbered is not None:
            segs, refs = numbered
            yield decode_chunk(times, lats, lons, segs, refs, RefKind.POINT)
    if ungated is not None:
        ungated.end()
    if not saw_gpx:
        raise TrackRejected(_("这不是 GPX 文件：缺少 <gpx> 根元素。"), 422, code="not_a_track")
