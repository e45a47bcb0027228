"""The one place parsed point text waits until it is decoded into a PointChunk.

Every parser that meets points one at a time (GPX's tree path, KML, GeoJSON, CSV, PLT) adds
them here and asks `full` where its format may end a chunk: after a point for GPX, CSV and PLT,
after a whole gx:Track or Placemark for KML, only at the end for GeoJSON (its document is in
memory anyway). The GPX regex scan does not need it: it decodes one block of columns at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from patrols.tracks.formats.columns import decode_chunk
from patrols.tracks.formats.points import PointChunk, RefKind

CHUNK_POINTS = 50_000


class PointBuffer:
    """Points as the file wrote them (strings, numbers or None) → PointChunks of CHUNK_POINTS.

    The five values of a point go onto one flat list and are sliced into columns when a chunk
    is taken. Cheaper than five appends per point, and unlike a list of tuples it leaves no
    object per point for the cyclic garbage collector to walk (tuples made every per-point
    parser ~40 % slower).
    """

    def __init__(self, ref_kind: RefKind, naive_tz: str = "UTC") -> None:
        self.ref_kind = ref_kind
        self.naive_tz = naive_tz
        self._flat: list[Any] = []

    def add(self, t: Any, lat: Any, lon: Any, seg: int, ref: int) -> bool:
        """Buffer one point; True once CHUNK_POINTS are waiting (then `take()` them)."""
        flat = self._flat
        flat += (t, lat, lon, seg, ref)
        return len(flat) >= CHUNK_POINTS * 5

    def __len__(self) -> int:
        return len(self._flat) // 5

    @property
    def full(self) -> bool:
        """CHUNK_POINTS or more points are waiting: the parser should `take()` them."""
        return len(self._flat) >= CHUNK_POINTS * 5

    def take(self) -> PointChunk:
        """Everything buffered, decoded into one chunk (may raise TrackRejected); then empty."""
        flat, self._flat = self._flat, []
        return decode_chunk(
            flat[0::5], flat[1::5], flat[2::5], flat[3::5], flat[4::5], self.ref_kind, self.naive_tz
        )

    def flush(self) -> Iterator[PointChunk]:
        """The last chunk, if any point is left."""
        if self._flat:
            yield self.take()
