"""Track file parsers → one common stream of numpy chunks (t, lat, lon, seg, ref).

Every format ends in the same shape so cleaning and storage never care where points came from:

- `t`   float64 epoch seconds UTC (NaN where the file gave no time),
- `lat`, `lon` float64 as written in the file (the declared CRS is applied later),
- `seg` int64: the file's own segment number (GPX trkseg, KML gx:Track, GeoJSON line …),
- `ref` int64: where the point is in the file, for error messages — a line number for text
  formats (CSV, PLT), the 1-based point ordinal for XML/JSON formats (see `RefKind`).

XML safety: every XML file the tree parser reads first goes through `refuse_unsafe_xml`, an
expat pass with defusedxml's policy (entity declarations and external references raise
defusedxml's exceptions) that also proves the file well-formed. GPX is read without a tree in
4 MB blocks when the file is plain (no comments/CDATA/DOCTYPE/PI) and every trkpt is accounted
for — from the positions of its "<" bytes in numpy for the layout loggers and apps write
(`gpx_tags`), by a regex otherwise — and else by ElementTree's iterparse, clearing elements as
they are read. A GPX whose prolog is plain (`plain_prolog`: no DTD, so nothing can declare an
entity; an encoding in which "<!" is those bytes) and whose points are all in that layout skips
the gate, expanding no reference; see gpx_scan's docstring for what stands in for the gate there. Either way memory follows the number
of points (~40 bytes each), never the size of the XML tree.

Modules: `points` (the shapes above), `detect` (which format), `columns` (text → numpy numbers and
times), `buffer` (PointBuffer: the one place per-point parsers collect points into chunks),
`xml_safety` (the expat gate), `gpx`, `gpx_scan`, `gpx_tags` (tree path, block scan, tag
positions), `kml`, `geojson`, `delimited` (CSV, GeoLife PLT). This module re-exports the public
names and reads whole files.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

import numpy as np

from patrols.tracks.errors import TrackRejected
from patrols.tracks.formats import gpx
from patrols.tracks.formats.buffer import CHUNK_POINTS, PointBuffer
from patrols.tracks.formats.columns import (
    bytes_column,
    parse_decimal_bytes,
    parse_times,
    parse_utc_z_bytes,
)
from patrols.tracks.formats.delimited import iter_csv, iter_plt, parse_column_mapping
from patrols.tracks.formats.detect import detect_format
from patrols.tracks.formats.geojson import iter_geojson
from patrols.tracks.formats.gpx import iter_gpx
from patrols.tracks.formats.gpx_scan import FastPathMismatch
from patrols.tracks.formats.kml import iter_kml
from patrols.tracks.formats.points import PointChunk, RawPoints, RefKind, TrackFormat
from patrols.tracks.formats.xml_safety import refuse_unsafe_xml

__all__ = [
    "CHUNK_POINTS",
    "PointBuffer",
    "PointChunk",
    "RawPoints",
    "RefKind",
    "TrackFormat",
    "TrackRejected",
    "bytes_column",
    "detect_format",
    "iter_chunks",
    "iter_csv",
    "iter_geojson",
    "iter_gpx",
    "iter_kml",
    "iter_plt",
    "parse_column_mapping",
    "parse_decimal_bytes",
    "parse_times",
    "parse_utc_z_bytes",
    "read_points",
    "refuse_unsafe_xml",
]


def iter_chunks(
    fileobj: IO[bytes],
    fmt: TrackFormat,
    *,
    columns: dict[str, str] | None = None,
    naive_tz: str = "UTC",
) -> Iterator[PointChunk]:
    if fmt is TrackFormat.GPX:
        return iter_gpx(fileobj)
    if fmt is TrackFormat.KML:
        return iter_kml(fileobj)
    if fmt is TrackFormat.GEOJSON:
        return iter_geojson(fileobj)
    if fmt is TrackFormat.CSV:
        return iter_csv(fileobj, columns, naive_tz)
    return iter_plt(fileobj)


def read_points(
    fileobj: IO[bytes],
    fmt: TrackFormat,
    *,
    columns: dict[str, str] | None = None,
    naive_tz: str = "UTC",
) -> RawPoints:
    """All points of a file as flat arrays (chunks concatenated; ~40 bytes a point)."""
    try:
        chunks = list(iter_chunks(fileobj, fmt, columns=columns, naive_tz=naive_tz))
    except FastPathMismatch:
        # Not gated=True: the scan may have run without the expat gate (plain prolog).
        fileobj.seek(0)
        chunks = list(gpx.iter_gpx_tree(fileobj))
    kind = RefKind.LINE if fmt in (TrackFormat.CSV, TrackFormat.PLT) else RefKind.POINT
    if not chunks:
        empty = np.empty(0)
        return RawPoints(
            empty, empty, empty, empty.astype(np.int64), empty.astype(np.int64), kind, fmt
        )
    cat = {
        f: np.concatenate([getattr(c, f) for c in chunks])
        for f in ("t", "lat", "lon", "seg", "ref")
    }
    return RawPoints(**cat, ref_kind=kind, format=fmt)
