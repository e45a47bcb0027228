"""GPX 1.0 / 1.1: the regex scan for plain files, ElementTree's iterparse for everything else."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from django.utils.translation import gettext as _

from patrols.tracks.errors import TrackRejected
from patrols.tracks.formats.buffer import PointBuffer
from patrols.tracks.formats.gpx_scan import FastPathMismatch, iter_gpx_fast
from patrols.tracks.formats.points import PointChunk, RefKind
from patrols.tracks.formats.xml_safety import (
    PROLOG_BYTES,
    local_name,
    plain_prolog,
    refuse_unsafe_xml,
    xml_events,
)


def iter_gpx(fileobj: IO[bytes]) -> Iterator[PointChunk]:
    """GPX 1.0 / 1.1: every trkpt of every trk/trkseg; waypoints, routes and extensions ignored.

    Plain files take the C-speed regex path; anything unusual takes the ElementTree path.
    A plain prolog (no DTD possible) lets the regex path skip the expat gate; any mismatch it
    raises sends the file to read_points' fallback, which runs the gate before the tree parser.
    """
    fileobj.seek(0)
    prolog_end = plain_prolog(fileobj.read(PROLOG_BYTES))
    fileobj.seek(0)
    if prolog_end is not None:
        scan = iter_gpx_fast(fileobj, prolog_end)
        try:
            first = next(scan, None)
        except FastPathMismatch:
            first = None  # unusual from its first block on: the gated route below decides
        else:
            # A mismatch in a later block propagates: read_points restarts behind the gate.
            if first is not None:
                yield first
            yield from scan
            return
        fileobj.seek(0)
    if refuse_unsafe_xml(fileobj):
        # A FastPathMismatch propagates: read_points restarts with the tree parser.
        yield from iter_gpx_fast(fileobj)
        return
    fileobj.seek(0)
    yield from iter_gpx_tree(fileobj, gated=True)


def iter_gpx_tree(fileobj: IO[bytes], gated: bool = False) -> Iterator[PointChunk]:
    buf = PointBuffer(RefKind.POINT)
    seg_no = -1
    n = 0
    seg_el = None
    saw_gpx = False
    for event, el in xml_events(fileobj, gated=gated):
        tag = el.tag
        if event == "start":
            if tag.endswith("trkseg") and local_name(tag) == "trkseg":
                seg_no += 1
                seg_el = el
            elif not saw_gpx and local_name(tag) == "gpx":
                saw_gpx = True
            continue
        if tag.endswith("trkpt") and local_name(tag) == "trkpt":
            n += 1
            t = None
            for child in el:
                if child.tag.endswith("time") and local_name(child.tag) == "time":
                    t = child.text
                    break
            full = buf.add(t, el.get("lat"), el.get("lon"), max(seg_no, 0), n)
            # Drop what we have read: the parent keeps only unread children, memory stays flat.
            if seg_el is not None:
                seg_el.clear()
            else:
                el.clear()
            if full:
                yield buf.take()
        elif tag.endswith(("trkseg", "trk", "wpt", "rte", "metadata")):
            el.clear()
    if not saw_gpx:
        raise TrackRejected(_("这不是 GPX 文件：缺少 <gpx> 根元素。"), 422, code="not_a_track")
    yield from buf.flush()
